/**
 * What test/unit/engine/executor.test.ts shows on the FakeRuntime, on the real engine where no
 * other integration test does: independent work goes on while a gate waits, an optional
 * dependency that turns unhealthy is skipped with a warning, and a failing pre_stop hook fails the
 * plan's stop (`down`) and leaves the container running. (Ordering, required gates, failures and post_start are
 * in compose-up, compose-errors and compose-hooks.)
 */
import { describe, expect, it } from 'vitest';
import { SLEEPER, TEST_IMAGE, eventually, runtime, testProjects } from './compose-helpers.js';

const setup = testProjects();

describe('executor on the engine', () => {
  it('starts an independent service while another waits for its dependency to become healthy', async () => {
    const { p, run } = setup('par', `
services:
  db:
    image: ${TEST_IMAGE}
    command: ${SLEEPER}
    healthcheck: {test: ["CMD", "test", "-f", "/tmp/ok"], interval: 500ms, retries: 120}
  web:
    image: ${TEST_IMAGE}
    command: ${SLEEPER}
    depends_on: {db: {condition: service_healthy}}
  cache:
    image: ${TEST_IMAGE}
    command: ${SLEEPER}
`);
    const up = run(['up', '-d']);
    // cache runs while web's start is held by the gate on db (db is not healthy until told).
    await eventually(async () => (await runtime.inspectContainer(`${p}-cache-1`)).running, 'cache running');
    await eventually(async () => (await runtime.inspectContainer(`${p}-db-1`)).running, 'db running');
    const web = await runtime.inspectContainer(`${p}-web-1`).catch(() => undefined);
    expect(web?.running ?? false).toBe(false);
    await runtime.exec(`${p}-db-1`, { cmd: ['touch', '/tmp/ok'] });
    const r = await up;
    expect(r.code, r.stderr).toBe(0);
    expect((await runtime.inspectContainer(`${p}-web-1`)).running).toBe(true);
  });

  it('an optional dependency that turns unhealthy is skipped with a warning; the dependent starts', async () => {
    const { p, run } = setup('opt', `
services:
  db:
    image: ${TEST_IMAGE}
    command: ${SLEEPER}
    healthcheck: {test: ["CMD", "false"], interval: 500ms, retries: 1}
  web:
    image: ${TEST_IMAGE}
    command: ${SLEEPER}
    depends_on: {db: {condition: service_healthy, required: false}}
`);
    const r = await run(['up', '-d']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(new RegExp(`Container ${p}-db-1  Skipped \\(optional dependency: .*unhealthy`));
    expect((await runtime.inspectContainer(`${p}-web-1`)).running).toBe(true);
  });

  it('a failing pre_stop hook fails the plan\'s stop (down), naming the hook; the container keeps running and is not removed', async () => {
    const { p, run } = setup('prestop', `
services:
  app:
    image: ${TEST_IMAGE}
    command: ${SLEEPER}
    pre_stop:
      - command: ["sh", "-c", "echo refusing >&2; exit 4"]
`);
    expect((await run(['up', '-d'])).code).toBe(0);
    const r = await run(['down']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('service "app" pre_stop hook 0 (sh -c echo refusing >&2; exit 4) exited with code 4: refusing');
    expect((await runtime.inspectContainer(`${p}-app-1`)).running).toBe(true);
  });
});
