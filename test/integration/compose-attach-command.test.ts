/**
 * `tscompose attach` on the real engine: output of a running service container, stdin into it,
 * signals passed on without a TTY, the container's exit code becoming ours. (Detach keys work
 * only with a TTY, as with docker attach: the engine reads them then.)
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO, TEST_IMAGE, eventually, runtime, testProjects } from './compose-helpers.js';

const setup = testProjects();
const FILE = [
  'services:',
  '  ticker:',
  `    image: ${TEST_IMAGE}`,
  `    command: ["sh", "-c", "trap 'echo got INT; exit 3' INT; i=0; while true; do echo tick $$i; i=$$((i+1)); sleep 0.2; done"]`,
  '  echo:',
  `    image: ${TEST_IMAGE}`,
  '    command: ["cat"]',
  '    stdin_open: true',
  '',
].join('\n');

function attach(dir: string, p: string, args: string[]): { child: ChildProcessWithoutNullStreams; out: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['--', join(REPO, 'dist', 'tscompose.mjs'), '-p', p, 'attach', ...args], { cwd: dir });
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return { child, out: () => out, exited };
}

describe('attach', () => {
  it('shows the output, passes SIGINT on (exit code of the container), and sends stdin', async () => {
    const { p, dir, run } = setup('attach', FILE);
    expect((await run(['up', '-d'])).code).toBe(0);
    const a = attach(dir, p, ['ticker']);
    try {
      await eventually(async () => (a.out().match(/tick \d+/g)?.length ?? 0) >= 2, 'ticks through attach', 20_000);
      a.child.kill('SIGINT');
      expect(await a.exited).toBe(3);
      expect(a.out()).toContain('got INT');
      expect((await runtime.inspectContainer(`${p}-ticker-1`)).running).toBe(false);
    } finally {
      a.child.kill('SIGKILL');
    }

    // Without a TTY the engine reads no detach keys (docker attach alike): the end of our stdin
    // closes the container's, and cat's exit code is the attach's.
    const e = attach(dir, p, ['echo']);
    try {
      // Give the attach time to be set up before writing (input sent earlier would be lost).
      await new Promise((r) => setTimeout(r, 1500));
      e.child.stdin.write('hello through attach\n');
      await eventually(async () => e.out().includes('hello through attach'), 'the echo of stdin', 20_000);
      e.child.stdin.end();
      expect(await e.exited).toBe(0);
      expect((await runtime.inspectContainer(`${p}-echo-1`)).running).toBe(false);
    } finally {
      e.child.kill('SIGKILL');
    }
  }, 60_000);

  it('refuses an unknown service and a service with nothing running, in one line', async () => {
    const { run } = setup('attachno', FILE);
    const ghost = await run(['attach', 'ghost']);
    expect(ghost.code).toBe(1);
    expect(ghost.stderr).toMatch(/ghost/);
    expect(ghost.stderr).not.toMatch(/\n\s+at /);
    const idle = await run(['attach', 'echo']);
    expect(idle.code).not.toBe(0);
    expect(idle.stderr).not.toMatch(/\n\s+at /);
  });
});
