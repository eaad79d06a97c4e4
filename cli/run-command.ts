import { isUserError } from '../src/util/errors.js';

/**
 * Runs one CLI action and maps errors to exit codes. A UserError prints its message (and hint) and
 * exits with its code; anything else is a bug: one line, plus the stack only with TSCOMPOSE_DEBUG.
 */
export async function runCommand(prog: string, action: () => Promise<number | void>): Promise<never> {
  let code: number;
  try {
    code = (await action()) ?? 0;
  } catch (e) {
    code = reportError(prog, e);
  }
  process.exitCode = code;
  // Let stdout drain before exiting; open handles (sockets, timers) must not keep a finished command alive.
  await new Promise<void>((resolve) => process.stdout.write('', () => resolve()));
  process.exit(code);
}

export function reportError(prog: string, e: unknown): number {
  if (isUserError(e)) {
    const hint = e.hint ? `\nhint: ${e.hint}` : '';
    process.stderr.write(`${prog}: ${e.message}${hint}\n`);
    return e.exitCode;
  }
  const msg = e instanceof Error ? e.message : String(e);
  process.stderr.write(`${prog}: internal error: ${msg}\n`);
  if (process.env.TSCOMPOSE_DEBUG && e instanceof Error && e.stack) process.stderr.write(e.stack + '\n');
  else process.stderr.write('(this is a bug; set TSCOMPOSE_DEBUG=1 for a stack trace)\n');
  return 70;
}
