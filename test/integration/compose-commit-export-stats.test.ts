/** `commit`, `export` and `stats` on the real engine, as Compose v2 has them. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { SLEEPER, TEST_IMAGE, runtime, testProjects } from './compose-helpers.js';

const setup = testProjects();
const FILE = [
  'services:',
  '  web:',
  `    image: ${TEST_IMAGE}`,
  `    command: ${SLEEPER}`,
  '    deploy: { replicas: 2 }',
  '  db:',
  `    image: ${TEST_IMAGE}`,
  `    command: ${SLEEPER}`,
  '',
].join('\n');

// Images made by commit carry no project label, so they are removed here by name, even on failure.
const images: string[] = [];
const temps: string[] = [];
afterEach(async () => {
  while (images.length) await runtime.removeImage(images.pop()!, { force: true }).catch(() => undefined);
  while (temps.length) rmSync(temps.pop()!, { recursive: true, force: true });
});

describe('commit, export and stats', () => {
  it('commit makes an image with the author, message and changes of the flags', async () => {
    const { p, run } = setup('commit', FILE);
    expect((await run(['up', '-d'])).code).toBe(0);
    const ref = `${p}-img:snap`;
    images.push(ref);
    const r = await run(['commit', '-a', 'Jane <jane@example.com>', '-m', 'debug snapshot', '-c', 'ENV MODE=debug', '-c', 'LABEL snap=yes', '--index', '2', 'web', ref]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('');
    const out = execFileSync('docker', ['image', 'inspect', ref], { encoding: 'utf8' });
    const [img] = JSON.parse(out) as Array<{ Author: string; Comment: string; Config: { Env: string[]; Labels: Record<string, string> } }>;
    expect(img!.Author).toBe('Jane <jane@example.com>');
    expect(img!.Comment).toBe('debug snapshot');
    expect(img!.Config.Env).toContain('MODE=debug');
    expect(img!.Config.Labels.snap).toBe('yes');
    const web2 = (await runtime.listContainers({ labels: { 'com.docker.compose.project': p, 'com.docker.compose.service': 'web', 'com.docker.compose.container-number': '2' } }))[0];
    expect(web2?.status).toBe('running'); // paused during the commit, running again after
  });

  it('commit and export refuse an unknown service, a bad index and a missing container in one line', async () => {
    const { run } = setup('commitbad', FILE);
    expect((await run(['up', '-d', 'web'])).code).toBe(0);
    for (const [args, message] of [
      [['commit', 'wen'], /no such service: wen\nhint: did you mean "web"\?/],
      [['commit', '--index', '7', 'web'], /service "web" has no container with index 7\nhint: existing indexes: 1, 2/],
      [['export', '--index', '0', 'web', '-o', '/dev/null'], /--index expects a whole number/],
      [['export', '-o', '/dev/null', 'db'], /service "db" has no container/],
      [['commit', 'web', 'Bad:Ref:x'], /invalid image reference/],
    ] as const) {
      const r = await run([...args]);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr, args.join(' ')).toMatch(message);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });

  it('export -o writes the container filesystem as a tar', async () => {
    const { run } = setup('export', FILE);
    expect((await run(['up', '-d', 'db'])).code).toBe(0);
    const dir = mkdtempSync(join(tmpdir(), 'tscompose-export-'));
    temps.push(dir);
    const file = join(dir, 'db.tar');
    const r = await run(['export', '-o', file, 'db']);
    expect(r.code, r.stderr).toBe(0);
    const names = execFileSync('tar', ['tf', file], { encoding: 'utf8' }).split('\n');
    expect(names).toContain('bin/busybox');
    expect(names).toContain('etc/passwd');
    expect(readFileSync(file).length).toBeGreaterThan(100_000);
  });

  it('stats --no-stream --format json lists each running container with plausible values', async () => {
    const { p, run } = setup('stats', FILE);
    expect((await run(['up', '-d'])).code).toBe(0);
    const r = await run(['stats', '--no-stream', '--format', 'json']);
    expect(r.code, r.stderr).toBe(0);
    const rows = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, string>);
    expect(rows.map((x) => x.Name)).toEqual([`${p}-db-1`, `${p}-web-1`, `${p}-web-2`]);
    for (const row of rows) {
      expect(Object.keys(row).sort()).toEqual(['BlockIO', 'CPUPerc', 'ID', 'MemPerc', 'MemUsage', 'Name', 'NetIO', 'PIDs']);
      expect(row.ID).toMatch(/^[0-9a-f]{12}$/);
      expect(row.CPUPerc).toMatch(/^\d+\.\d\d%$/);
      expect(row.MemUsage).toMatch(/^\d+(\.\d+)?[KMG]?i?B \/ \d+(\.\d+)?[KMGT]?i?B$/);
      expect(row.MemUsage).not.toMatch(/^0B /);
      expect(Number(row.PIDs)).toBeGreaterThanOrEqual(1);
    }
    const table = await run(['stats', '--no-stream', '--no-trunc', 'db']);
    expect(table.code, table.stderr).toBe(0);
    const lines = table.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^CONTAINER ID\s+NAME\s+CPU %\s+MEM USAGE \/ LIMIT\s+MEM %\s+NET I\/O\s+BLOCK I\/O\s+PIDS$/);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(new RegExp(`^[0-9a-f]{64}\\s+${p}-db-1\\s`));
  });

  it('stats without a running container is a one-line error; -a lists stopped ones', async () => {
    const { p, run } = setup('statsstop', FILE);
    expect((await run(['up', '-d', 'db'])).code).toBe(0);
    expect((await run(['stop', 'db'])).code).toBe(0);
    const r = await run(['stats', '--no-stream']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no running containers found for project/);
    const all = await run(['stats', '--no-stream', '-a', '--format', 'json']);
    expect(all.code, all.stderr).toBe(0);
    expect((JSON.parse(all.stdout.trim()) as Record<string, string>)).toMatchObject({ Name: `${p}-db-1`, PIDs: '0' });
  });
});
