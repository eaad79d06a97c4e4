/**
 * Running iproute2 and nft: execFile with an argv (never a shell string), optionally inside another
 * network namespace through `nsenter --net=PATH` (how tests program a lab host's kernel from the
 * test process). The only place the overlay dataplane starts processes.
 */
import { execFile } from 'node:child_process';
import { OverlayCommandError } from './errors.js';
import type { OverlayCommand } from './types.js';

export interface CommandResult {
  /** Exit status; -1 when the program could not be started or was killed (timeout). */
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs one program. Never rejects on a non-zero status: callers decide what a failure means. */
export type CommandRunner = (argv: readonly string[], input?: string) => Promise<CommandResult>;

export interface ExecRunnerOptions {
  /** Path of a network namespace (`/run/netns/NAME`) to run every command in. */
  readonly netns?: string;
  /** Per command; default 30 s (iproute2 answers in milliseconds; a hang is a kernel problem). */
  readonly timeoutMs?: number;
}

export function execRunner(opts: ExecRunnerOptions = {}): CommandRunner {
  const prefix = opts.netns === undefined ? [] : ['nsenter', `--net=${opts.netns}`, '--'];
  const timeout = opts.timeoutMs ?? 30_000;
  return (argv, input) =>
    new Promise((resolve) => {
      const full = [...prefix, ...argv];
      const [cmd, ...args] = full;
      if (cmd === undefined) {
        resolve({ status: -1, stdout: '', stderr: 'empty command' });
        return;
      }
      const child = execFile(cmd, args, { timeout, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' }, (err, stdout, stderr) => {
        if (err === null) resolve({ status: 0, stdout, stderr });
        else resolve({ status: typeof err.code === 'number' ? err.code : -1, stdout, stderr: stderr || err.message });
      });
      // A program that exits without reading its stdin (most of ours) makes the write fail with
      // EPIPE; its exit status already says how it went, so that error carries nothing.
      child.stdin?.on('error', () => undefined);
      if (input === undefined) child.stdin?.end();
      else child.stdin?.end(input);
    });
}

/** Runs `cmd` and throws {@link OverlayCommandError} (with its stderr) unless it succeeds. */
export async function runChecked(run: CommandRunner, cmd: OverlayCommand): Promise<CommandResult> {
  const res = await run(cmd.argv, cmd.input);
  if (res.status !== 0) throw new OverlayCommandError(cmd.subject, cmd.argv, res.status, res.stderr);
  return res;
}

/** Applies a plan's commands in order, stopping at the first failure (the next pass re-plans from what is there). */
export async function apply(run: CommandRunner, commands: readonly OverlayCommand[]): Promise<void> {
  for (const c of commands) await runChecked(run, c);
}
