/** `tscompose exec`: flags -> src/engine/ops/exec.ts; the command's exit code is returned. */
import { execCommand } from '../../../src/engine/ops/exec.js';
import type { GlobalOptions } from '../global-options.js';
import { opsContext } from './common.js';
import { indexFlag } from '../flag-values.js';

export interface ExecFlags extends GlobalOptions {
  detach?: boolean;
  env: string[];
  index?: string;
  privileged?: boolean;
  user?: string;
  /** false with -T. */
  tty: boolean;
  workdir?: string;
}

export async function exec(service: string, command: string[], flags: ExecFlags): Promise<number> {
  const index = indexFlag(flags.index);
  const { runtime, scope } = await opsContext(flags, { services: [service] });
  // Compose allocates a TTY by default, but only when there is one to drive it.
  const tty = flags.tty && process.stdin.isTTY === true && process.stdout.isTTY === true;
  return execCommand(
    runtime,
    scope,
    {
      service,
      command,
      env: flags.env,
      ...(flags.workdir ? { workdir: flags.workdir } : {}),
      ...(flags.user ? { user: flags.user } : {}),
      privileged: flags.privileged ?? false,
      ...(index !== undefined ? { index } : {}),
      tty,
      interactive: true,
      detach: flags.detach ?? false,
    },
    { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr },
  );
}
