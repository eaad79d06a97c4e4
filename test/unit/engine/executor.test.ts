/**
 * The plan executor on a FakeRuntime (test/helpers/fake-runtime.ts): ordering, parallelism,
 * failure handling, depends_on gates and lifecycle hooks, shown as the calls it makes. Each of
 * these behaviours is also tested on the real engine (test/integration): ordering and the healthy
 * gate in compose-up, failures, unhealthy gates and the removal of a container that could not
 * start in compose-errors, post_start hooks in compose-hooks; parallel work while a gate waits,
 * a skipped optional gate and a failing pre_stop hook in compose-executor; a volume already gone
 * in compose-recreate-flags (`down -v` after `-V`).
 */
import { describe, expect, it } from 'vitest';
import { executePlan, PlanFailedError, reportPlan } from '../../../src/engine/executor.js';
import type { Plan } from '../../../src/engine/plan.js';
import type { ProgressEvent } from '../../../src/engine/progress.js';
import { planUp } from '../../../src/engine/reconcile.js';
import { RuntimeError } from '../../../src/runtime/errors.js';
import type { ObservedState } from '../../../src/engine/observed.js';
import { FakeRuntime } from '../../helpers/fake-runtime.js';
import { dep, project, service } from '../../fixtures/engine/project.js';

const empty: ObservedState = { containers: [], networks: [], volumes: [] };
const imageIds = { db: 'sha256:img', web: 'sha256:img', cache: 'sha256:img' };
const healthcheck = { test: ['CMD', 'true'] };

/** Lets the executor's pending calls and polls run (the fake yields once per call; gates poll every 50 ms). */
const settle = (ms = 120) => new Promise((r) => setTimeout(r, ms));

describe('executePlan', () => {
  it('starts an operation only once those it waits for succeeded, and runs independent ones in parallel', async () => {
    const p = project('x', [service('db'), service('web', { depends_on: { db: dep('service_started') } }), service('cache')]);
    const fake = new FakeRuntime();
    const db = fake.hold('createContainer', 'x-db-1');
    const run = executePlan(fake, planUp(p, empty, { imageIds }));
    await db.started;
    await settle();
    // While db's create is held, the other creates went ahead; nothing of db's or its dependents' starts did.
    expect(fake.trace('createContainer').sort()).toEqual(['createContainer x-cache-1', 'createContainer x-db-1', 'createContainer x-web-1']);
    expect(fake.trace('startContainer')).not.toContain('startContainer x-db-1');
    expect(fake.trace('startContainer')).not.toContain('startContainer x-web-1');
    expect(fake.peakInFlight).toBeGreaterThanOrEqual(2);
    db.release();
    await run;
    const order = fake.trace('createNetwork', 'createContainer', 'startContainer', 'inspectContainer');
    expect(order[0]).toBe('createNetwork x_default');
    // web's start comes after db's start and after the gate's look at db.
    expect(order.indexOf('startContainer x-web-1')).toBeGreaterThan(order.indexOf('startContainer x-db-1'));
    expect(order.indexOf('startContainer x-web-1')).toBeGreaterThan(order.indexOf('inspectContainer x-db-1'));
    expect([...fake.containers.values()].map((c) => `${c.spec.name}:${c.status}`).sort()).toEqual(['x-cache-1:running', 'x-db-1:running', 'x-web-1:running']);
  });

  it('a failed operation stops its dependents: PlanFailedError names it and the services not started; the container it created is removed', async () => {
    const p = project('f', [service('db'), service('web', { depends_on: { db: dep('service_started') } })]);
    const fake = new FakeRuntime().fail('startContainer', new RuntimeError('port-allocated', 'start f-db-1: port is already allocated'), 'f-db-1');
    const err = await executePlan(fake, planUp(p, empty, { imageIds })).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(PlanFailedError);
    const failed = err as PlanFailedError;
    expect(failed.message).toBe('start f-db-1: port is already allocated\nnot started: db, web');
    expect(failed.failures.map((f) => f.op.kind)).toEqual(['start-container']);
    expect(failed.notStarted).toEqual(['db', 'web']);
    // The gate and the start that wait on db never ran; db's container went, so the next up starts clean.
    expect(fake.trace('startContainer')).toEqual(['startContainer f-db-1']);
    expect(fake.trace('inspectContainer')).toEqual([]);
    expect(fake.trace('removeContainer')).toEqual(['removeContainer f-db-1']);
    expect(fake.containers.has('f-db-1')).toBe(false);
  });

  it('a service_healthy gate holds the dependent start until the dependency is healthy', async () => {
    const p = project('h', [service('db', { healthcheck }), service('web', { depends_on: { db: dep('service_healthy') } })]);
    const fake = new FakeRuntime();
    const run = executePlan(fake, planUp(p, empty, { imageIds }));
    await settle(200);
    expect(fake.containers.get('h-db-1')?.status).toBe('running');
    expect(fake.containers.get('h-web-1')?.status).toBe('created');
    expect(fake.trace('inspectContainer').length).toBeGreaterThan(1); // polled while starting
    fake.setHealth('h-db-1', 'healthy');
    await run;
    expect(fake.containers.get('h-web-1')?.status).toBe('running');
  });

  it('an unhealthy required dependency fails the plan; an optional one is skipped with a warning and the dependent starts', async () => {
    const required = project('u', [service('db', { healthcheck }), service('web', { depends_on: { db: dep('service_healthy') } })]);
    const fake = new FakeRuntime();
    const run = executePlan(fake, planUp(required, empty, { imageIds })).then(() => undefined, (e: unknown) => e);
    await settle();
    fake.setHealth('u-db-1', 'unhealthy', 'probe said no');
    const err = await run;
    expect(err).toBeInstanceOf(PlanFailedError);
    expect((err as Error).message).toMatch(/u-db-1.*is unhealthy \(last health check exit 1: probe said no\)[\s\S]*not started: web/);
    expect(fake.containers.get('u-web-1')?.status).toBe('created');

    const optional = project('o', [service('db', { healthcheck }), service('web', { depends_on: { db: dep('service_healthy', { required: false }) } })]);
    const fake2 = new FakeRuntime();
    const events: ProgressEvent[] = [];
    const run2 = executePlan(fake2, planUp(optional, empty, { imageIds }), { progress: (e) => events.push(e) });
    await settle();
    fake2.setHealth('o-db-1', 'unhealthy');
    await run2;
    expect(fake2.containers.get('o-web-1')?.status).toBe('running');
    expect(events.find((e) => e.text === 'Skipped')).toMatchObject({ status: 'warning', resource: 'Container o-db-1' });
  });

  it('runs post_start hooks in the container after its start, and pre_stop hooks before its stop; a failing hook fails its operation', async () => {
    const hook = { command: ['sh', '-c', 'echo hi'] };
    const p = project('k', [service('web', { post_start: [hook], pre_stop: [hook] })]);
    const fake = new FakeRuntime();
    await executePlan(fake, planUp(p, empty, { imageIds }));
    expect(fake.trace('startContainer', 'exec')).toEqual(['startContainer k-web-1', 'exec k-web-1']);

    const stop: Plan = { operations: [{ id: 1, kind: 'stop-container', name: 'k-web-1', service: 'web', hooks: [hook], deps: [], cause: 'test' }], warnings: [] };
    fake.calls.length = 0;
    await executePlan(fake, stop);
    expect(fake.trace('exec', 'stopContainer')).toEqual(['exec k-web-1', 'stopContainer k-web-1']);

    await fake.startContainer('k-web-1');
    fake.onExec(() => ({ exitCode: 3, stdout: '', stderr: 'nope' }));
    fake.calls.length = 0;
    const err = await executePlan(fake, stop).then(() => undefined, (e: unknown) => e);
    expect((err as Error).message).toContain('service "web" pre_stop hook 0 (sh -c echo hi) exited with code 3: nope');
    // The stop waits for its hooks: a failed hook leaves the container running.
    expect(fake.trace('stopContainer')).toEqual([]);
  });

  it('a volume already gone when its remove-volume runs counts as removed', async () => {
    const fake = new FakeRuntime();
    await executePlan(fake, { operations: [{ id: 1, kind: 'remove-volume', name: 'gone', deps: [], cause: 'down --volumes' }], warnings: [] });
    expect(fake.trace()).toEqual(['removeVolume gone']);
  });
});

describe('reportPlan (--dry-run)', () => {
  it('prints one line per operation with its cause, and calls nothing', () => {
    const p = project('d', [service('web')]);
    const events: ProgressEvent[] = [];
    reportPlan(planUp(p, empty, { imageIds }), (e) => events.push(e));
    expect(events.map((e) => `${e.resource}  ${e.text} (${e.detail})`)).toEqual([
      'DRY-RUN MODE - Network d_default  Created (missing)',
      'DRY-RUN MODE - Container d-web-1  Created (missing)',
      'DRY-RUN MODE - Container d-web-1  Started (missing)',
    ]);
  });
});
