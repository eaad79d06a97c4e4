/**
 * up/down against the real engine: depends_on orderings (asserted on start/health timestamps),
 * the idempotent no-op, recreate of only the changed service, scale up and down, orphans.
 */
import { describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SLEEPER, TEST_IMAGE, cli, runtime, testProjects } from './compose-helpers.js';

const project = testProjects();

function setup(prefix: string, compose: string): { p: string; dir: string; up: (...a: string[]) => ReturnType<typeof cli>; run: (...a: string[]) => ReturnType<typeof cli> } {
  const { p, dir, run: runArgs } = project(prefix, compose);
  const run = (...a: string[]) => runArgs(a);
  return { p, dir, up: (...a) => run('up', '-d', ...a), run };
}

async function inspect(name: string) {
  return runtime.inspectContainer(name);
}

describe('up', () => {
  it('starts a service only after its dependency is healthy, and after another completed successfully', async () => {
    const { p, up } = setup('dep', `
services:
  migrate:
    image: ${TEST_IMAGE}
    command: ["sh", "-c", "sleep 0.5; exit 0"]
  db:
    image: ${TEST_IMAGE}
    init: true
    command: ["sh", "-c", "sleep 1; touch /tmp/ready; sleep 3600"]
    healthcheck: {test: ["CMD", "test", "-f", "/tmp/ready"], interval: 200ms, retries: 50}
  web:
    image: ${TEST_IMAGE}
    command: ${SLEEPER}
    depends_on:
      db: {condition: service_healthy}
      migrate: {condition: service_completed_successfully}
`);
    const r = await up();
    expect(r.stderr).not.toMatch(/at .*\.ts:\d+/);
    expect(r.code).toBe(0);
    const db = await inspect(`${p}-db-1`);
    const web = await inspect(`${p}-web-1`);
    const migrate = await inspect(`${p}-migrate-1`);
    expect(db.health?.status).toBe('healthy');
    expect(migrate.exitCode).toBe(0);
    // web started after db became healthy (>= 1 s after db started) and after migrate finished.
    expect(Date.parse(web.startedAt!)).toBeGreaterThanOrEqual(Date.parse(db.startedAt!) + 1000);
    expect(Date.parse(web.startedAt!)).toBeGreaterThanOrEqual(Date.parse(migrate.finishedAt!));
    // Compose's labels, so docker ps sees the same project.
    expect(web.labels).toMatchObject({
      'com.docker.compose.project': p,
      'com.docker.compose.service': 'web',
      'com.docker.compose.container-number': '1',
      'com.docker.compose.oneoff': 'False',
      'com.docker.compose.depends_on': expect.stringContaining('db:service_healthy:false'),
    });
    expect(web.labels['com.docker.compose.config-hash']).toMatch(/^[0-9a-f]{64}$/);
    expect(web.labels['com.docker.compose.image']).toMatch(/^sha256:/);
    expect(Object.keys(web.networks)).toEqual([`${p}_default`]);
    expect(web.networks[`${p}_default`]?.aliases).toContain('web');
  });

  it('is a no-op when nothing changed and recreates only the changed service', async () => {
    const compose = (env: string) => `
services:
  a: {image: ${TEST_IMAGE}, command: ${SLEEPER}, environment: {X: "${env}"}}
  b: {image: ${TEST_IMAGE}, command: ${SLEEPER}}
`;
    const { p, dir, up } = setup('noop', compose('1'));
    expect((await up()).code).toBe(0);
    const a1 = await inspect(`${p}-a-1`);
    const b1 = await inspect(`${p}-b-1`);
    const again = await up();
    expect(again.code).toBe(0);
    expect(again.stderr.trim()).toBe('');
    expect((await inspect(`${p}-a-1`)).id).toBe(a1.id);
    writeFileSync(join(dir, 'compose.yaml'), compose('2'));
    const r = await up();
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`Container ${p}-a-1  Recreated`);
    expect(r.stderr).not.toContain(`${p}-b-1`);
    const a2 = await inspect(`${p}-a-1`);
    expect(a2.id).not.toBe(a1.id);
    expect((await inspect(`${p}-b-1`)).id).toBe(b1.id);
    expect((await inspect(`${p}-b-1`)).startedAt).toBe(b1.startedAt);
    const forced = await up('--force-recreate', 'b');
    expect(forced.code).toBe(0);
    expect((await inspect(`${p}-b-1`)).id).not.toBe(b1.id);
    expect((await inspect(`${p}-a-1`)).id).toBe(a2.id);
  });

  it('scales up and down (highest numbers go first) and handles orphans', async () => {
    const { p, dir, up, run } = setup('scale', `
services:
  web: {image: ${TEST_IMAGE}, command: ${SLEEPER}}
  old: {image: ${TEST_IMAGE}, command: ${SLEEPER}}
`);
    expect((await up('--scale', 'web=3')).code).toBe(0);
    const names = async () => (await runtime.listContainers({ all: true, labels: { 'com.docker.compose.project': p } })).map((c) => c.name).sort();
    expect(await names()).toEqual([`${p}-old-1`, `${p}-web-1`, `${p}-web-2`, `${p}-web-3`]);
    expect((await up('--scale', 'web=1')).code).toBe(0);
    expect(await names()).toEqual([`${p}-old-1`, `${p}-web-1`]);
    writeFileSync(join(dir, 'compose.yaml'), `services:\n  web: {image: ${TEST_IMAGE}, command: ${SLEEPER}}\n`);
    const warn = await up();
    expect(warn.stderr).toMatch(/orphan containers \(.*-old-1\)/);
    expect(await names()).toContain(`${p}-old-1`);
    expect((await up('--remove-orphans')).code).toBe(0);
    expect(await names()).toEqual([`${p}-web-1`]);
    const down = await run('down');
    expect(down.code).toBe(0);
    expect(await names()).toEqual([]);
    expect(await runtime.listNetworks({ labels: { 'com.docker.compose.project': p } })).toEqual([]);
  });
});
