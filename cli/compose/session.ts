import type { ExecSession } from '../../src/runtime/types.js';

/**
 * Connects a live exec/attach session to this process's stdio: raw mode and resize with a TTY,
 * stdin forwarded when asked; resolves with the remote exit code.
 */
export async function pipeSession(session: ExecSession, opts: { tty: boolean; stdin: boolean }): Promise<number> {
  session.stdout.pipe(process.stdout, { end: false });
  session.stderr.pipe(process.stderr, { end: false });
  const restore: Array<() => void> = [];
  if (opts.tty && process.stdin.isTTY) {
    process.stdin.setRawMode(true);
    restore.push(() => process.stdin.setRawMode(false));
    const resize = (): void => void session.resize(process.stdout.rows ?? 24, process.stdout.columns ?? 80);
    resize();
    process.stdout.on('resize', resize);
    restore.push(() => process.stdout.off('resize', resize));
  }
  if (opts.stdin && session.stdin) {
    process.stdin.pipe(session.stdin);
    restore.push(() => { process.stdin.unpipe(); process.stdin.pause(); });
  }
  try {
    return await session.wait();
  } finally {
    for (const r of restore) r();
  }
}
