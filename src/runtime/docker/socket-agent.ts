import { Agent, type ClientRequest, type RequestOptions } from 'node:http';
import { inspect } from 'node:util';

type AddRequest = (req: ClientRequest, options: RequestOptions & { servername?: string }) => void;

/**
 * The HTTP agent for an engine on a unix socket: Node's keep-alive agent, except that it names no
 * TLS server. Node derives a server name for every request by matching the host against its IPv6
 * pattern, and compiling that pattern is ~5 ms of every short command; a unix socket has no TLS
 * and no server name to find.
 *
 * docker-modem formats every request's options for its debug log, agent included, whether or not
 * debugging is on; the agent therefore prints as its name instead of its socket pools.
 */
export class UnixSocketAgent extends Agent {
  constructor() {
    super({ keepAlive: true });
  }

  addRequest(req: ClientRequest, options: RequestOptions & { servername?: string }): void {
    options.servername ??= '';
    (Agent.prototype as unknown as { addRequest: AddRequest }).addRequest.call(this, req, options);
  }

  [inspect.custom](): string {
    return 'UnixSocketAgent';
  }
}
