/**
 * Attached `up`: Ctrl-C stops the project gracefully and exits 130; a second Ctrl-C kills.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { REPO, TEST_IMAGE, cleanupProject, ensureBuilt, eventually, projectDir, runtime, uniqueProject } from './compose-helpers.js';

const p = uniqueProject('sig');
const d = projectDir(`
services:
  graceful:
    image: ${TEST_IMAGE}
    command: ["sh", "-c", "trap 'echo got TERM; exit 0' TERM; echo ready; sleep 3600 & wait"]
  stubborn:
    image: ${TEST_IMAGE}
    command: ["sh", "-c", "trap '' TERM; echo ready; while true; do sleep 1; done"]
    stop_grace_period: 30s
`);
beforeAll(() => ensureBuilt());
afterAll(async () => {
  await cleanupProject(p);
  d.remove();
});

describe('attached up', () => {
  it('first Ctrl-C stops gracefully, second kills', async () => {
    const child = spawn(process.execPath, [join(REPO, 'dist', 'tscompose.mjs'), '-p', p, '--progress', 'plain', 'up'], { cwd: d.dir });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (out += b.toString()));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    await eventually(async () => (out.match(/\| ready/g)?.length ?? 0) >= 2, 'both services logging', 20_000);
    const t0 = Date.now();
    child.kill('SIGINT');
    await eventually(async () => out.includes('Gracefully stopping'), 'graceful stop message');
    await eventually(async () => !(await runtime.inspectContainer(`${p}-graceful-1`)).running, 'graceful stopped');
    child.kill('SIGINT');
    const code = await exited;
    expect(code).toBe(130);
    // The stubborn container ignores TERM with a 30 s grace period: only the kill ends it this fast.
    expect(Date.now() - t0).toBeLessThan(15_000);
    expect(out).toMatch(/graceful-1\s+\| got TERM/);
    expect((await runtime.inspectContainer(`${p}-stubborn-1`)).running).toBe(false);
  });
});
