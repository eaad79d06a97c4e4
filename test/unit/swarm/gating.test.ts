import { describe, expect, it } from 'vitest';
import { gate } from '../../../src/swarm/manager/gating/index.js';
import type { Service, ServiceDependency, Task } from '../../../src/swarm/store/index.js';
import { validateBody } from '../../../src/swarm/store/index.js';
import { service as serviceBody, task as taskBody } from './store-fixtures.js';
import { mkService, mkTask, taskSpec } from './task-fixtures.js';

const hc = { test: ['CMD', 'true'], intervalMs: 1000, timeoutMs: 1000, retries: 3, startPeriodMs: 0 };
const withHealth = (() => {
  const s = taskSpec('db');
  return { ...s, container: { ...s.container, healthcheck: hc } };
})();

function api(deps: ServiceDependency[]): Service {
  const s = mkService('api', { replicas: 2 });
  return { ...s, spec: { ...s.spec, dependsOn: deps } };
}

function check(deps: ServiceDependency[], services: Service[], tasks: Task[]) {
  return gate({ service: api(deps), services, tasksOf: (id) => tasks.filter((t) => t.serviceId === id) });
}

const db = (o: { replicas?: number; healthcheck?: boolean; global?: boolean } = {}) =>
  mkService('db-id', { name: 'db', replicas: o.replicas ?? 2, ...(o.global ? { global: true } : {}), task: o.healthcheck === false ? taskSpec('db') : withHealth });

const run = (id: string, slot: number, health: Task['status']['health'] = null, desired: Task['desiredState'] = 'running') =>
  mkTask(id, 'db-id', slot, { state: 'running', nodeId: 'n1', health, desired });

describe('depends_on gating', () => {
  it.each<[string, ServiceDependency['condition'], Task[], string | null]>([
    ['healthy: none running', 'service_healthy', [], 'waiting for db: 0/2 tasks healthy'],
    ['healthy: one of two healthy', 'service_healthy', [run('a', 1, 'healthy'), run('b', 2, 'starting')], 'waiting for db: 1/2 tasks healthy'],
    ['healthy: both healthy', 'service_healthy', [run('a', 1, 'healthy'), run('b', 2, 'healthy')], null],
    ['healthy: a healthy task being shut down does not count', 'service_healthy', [run('a', 1, 'healthy'), run('b', 2, 'healthy', 'shutdown')], 'waiting for db: 1/2 tasks healthy'],
    ['started: one running', 'service_started', [run('a', 1), mkTask('b', 'db-id', 2, { state: 'assigned', nodeId: 'n2' })], 'waiting for db: 1/2 tasks running'],
    ['started: both running (health not needed)', 'service_started', [run('a', 1, 'starting'), run('b', 2, 'unhealthy')], null],
    [
      'completed: one exited 0, one failed',
      'service_completed_successfully',
      [mkTask('a', 'db-id', 1, { state: 'complete', nodeId: 'n1', exitCode: 0 }), mkTask('b', 'db-id', 2, { state: 'failed', nodeId: 'n1', exitCode: 3 })],
      'waiting for db: 1/2 tasks completed successfully (task b exited 3)',
    ],
    [
      'completed: the newest task of each slot counts',
      'service_completed_successfully',
      [
        mkTask('a', 'db-id', 1, { state: 'complete', nodeId: 'n1', exitCode: 0 }),
        mkTask('b1', 'db-id', 2, { state: 'failed', nodeId: 'n1', exitCode: 1, createdAt: 1, desired: 'shutdown' }),
        mkTask('b2', 'db-id', 2, { state: 'complete', nodeId: 'n1', exitCode: 0, createdAt: 2 }),
      ],
      null,
    ],
  ])('%s', (_name, condition, tasks, reason) => {
    const r = check([{ service: 'db', condition }], [db()], tasks);
    expect(r).toEqual(reason === null ? { open: true } : { open: false, reason });
  });

  it('resolves dependencies by id as well as by name', () => {
    expect(check([{ service: 'db-id', condition: 'service_started' }], [db()], [run('a', 1), run('b', 2)])).toEqual({ open: true });
  });

  it('names a missing dependency and one that can never be healthy', () => {
    expect(check([{ service: 'cache', condition: 'service_started' }], [db()], [])).toEqual({ open: false, reason: 'waiting for cache: service not found' });
    expect(check([{ service: 'db', condition: 'service_healthy' }], [db({ healthcheck: false })], [run('a', 1), run('b', 2)])).toEqual({
      open: false,
      reason: 'waiting for db: it has no healthcheck, so service_healthy cannot be met',
    });
  });

  it('joins the reasons of several dependencies; a dependency scaled to 0 is met', () => {
    const cache = mkService('cache', { replicas: 1 });
    const r = check(
      [
        { service: 'db', condition: 'service_healthy' },
        { service: 'cache', condition: 'service_started' },
      ],
      [db(), cache],
      [run('a', 1, 'healthy')],
    );
    expect(r).toEqual({ open: false, reason: 'waiting for db: 1/2 tasks healthy; waiting for cache: 0/1 tasks running' });
    expect(check([{ service: 'db', condition: 'service_healthy' }], [db({ replicas: 0 })], [])).toEqual({ open: true });
  });

  it('a global dependency needs every node it runs on', () => {
    const tasks = [mkTask('a', 'db-id', 0, { state: 'running', nodeId: 'n1', health: 'healthy' }), mkTask('b', 'db-id', 0, { state: 'starting', nodeId: 'n2' })];
    expect(check([{ service: 'db', condition: 'service_healthy' }], [db({ global: true })], tasks)).toEqual({ open: false, reason: 'waiting for db: 1/2 tasks healthy' });
  });

  it('a later failure of the dependency closes the gate again for new tasks only', () => {
    // The gate is a pure function of the dependency's tasks now: healthy -> open, one task fails
    // and is being replaced -> closed again. Running api tasks are never touched by gating.
    const healthy = [run('a', 1, 'healthy'), run('b', 2, 'healthy')];
    expect(check([{ service: 'db', condition: 'service_healthy' }], [db()], healthy)).toEqual({ open: true });
    const failed = [run('a', 1, 'healthy'), mkTask('b', 'db-id', 2, { state: 'failed', nodeId: 'n1', desired: 'shutdown' }), mkTask('c', 'db-id', 2, { state: 'pending' })];
    expect(check([{ service: 'db', condition: 'service_healthy' }], [db()], failed)).toEqual({ open: false, reason: 'waiting for db: 1/2 tasks healthy' });
  });

  it('objects written before dependsOn and health existed still decode, with the defaults', () => {
    const { dependsOn: _d, ...oldSpec } = db().spec;
    const body = validateBody('service', { ...serviceBody('s1'), spec: oldSpec });
    expect(body.spec.dependsOn).toEqual([]);
    const t = taskBody('t1', 's1', 1);
    const { health: _h, ...oldStatus } = t.status;
    expect(validateBody('task', { ...t, status: oldStatus }).status.health).toBeNull();
    expect(() => validateBody('task', { ...t, status: { ...t.status, health: 'fine' } })).toThrow(/status\.health/);
  });
});
