/**
 * `exec`: a command in a running service container. Attached, the command's exit code becomes
 * ours; detached (-d), it is started and left running.
 */
import type { ContainerRuntime } from '../../runtime/runtime.js';
import { UserError } from '../../util/errors.js';
import type { Scope } from './scope.js';
import { selectOne } from './select-containers.js';
import { attachSession, type LocalStdio } from './terminal.js';

export interface ExecOptions {
  service: string;
  command: string[];
  env: string[];
  workdir?: string;
  user?: string;
  privileged?: boolean;
  index?: number;
  tty: boolean;
  interactive: boolean;
  detach?: boolean;
}

export async function execCommand(runtime: ContainerRuntime, scope: Scope, opts: ExecOptions, io: LocalStdio): Promise<number> {
  if (!opts.command.length) throw new UserError('exec needs a command to run', { code: 'invalid', hint: `e.g. tscompose exec ${opts.service} sh` });
  const target = await selectOne(runtime, scope, opts.service, { running: true, ...(opts.index !== undefined ? { index: opts.index } : {}) });
  const spec = {
    cmd: opts.command,
    ...(opts.env.length ? { env: opts.env } : {}),
    ...(opts.workdir ? { workingDir: opts.workdir } : {}),
    ...(opts.user ? { user: opts.user } : {}),
    ...(opts.privileged ? { privileged: true } : {}),
  };
  if (opts.detach) {
    // Detached: no streams to read, so the session is dropped as soon as the engine started it.
    const session = await runtime.execStream(target.id, { ...spec, tty: false, stdin: false });
    session.stdout.resume();
    session.stderr.resume();
    return 0;
  }
  const session = await runtime.execStream(target.id, { ...spec, tty: opts.tty, stdin: opts.interactive });
  return attachSession(session, io, { tty: opts.tty, interactive: opts.interactive });
}
