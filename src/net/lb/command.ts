/**
 * The one seam to processes: run an argv with optional stdin, collect exit status and output.
 * No shell is involved, so VIPs and netns paths never meet shell quoting. Tests inject fakes.
 */
import { spawn } from 'node:child_process';

export interface CommandResult {
  /** Exit status; null when the process was killed by a signal (or our timeout). */
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `argv[0]` with `argv.slice(1)`; resolves whatever the exit status, rejects only if it cannot start. */
export type CommandRunner = (argv: readonly string[], stdin?: string) => Promise<CommandResult>;

/** The argv prefix that runs a tool inside a namespace (`nsenter --net`, not `ip netns exec`: see DESIGN). */
export function inNetns(netnsPath: string, argv: readonly string[]): string[] {
  return ['nsenter', `--net=${netnsPath}`, ...argv];
}

/**
 * The real runner over `spawn`. The timeout is a backstop for a wedged tool (nft holding the
 * netlink socket forever would stall every later sync of that namespace), not a pacing device.
 */
export function spawnRunner(opts: { timeoutMs?: number } = {}): CommandRunner {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  return (argv, stdin) =>
    new Promise((resolve, reject) => {
      const [file, ...args] = argv;
      if (file === undefined) return reject(new Error('empty argv'));
      const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'], timeout: timeoutMs });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout.on('data', (b: Buffer) => out.push(b));
      child.stderr.on('data', (b: Buffer) => err.push(b));
      child.on('error', reject);
      child.on('close', (code) =>
        resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }),
      );
      // A tool that exits before reading all of stdin makes the write fail with EPIPE; its exit
      // status and stderr are the real story, so the pipe error is not.
      child.stdin.on('error', () => {});
      child.stdin.end(stdin ?? '');
    });
}
