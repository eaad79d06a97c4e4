/**
 * A throwaway compose project for the day-2 command tests: its own directory and unique name, the
 * built CLI run as a real process (with stdin input, or streamed for -f/events), and a cleanup that
 * removes every container, network and volume carrying the project label, even after a failure.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO, cleanupProject, uniqueProject } from '../compose-helpers.js';

export { TEST_IMAGE, eventually, runtime } from '../compose-helpers.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

const BIN = join(REPO, 'bin', 'tscompose.mjs');

/** Builds dist/ when the sources are newer (one build per test file at most). */
export function ensureBuilt(): void {
  execFileSync(process.execPath, ['scripts/ensure-built.mjs'], { cwd: REPO, stdio: 'ignore' });
}

export interface OpsProject {
  name: string;
  dir: string;
  /** Runs `tscompose -p NAME ARGS` in the project directory; stdin gets `input` then EOF. */
  cli(args: string[], opts?: { input?: string | Buffer; timeoutMs?: number; env?: Record<string, string>; cwd?: string }): Promise<CliResult>;
  /** Starts the CLI and hands back the process, for commands that stream (logs -f, events). */
  spawn(args: string[]): ChildProcess & { output(): string };
  cleanup(): Promise<void>;
}

export function opsProject(prefix: string, composeYaml: string): OpsProject {
  const name = uniqueProject(prefix);
  const dir = mkdtempSync(join(tmpdir(), `${name}-`));
  writeFileSync(join(dir, 'compose.yaml'), composeYaml);
  const children: ChildProcess[] = [];
  const start = (args: string[], env?: Record<string, string>, cwd = dir): ChildProcess => {
    const child = spawn(process.execPath, [BIN, '-p', name, ...args], { cwd, env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    children.push(child);
    return child;
  };
  return {
    name,
    dir,
    cli(args, opts = {}) {
      return new Promise((resolve) => {
        const child = start(args, opts.env, opts.cwd);
        let stdout = '';
        let stderr = '';
        child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
        child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
        const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
        child.on('close', (code, signal) => {
          clearTimeout(timer);
          resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr });
        });
        child.stdin!.on('error', () => undefined);
        child.stdin!.end(opts.input ?? '');
      });
    },
    spawn(args) {
      const child = start(args) as ChildProcess & { output(): string };
      let out = '';
      child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
      child.output = () => out;
      return child;
    },
    async cleanup() {
      for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
      await cleanupProject(name);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
