import { Agent, type ClientRequest, type RequestOptions } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { inspect } from 'node:util';
import { timeRequest, type LimitsOf } from './timed-request.js';

type AddRequest = (req: ClientRequest, options: RequestOptions & { servername?: string }) => void;

/**
 * The HTTP agent for an engine on a unix socket: Node's keep-alive agent, except that it names no
 * TLS server, and that every request gets the time limits of its kind (engine-timeouts.ts). Node
 * derives a server name for every request by matching the host against its IPv6 pattern, and
 * compiling that pattern is ~5 ms of every short command; a unix socket has no TLS and no server
 * name to find.
 *
 * docker-modem formats every request's options for its debug log, agent included, whether or not
 * debugging is on; the agent therefore prints as its name instead of its socket pools.
 */
export class UnixSocketAgent extends Agent {
  constructor(private readonly limits?: LimitsOf) {
    super({ keepAlive: true });
  }

  addRequest(req: ClientRequest, options: RequestOptions & { servername?: string }): void {
    options.servername ??= '';
    if (this.limits) timeRequest(req, this.limits(req.method, req.path));
    (Agent.prototype as unknown as { addRequest: AddRequest }).addRequest.call(this, req, options);
  }

  [inspect.custom](): string {
    return 'UnixSocketAgent';
  }
}

/** The agent for a tcp:// engine: keep-alive, with the same per-request limits. */
export class TcpEngineAgent extends Agent {
  constructor(private readonly limits: LimitsOf) {
    super({ keepAlive: true });
  }

  addRequest(req: ClientRequest, options: RequestOptions): void {
    timeRequest(req, this.limits(req.method, req.path));
    (Agent.prototype as unknown as { addRequest: AddRequest }).addRequest.call(this, req, options);
  }

  [inspect.custom](): string {
    return 'TcpEngineAgent';
  }
}

/** The agent for a TLS engine (DOCKER_TLS_VERIFY); certificates come with each request's options. */
export class TlsEngineAgent extends HttpsAgent {
  constructor(private readonly limits: LimitsOf) {
    super({ keepAlive: true });
  }

  addRequest(req: ClientRequest, options: RequestOptions): void {
    timeRequest(req, this.limits(req.method, req.path));
    (HttpsAgent.prototype as unknown as { addRequest: AddRequest }).addRequest.call(this, req, options);
  }

  [inspect.custom](): string {
    return 'TlsEngineAgent';
  }
}
