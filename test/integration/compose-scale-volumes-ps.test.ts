/** `scale`, `volumes` and `ps` filters on the real engine, as Compose v2 has them. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SLEEPER, TEST_IMAGE, runtime, testProjects } from './compose-helpers.js';

const setup = testProjects();
const FILE = [
  'services:',
  '  web:',
  `    image: ${TEST_IMAGE}`,
  `    command: ${SLEEPER}`,
  '    depends_on: [db]',
  '    volumes: ["cache:/cache"]',
  '  db:',
  `    image: ${TEST_IMAGE}`,
  `    command: ${SLEEPER}`,
  '    volumes: ["data:/data"]',
  'volumes:',
  '  cache: {}',
  '  data: {}',
  '',
].join('\n');

describe('scale and volumes', () => {
  it('scale web=3 adds containers to web only, keeps the others, and scales down again', async () => {
    const { p, run } = setup('scale', FILE);
    expect((await run(['up', '-d'])).code).toBe(0);
    const ids = async (svc: string) => (await runtime.listContainers({ all: true, labels: { 'com.docker.compose.project': p, 'com.docker.compose.service': svc } })).map((c) => c.id).sort();
    const db = await ids('db');
    const web1 = await ids('web');
    const up = await run(['scale', 'web=3']);
    expect(up.code, up.stderr).toBe(0);
    expect(await ids('web')).toHaveLength(3);
    expect((await ids('web')).filter((id) => web1.includes(id))).toEqual(web1);
    expect(await ids('db')).toEqual(db);
    const down = await run(['scale', '--no-deps', 'web=1']);
    expect(down.code, down.stderr).toBe(0);
    expect(await ids('web')).toHaveLength(1);
    const bad = await run(['scale', 'ghost=2']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/ghost/);
  });

  it('volumes lists the project volumes, or those the named services mount', async () => {
    const { p, run } = setup('vols', FILE);
    expect((await run(['up', '-d'])).code).toBe(0);
    const all = await run(['volumes']);
    expect(all.code, all.stderr).toBe(0);
    expect(all.stdout.split('\n')[0]).toMatch(/^DRIVER\s+VOLUME NAME$/);
    expect(all.stdout).toMatch(new RegExp(`^local +${p}_cache$`, 'm'));
    expect(all.stdout).toContain(`${p}_data`);
    expect((await run(['volumes', '-q', 'db'])).stdout).toBe(`${p}_data\n`);
    const json = (await run(['volumes', '--format', 'json', 'web'])).stdout.trim().split('\n').map((l) => JSON.parse(l) as { Name: string; Driver: string });
    expect(json.map((v) => [v.Name, v.Driver])).toEqual([[`${p}_cache`, 'local']]);
  });

  it('ps --status / --filter status= show stopped containers without -a; --no-orphans / --orphans=false hide services the file dropped', async () => {
    const { p, dir, run } = setup('psf', FILE);
    expect((await run(['up', '-d'])).code).toBe(0);
    expect((await run(['stop', 'web'])).code).toBe(0);
    const names = async (args: string[]) => (await run(['ps', '--format', 'json', ...args])).stdout.trim().split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { Name: string }).Name).sort();
    expect(await names(['--status', 'exited'])).toEqual([`${p}-web-1`]);
    expect(await names(['--filter', 'status=running'])).toEqual([`${p}-db-1`]);
    const bad = await run(['ps', '--filter', 'name=web']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('unsupported filter "name=web"');
    expect((await run(['ps', '--status', 'sleeping'])).stderr).toContain('invalid status "sleeping"');
    // Go-template formats, as scripts use them with docker compose.
    expect((await run(['ps', '-a', '--format', '{{.Service}}:{{.State}}'])).stdout.split('\n').sort()).toEqual(['', 'db:running', 'web:exited']);
    const table = (await run(['ps', '--format', 'table {{.Service}}\\t{{.State}}'])).stdout;
    expect(table).toMatch(/^SERVICE {3}STATE\ndb {8}running\n$/);
    expect((await run(['volumes', '--format', '{{.Driver}}'])).stdout).toBe('local\nlocal\n');
    const badField = await run(['ps', '--format', '{{.Nope}}']);
    expect(badField.code).toBe(1);
    expect(badField.stderr).toContain('--format: no field "Nope"');
    expect((await run(['ps', '--format', 'yaml'])).stderr).toContain('--format: "yaml" is neither table, json nor a template');
    writeFileSync(join(dir, 'only-web.yaml'), FILE.replace(/ {2}db:[\s\S]*?(?=volumes:\n {2}cache)/, '').replace('    depends_on: [db]\n', ''));
    const orphans = (await run(['-f', 'only-web.yaml', 'ps', '-a', '--format', 'json'])).stdout;
    expect(orphans).toContain(`${p}-db-1`);
    const kept = (await run(['-f', 'only-web.yaml', 'ps', '-a', '--no-orphans', '--format', 'json'])).stdout;
    expect(kept).toContain(`${p}-web-1`);
    expect(kept).not.toContain(`${p}-db-1`);
    // Compose's spelling: --orphans=false (and --orphans=true, the default).
    expect((await run(['-f', 'only-web.yaml', 'ps', '-a', '--orphans=false', '--format', 'json'])).stdout).not.toContain(`${p}-db-1`);
    expect((await run(['-f', 'only-web.yaml', 'ps', '-a', '--orphans=true', '--format', 'json'])).stdout).toContain(`${p}-db-1`);
    const wrong = await run(['-f', 'only-web.yaml', 'ps', '--orphans=maybe']);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('--orphans: expected true or false, got "maybe"');
  });
});
