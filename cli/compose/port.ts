import { serviceContainer } from '../../src/engine/containers.js';
import { UserError } from '../../src/util/errors.js';
import type { GlobalOptions } from './global-options.js';
import { commandContext } from './context.js';

export async function portCommand(service: string, port: string, flags: GlobalOptions & { protocol?: string; index?: string }): Promise<number> {
  const { project, runtime } = await commandContext(flags);
  const c = await serviceContainer(runtime, project.name, service, Number(flags.index ?? 1));
  const info = await runtime.inspectContainer(c.id);
  const p = info.ports.find((x) => x.containerPort === Number(port) && x.protocol === (flags.protocol ?? 'tcp') && x.hostPort);
  if (!p) throw new UserError(`no port ${port}/${flags.protocol ?? 'tcp'} published for ${service}`, { code: 'not-found' });
  process.stdout.write(`${p.hostIp || '0.0.0.0'}:${p.hostPort}\n`);
  return 0;
}
