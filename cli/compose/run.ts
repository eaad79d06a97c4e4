/**
 * `tscompose run`: a one-off container of a service (label oneoff=True, name <project>-<svc>-run-<id>),
 * its dependencies brought up first unless --no-deps.
 */
import { randomBytes } from 'node:crypto';
import { up } from '../../src/engine/up.js';
import { toContainerSpec } from '../../src/engine/container-spec.js';
import { serviceConfigHash } from '../../src/engine/config-hash.js';
import { ensureImages } from '../../src/engine/images.js';
import { oneOffName } from '../../src/engine/labels.js';
import { UserError } from '../../src/util/errors.js';
import type { PortBinding } from '../../src/runtime/types.js';
import type { GlobalOptions } from './global-options.js';
import { commandContext } from './context.js';
import { pipeSession } from './session.js';

export async function runServiceCommand(service: string, command: string[], flags: GlobalOptions & {
  detach?: boolean; rm?: boolean; name?: string; env?: string[]; entrypoint?: string; workdir?: string; user?: string;
  deps?: boolean; servicePorts?: boolean; publish?: string[]; tty?: boolean; interactive?: boolean; build?: boolean;
}): Promise<number> {
  const { project, runtime, progress } = await commandContext(flags, [service]);
  const svc = project.services[service];
  if (!svc) throw new UserError(`no such service: ${service}`, { code: 'not-found' });
  const deps = Object.keys(svc.depends_on).filter((d) => project.services[d]);
  if (flags.deps !== false && deps.length) {
    try {
      await up(runtime, project, { services: deps, progress: progress.sink });
    } finally {
      progress.done();
    }
  }
  const imageIds = await ensureImages(runtime, project, [service], { ...(flags.build ? { build: true } : {}), progress: progress.sink });
  const name = flags.name ?? oneOffName(project.name, service, randomBytes(6).toString('hex'));
  const spec = toContainerSpec({ project, service: svc, number: 1, configHash: serviceConfigHash(svc), ...(imageIds[service] ? { imageId: imageIds[service] } : {}), oneOff: { name } });
  const tty = flags.tty !== false && process.stdin.isTTY === true && process.stdout.isTTY === true;
  const stdin = !flags.detach && flags.interactive !== false && !!process.stdin.isTTY === tty;
  if (command.length) spec.cmd = command;
  if (flags.entrypoint !== undefined) spec.entrypoint = flags.entrypoint === '' ? [''] : flags.entrypoint.split(' ');
  if (flags.env?.length) spec.env = [...(spec.env ?? []), ...flags.env];
  if (flags.workdir) spec.workingDir = flags.workdir;
  if (flags.user) spec.user = flags.user;
  if (!flags.servicePorts) delete spec.ports;
  const extra: PortBinding[] = (flags.publish ?? []).map((p) => {
    const parts = p.split(':');
    const [port, proto] = (parts.pop() ?? '').split('/');
    const hostPort = parts.pop();
    const hostIp = parts.pop();
    return { containerPort: Number(port), protocol: (proto ?? 'tcp') as 'tcp', ...(hostPort ? { hostPort } : {}), ...(hostIp ? { hostIp } : {}) };
  });
  if (extra.length) spec.ports = [...(spec.ports ?? []), ...extra];
  spec.restartPolicy = { name: 'no' };
  spec.tty = tty;
  spec.openStdin = stdin;
  spec.attachStdin = stdin;
  const id = await runtime.createContainer(spec);
  if (flags.detach) {
    await runtime.startContainer(id);
    process.stdout.write(`${name}\n`);
    return 0;
  }
  try {
    const session = await runtime.attach(id, { stdin, tty });
    await runtime.startContainer(id);
    return await pipeSession(session, { tty, stdin });
  } finally {
    if (flags.rm) await runtime.removeContainer(id, { force: true, volumes: true }).catch(() => undefined);
  }
}
