/**
 * Service lifecycle hooks on the real engine: post_start runs in the container right after it
 * starts (up, start), pre_stop right before it is stopped (stop, down); a failing hook fails the
 * command naming the service, the hook and its output. pre_start runs in a container of its own
 * before the service starts, on the service's volumes; a failing one keeps the service from starting.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SLEEPER, TEST_IMAGE, runtime, testProjects } from './compose-helpers.js';

const setup = testProjects();
const noStack = (s: string) => expect(s).not.toMatch(/\n\s+at .+:\d+:\d+/);

describe('lifecycle hooks', () => {
  it('post_start runs after start with its user, environment and working_dir; pre_stop runs before stop and down', async () => {
    const { p, dir, run } = setup('hooks', [
      'services:',
      '  app:',
      `    image: ${TEST_IMAGE}`,
      `    command: ${SLEEPER}`,
      '    volumes: ["./out:/out"]',
      '    post_start:',
      '      - command: ["sh", "-c", "echo $$WHO $$(id -u) $$(pwd) >> /tmp/post_start"]',
      '        user: "1234"',
      '        working_dir: /tmp',
      '        environment: {WHO: hook}',
      '    pre_stop:',
      '      - command: sh -c "echo stopping >> /out/pre_stop"',
      '',
    ].join('\n'));
    const out = join(dir, 'out');
    // Written by uid 1234, which may not write the bind mount: read back from the container.
    const postStartLog = async () => (await runtime.exec(`${p}-app-1`, { cmd: ['cat', '/tmp/post_start'] })).stdout;
    try {
      const up = await run(['up', '-d']);
      expect(up.code, up.stderr).toBe(0);
      expect(await postStartLog()).toBe('hook 1234 /tmp\n');
      expect(existsSync(join(out, 'pre_stop'))).toBe(false);
      // The container was running when the hook ran: it still is, and its env is not the hook's.
      expect((await runtime.inspectContainer(`${p}-app-1`)).running).toBe(true);

      const stop = await run(['stop']);
      expect(stop.code, stop.stderr).toBe(0);
      expect(readFileSync(join(out, 'pre_stop'), 'utf8')).toBe('stopping\n');

      const start = await run(['start']);
      expect(start.code, start.stderr).toBe(0);
      expect(await postStartLog()).toBe('hook 1234 /tmp\nhook 1234 /tmp\n');

      const down = await run(['down']);
      expect(down.code, down.stderr).toBe(0);
      expect(readFileSync(join(out, 'pre_stop'), 'utf8')).toBe('stopping\nstopping\n');
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('a failing post_start hook fails up with the service, the hook and its output', async () => {
    const { run } = setup('hookfail', [
      'services:',
      '  app:',
      `    image: ${TEST_IMAGE}`,
      `    command: ${SLEEPER}`,
      '    post_start:',
      '      - command: ["sh", "-c", "echo migration failed >&2; exit 3"]',
      '',
    ].join('\n'));
    const up = await run(['up', '-d']);
    expect(up.code).toBe(1);
    noStack(up.stderr);
    expect(up.stderr).toContain('service "app" post_start hook 0 (sh -c echo migration failed >&2; exit 3) exited with code 3: migration failed');
  });

  it('pre_start: a container of its own with the service volumes and environment, before the start; a failing one stops the start and is kept until down', async () => {
    const { p, run } = setup('prestart', [
      'services:',
      '  app:',
      `    image: ${TEST_IMAGE}`,
      `    command: ${SLEEPER}`,
      '    environment: {WHO: svc}',
      '    volumes: ["data:/data"]',
      '    pre_start:',
      '      - command: ["sh", "-c", "echo $$WHO-$$EXTRA > /data/seeded"]',
      '        environment: {EXTRA: hook}',
      '  bad:',
      `    image: ${TEST_IMAGE}`,
      `    command: ${SLEEPER}`,
      '    profiles: [bad]',
      '    pre_start:',
      '      - command: ["sh", "-c", "echo migration failed; exit 3"]',
      'volumes:',
      '  data: {}',
      '',
    ].join('\n'));
    const up = await run(['up', '-d']);
    expect(up.code, up.stderr).toBe(0);
    const seeded = await run(['exec', '-T', 'app', 'cat', '/data/seeded']);
    expect(seeded.stdout.trim()).toBe('svc-hook');
    // The hook container went once it succeeded.
    const names = async () => (await runtime.listContainers({ all: true, labels: { 'com.docker.compose.project': p } })).map((c) => `${c.name} ${c.status}`).sort();
    expect(await names()).toEqual([`${p}-app-1 running`]);

    const bad = await run(['--profile', 'bad', 'up', '-d', 'bad']);
    expect(bad.code).toBe(1);
    noStack(bad.stderr);
    expect(bad.stderr).toContain(`service "bad" pre_start hook 0 (sh -c echo migration failed; exit 3) exited with code 3: migration failed (hook container ${p}-bad-1-pre_start-0 kept for inspection)`);
    expect(await names()).toEqual([`${p}-app-1 running`, `${p}-bad-1 created`, `${p}-bad-1-pre_start-0 exited`]);
    // A plain up later neither counts the hook container as a replica nor trips on it.
    expect((await run(['up', '-d'])).code).toBe(0);
    expect((await run(['--profile', 'bad', 'down', '-t', '0'])).code).toBe(0);
    expect(await names()).toEqual([]);

    // per_replica: taken by config, refused by up before anything is created (as Compose).
    const pr = setup('prestartpr', `services:\n  app:\n    image: ${TEST_IMAGE}\n    pre_start:\n      - command: ["true"]\n        per_replica: true\n`);
    expect((await pr.run(['config', '-q'])).code).toBe(0);
    const refused = await pr.run(['up', '-d']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('services.app.pre_start[0].per_replica: per_replica is not yet supported');
    expect(await runtime.listContainers({ all: true, labels: { 'com.docker.compose.project': pr.p } })).toEqual([]);
  });
});
