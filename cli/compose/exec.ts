import { serviceContainer } from '../../src/engine/containers.js';
import type { GlobalOptions } from './global-options.js';
import { commandContext } from './context.js';
import { pipeSession } from './session.js';

export async function execCommand(service: string, command: string[], flags: GlobalOptions & { detach?: boolean; env?: string[]; workdir?: string; user?: string; tty?: boolean; interactive?: boolean; privileged?: boolean; index?: string }): Promise<number> {
  const { project, runtime } = await commandContext(flags);
  const c = await serviceContainer(runtime, project.name, service, Number(flags.index ?? 1));
  // Like docker compose: a TTY by default, but only when we have one.
  const tty = flags.tty !== false && process.stdin.isTTY === true && process.stdout.isTTY === true;
  const spec = {
    cmd: command,
    ...(flags.env?.length ? { env: flags.env } : {}),
    ...(flags.workdir ? { workingDir: flags.workdir } : {}),
    ...(flags.user ? { user: flags.user } : {}),
    ...(flags.privileged ? { privileged: true } : {}),
    tty,
  };
  if (flags.detach) {
    await runtime.execStream(c.id, { ...spec, stdin: false });
    return 0;
  }
  const stdin = flags.interactive !== false && (tty || !process.stdin.isTTY);
  const session = await runtime.execStream(c.id, { ...spec, stdin });
  return pipeSession(session, { tty, stdin });
}
