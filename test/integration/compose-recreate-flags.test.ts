/**
 * `up --always-recreate-deps`, `up -V` and the causes `up --dry-run` prints, on the real engine:
 * what the planner's golden tests say, checked as container ids, volume data and printed lines.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SLEEPER, TEST_IMAGE, runtime, testProjects } from './compose-helpers.js';

const setup = testProjects();
const compose = (v: string) => `
services:
  db:
    image: ${TEST_IMAGE}
    command: ${SLEEPER}
    volumes: ["/anon"]
  web:
    image: ${TEST_IMAGE}
    command: ${SLEEPER}
    environment: {V: "${v}"}
    depends_on: [db]
`;

describe('recreate flags', () => {
  const idOf = async (name: string) => (await runtime.inspectContainer(name)).id;
  const projectVolumes = async (p: string) => (await runtime.listVolumes({ labels: { 'com.docker.compose.project': p } })).map((v) => v.name).sort();

  it('--always-recreate-deps recreates the dependency of the named service and leaves the named one alone', async () => {
    const { p, run } = setup('deps', compose('1'));
    expect((await run(['up', '-d'])).code).toBe(0);
    const [db, web] = [await idOf(`${p}-db-1`), await idOf(`${p}-web-1`)];

    const plain = await run(['up', '-d', 'web']);
    expect(plain.code, plain.stderr).toBe(0);
    expect(await idOf(`${p}-db-1`)).toBe(db);

    const r = await run(['up', '-d', '--always-recreate-deps', 'web']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`Container ${p}-db-1  Recreated`);
    expect(await idOf(`${p}-db-1`)).not.toBe(db);
    expect(await idOf(`${p}-web-1`)).toBe(web);
  });

  it('-V gives the recreated container a fresh anonymous volume; without -V the data survives', async () => {
    const { p, run } = setup('renew', compose('1'));
    const db = `${p}-db-1`;
    const volumeAt = async () => (await runtime.inspectContainer(db)).mounts.find((m) => m.target === '/anon')?.name;
    expect((await run(['up', '-d'])).code).toBe(0);
    await runtime.exec(db, { cmd: ['sh', '-c', 'echo kept > /anon/f'] });
    const first = await volumeAt();

    let r = await run(['up', '-d', '--force-recreate', 'db']);
    expect(r.code, r.stderr).toBe(0);
    expect(await volumeAt()).toBe(first);
    expect((await runtime.exec(db, { cmd: ['cat', '/anon/f'] })).stdout).toBe('kept\n');

    const before = await idOf(db);
    r = await run(['up', '-d', '-V', 'db']);
    expect(r.code, r.stderr).toBe(0);
    expect(await idOf(db)).not.toBe(before);
    const fresh = await volumeAt();
    expect(fresh).toMatch(/^[0-9a-f]{64}$/);
    expect(fresh).not.toBe(first);
    expect((await runtime.exec(db, { cmd: ['sh', '-c', 'cat /anon/f 2>/dev/null || echo gone'] })).stdout).toBe('gone\n');
    // The replaced volume is kept, as Compose keeps it, and carries the project label: down -v removes both.
    expect(await projectVolumes(p)).toEqual([first, fresh].sort());
    r = await run(['down', '-v']);
    expect(r.code, r.stderr).toBe(0);
    expect(await projectVolumes(p)).toEqual([]);
  });

  it('refuses --no-recreate with --always-recreate-deps, -V or --force-recreate before touching the engine', async () => {
    const { p, run } = setup('conflict', compose('1'));
    for (const flag of ['--always-recreate-deps', '--renew-anon-volumes', '--force-recreate']) {
      const r = await run(['up', '-d', '--no-recreate', flag]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`${flag} and --no-recreate are incompatible`);
    }
    const c = await run(['create', '--no-recreate', '-V']);
    expect(c.code).toBe(2);
    expect(c.stderr).toContain('--renew-anon-volumes and --no-recreate are incompatible');
    expect(await runtime.listContainers({ all: true, labels: { 'com.docker.compose.project': p } })).toEqual([]);
  });

  it('up --dry-run prints why each container would be recreated: the service key that changed', async () => {
    const t = setup('cause', compose('1'));
    expect((await t.run(['up', '-d'])).code).toBe(0);
    writeFileSync(join(t.dir, 'compose.yaml'), compose('2'));
    const r = await t.run(['up', '-d', '--dry-run']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`DRY-RUN MODE - Container ${t.p}-web-1  Recreated (config hash changed: environment)`);
    expect(r.stderr).not.toMatch(new RegExp(`Container ${t.p}-db-1  (Stopped|Removed|Recreated)`));
    expect(r.stderr).toContain(`DRY-RUN MODE - Container ${t.p}-db-1  Started (web depends on db)`);
    const scaled = await t.run(['up', '-d', '--dry-run', '--scale', 'db=2']);
    expect(scaled.stderr).toContain(`DRY-RUN MODE - Container ${t.p}-db-2  Created (scale 1 -> 2)`);
  });
});
