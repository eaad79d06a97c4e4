/** `port`: the host address a service container's private port is published on. */
import type { ContainerRuntime } from '../../runtime/runtime.js';
import { UserError } from '../../util/errors.js';
import type { Scope } from './scope.js';
import { selectOne } from './select-containers.js';

export interface PortOptions {
  service: string;
  privatePort: number;
  protocol: string;
  index?: number;
}

/** "HOST_IP:HOST_PORT" of the first binding (IPv4 preferred, like Compose). */
export async function portCommand(runtime: ContainerRuntime, scope: Scope, opts: PortOptions): Promise<string> {
  if (!Number.isInteger(opts.privatePort) || opts.privatePort < 1 || opts.privatePort > 65535) {
    throw new UserError(`invalid private port: ${String(opts.privatePort)}`, { code: 'invalid', hint: 'give a container port number such as 80' });
  }
  const c = await selectOne(runtime, scope, opts.service, { ...(opts.index !== undefined ? { index: opts.index } : {}) });
  const info = await runtime.inspectContainer(c.id);
  const bindings = info.ports.filter((p) => p.containerPort === opts.privatePort && p.protocol === opts.protocol && p.hostPort !== undefined);
  const b = bindings.find((p) => !p.hostIp?.includes(':')) ?? bindings[0];
  if (!b) {
    const published = info.ports.filter((p) => p.hostPort !== undefined).map((p) => `${p.containerPort}/${p.protocol}`);
    throw new UserError(`no port ${opts.privatePort}/${opts.protocol} published for ${c.name}`, {
      code: 'not-found',
      hint: published.length ? `published ports: ${[...new Set(published)].join(', ')}` : 'the service publishes no ports (add "ports:" to it)',
    });
  }
  return `${b.hostIp || '0.0.0.0'}:${b.hostPort}`;
}
