/**
 * Wires a live exec/attach session to the local terminal: stdin piped in, output piped out, raw mode
 * and window-size tracking when a TTY was allocated. The streams are injected so the command layer
 * decides what "the terminal" is; this file holds the ordering rules that are easy to get wrong.
 */
import type { ExecSession } from '../../runtime/types.js';

export interface LocalStdio {
  stdin: NodeJS.ReadStream;
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
}

export interface AttachOptions {
  tty: boolean;
  /** Forward local stdin to the session. */
  interactive: boolean;
  /** Ends the session early with this code (attach: the user detached), restoring the terminal as any end does. */
  until?: Promise<number>;
}

/**
 * Runs the session to completion and resolves with its exit code. Raw mode is restored on every
 * path (including errors), or the user's shell is left unusable.
 */
export async function attachSession(session: ExecSession, io: LocalStdio, opts: AttachOptions): Promise<number> {
  const restore: Array<() => void> = [];
  try {
    if (opts.tty && io.stdin.isTTY) {
      io.stdin.setRawMode(true);
      restore.push(() => io.stdin.setRawMode(false));
    }
    if (opts.tty && io.stdout.isTTY) {
      const resize = (): void => void session.resize(io.stdout.rows, io.stdout.columns);
      resize();
      // Node emits 'resize' on the stdout TTY stream when SIGWINCH arrives.
      io.stdout.on('resize', resize);
      restore.push(() => io.stdout.off('resize', resize));
    }
    const outDone = Promise.all([drain(session.stdout, io.stdout), drain(session.stderr, io.stderr)]);
    if (opts.interactive && session.stdin) {
      const remote = session.stdin as NodeJS.WritableStream & { writableEnded?: boolean; destroyed?: boolean };
      // The process may end (and the engine close its stdin) while we still have input to send:
      // that is not an error of ours, so late writes are dropped instead of crashing on EPIPE.
      const onRemoteError = (): void => undefined;
      remote.on('error', onRemoteError);
      const onData = (d: Buffer): void => {
        if (!remote.writableEnded && !remote.destroyed) remote.write(d);
      };
      // End of local input half-closes the remote stdin so `echo x | exec -T cat` terminates.
      const onEnd = (): void => {
        const sock = remote as NodeJS.WritableStream & { end?: () => void };
        sock.end?.();
      };
      io.stdin.on('data', onData);
      io.stdin.once('end', onEnd);
      io.stdin.resume();
      restore.push(() => {
        io.stdin.off('data', onData);
        io.stdin.off('end', onEnd);
        io.stdin.pause();
      });
    }
    const code = await (opts.until ? Promise.race([session.wait(), opts.until]) : session.wait());
    // The exit code can arrive before the last output chunk; flush what is in flight.
    await Promise.race([outDone, new Promise((r) => setTimeout(r, 500))]);
    return code;
  } finally {
    for (const r of restore.reverse()) r();
  }
}

function drain(from: NodeJS.ReadableStream, to: NodeJS.WritableStream): Promise<void> {
  return new Promise((resolve) => {
    from.on('data', (d: Buffer) => to.write(d));
    from.once('end', () => resolve());
    from.once('close', () => resolve());
    from.once('error', () => resolve());
  });
}
