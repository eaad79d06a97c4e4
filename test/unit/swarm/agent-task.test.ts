import { describe, expect, it } from 'vitest';
import type { ContainerInfo } from '../../../src/runtime/index.js';
import { TASK_LABELS, taskContainerName, taskContainerSpec } from '../../../src/swarm/agent/task-container.js';
import { observeContainer, quickObserve } from '../../../src/swarm/agent/task-observation.js';
import type { ContainerSummary } from '../../../src/runtime/index.js';
import { applyTaskReports, assignmentsFor } from '../../../src/swarm/manager/assignments.js';
import type { Task } from '../../../src/swarm/store/index.js';
import { newStore, node, service, task } from './store-fixtures.js';

function assigned(t: ReturnType<typeof task>): { task: Task; serviceName: string } {
  return { task: { ...t, meta: { version: 1, createdAt: 0, updatedAt: 0 } }, serviceName: 'web' };
}

function container(over: Partial<ContainerInfo>): ContainerInfo {
  return {
    id: 'c1', name: 'x', image: 'busybox', imageId: 'sha', labels: {}, status: 'running', running: true, paused: false, restarting: false,
    exitCode: 0, oomKilled: false, pid: 1, createdAt: '2026-01-01T00:00:00Z', startedAt: '2026-01-01T00:00:01Z', restartCount: 0, tty: false,
    networks: {}, ports: [], mounts: [], ...over,
  };
}

describe('a task as a container', () => {
  it('is named and labelled as Swarm does, with the engine never restarting it', () => {
    const t = task('t1', 's1', 3, 'n1');
    t.spec.container.healthcheck = { test: ['CMD', 'true'], intervalMs: 200, timeoutMs: 1000, retries: 3, startPeriodMs: 0 };
    t.spec.resources.limits = { nanoCPUs: 5e8, memoryBytes: 64 * 2 ** 20 };
    t.spec.container.mounts = [{ type: 'tmpfs', source: '', target: '/scratch', readOnly: false }];
    const spec = taskContainerSpec(assigned(t), 'n1');
    expect(spec.name).toBe('web.3.t1');
    expect(spec.labels).toMatchObject({ [TASK_LABELS.task]: 't1', [TASK_LABELS.service]: 's1', [TASK_LABELS.node]: 'n1', [TASK_LABELS.slot]: '3', [TASK_LABELS.serviceName]: 'web' });
    expect(spec.cmd).toEqual(['sleep', '1000']);
    expect(spec.entrypoint).toBeUndefined();
    expect(spec.healthcheck).toEqual({ test: ['CMD', 'true'], interval: 200e6, timeout: 1000e6, retries: 3, startPeriod: 0 });
    expect(spec.memory).toBe(64 * 2 ** 20);
    expect(spec.nanoCpus).toBe(5e8);
    expect(spec.restartPolicy).toEqual({ name: 'no' });
    expect(spec.stopTimeout).toBe(10);
    expect(spec.mounts).toEqual([{ type: 'tmpfs', target: '/scratch', readOnly: false }]);
    expect(spec.networkMode).toBe('bridge');
  });

  it('global tasks carry the node id where replicated ones carry the slot', () => {
    expect(taskContainerName(assigned(task('t2', 's1', 0, 'node9')))).toBe('web.node9.t2');
  });
});

describe('a task state read off its container', () => {
  it('follows Swarm: starting until healthy, failed when unhealthy, complete or failed by exit code', () => {
    expect(observeContainer('t', container({ health: { status: 'starting', failingStreak: 0 } }), 'running')).toMatchObject({ state: 'running', health: 'starting' });
    expect(observeContainer('t', container({ health: { status: 'healthy', failingStreak: 0 } }), 'running')).toMatchObject({ state: 'running', health: 'healthy' });
    expect(observeContainer('t', container({}), 'running')).toMatchObject({ state: 'running', health: null });
    const sick = observeContainer('t', container({ health: { status: 'unhealthy', failingStreak: 3, lastOutput: 'db not ready\n' } }), 'running');
    expect(sick).toMatchObject({ state: 'failed', health: 'unhealthy', err: 'task: unhealthy container (last probe: db not ready)' });
    expect(observeContainer('t', container({ running: false, exitCode: 0 }), 'running')).toMatchObject({ state: 'complete', exitCode: 0 });
    expect(observeContainer('t', container({ running: false, exitCode: 3 }), 'running')).toMatchObject({ state: 'failed', exitCode: 3, err: 'task: non-zero exit (3)' });
    expect(observeContainer('t', container({ running: false, exitCode: 137, oomKilled: true }), 'running').err).toBe('task: out of memory');
    expect(observeContainer('t', container({ running: false, exitCode: 143 }), 'shutdown').state).toBe('shutdown');
    expect(observeContainer('t', container({ running: false, startedAt: '0001-01-01T00:00:00Z' }), 'running').state).toBe('ready');
  });
});

describe('a steady task read off the engine list alone', () => {
  const summary = (statusText: string, status: ContainerSummary['status'] = 'running'): ContainerSummary => ({
    id: 'c1', name: 'x', image: 'i', imageId: 's', command: '', labels: {}, status, statusText, created: 0, ports: [], networks: [],
  });
  it('answers without an inspect only when nothing changed', () => {
    const known = { state: 'running' as const, health: 'healthy' as const, containerId: 'c1' };
    expect(quickObserve('t', summary('Up 3 minutes (healthy)'), known, 'running')).toMatchObject({ state: 'running', health: 'healthy', containerId: 'c1' });
    expect(quickObserve('t', summary('Up 3 minutes'), { ...known, health: null }, 'running')).toMatchObject({ health: null });
    // Changes, exits, sickness and stop requests need the full inspect.
    expect(quickObserve('t', summary('Up 1 second (health: starting)'), known, 'running')).toBeNull();
    expect(quickObserve('t', summary('Up 3 minutes (unhealthy)'), known, 'running')).toBeNull();
    expect(quickObserve('t', summary('Exited (1) 2 seconds ago', 'exited'), known, 'running')).toBeNull();
    expect(quickObserve('t', summary('Up 3 minutes (healthy)'), known, 'shutdown')).toBeNull();
    expect(quickObserve('t', summary('Up 3 minutes (healthy)'), { ...known, containerId: 'other' }, 'running')).toBeNull();
  });
});

describe('the dispatcher side', () => {
  it('hands a node its assigned tasks and those it must still stop, nothing else', async () => {
    const { store } = newStore();
    await store.update((tx) => {
      tx.create('node', node('n1'));
      tx.create('service', service('s1', 'web', 3));
      const assignedT = task('a', 's1', 1, 'n1');
      assignedT.status.state = 'assigned';
      tx.create('task', assignedT);
      tx.create('task', task('pending', 's1', 2, null));
      const other = task('other', 's1', 3, 'n2');
      other.status.state = 'assigned';
      tx.create('task', other);
      const stopping = task('stopping', 's1', 1, 'n1');
      stopping.desiredState = 'shutdown';
      stopping.status.state = 'running';
      tx.create('task', stopping);
      const done = task('done', 's1', 1, 'n1');
      done.desiredState = 'shutdown';
      done.status.state = 'shutdown';
      tx.create('task', done);
    });
    const got = assignmentsFor(store, 'n1');
    expect(got.tasks.map((a) => a.task.id).sort()).toEqual(['a', 'stopping']);
    expect(got.ids.sort()).toEqual(['a', 'stopping']);
    expect(got.tasks[0]!.serviceName).toBe('web');
    // Incremental: nothing changed since this answer -> no tasks, the same ids.
    const next = assignmentsFor(store, 'n1', undefined, got.index);
    expect(next.tasks).toEqual([]);
    expect(next.ids.sort()).toEqual(['a', 'stopping']);
    await store.update((tx) => {
      const t = tx.get('task', 'a')!;
      tx.update('task', { ...t, status: { ...t.status, state: 'running' } });
    });
    expect(assignmentsFor(store, 'n1', undefined, got.index).tasks.map((a) => a.task.id)).toEqual(['a']);
  });

  it('applies only a node\'s own reports, and only forward', async () => {
    const { store } = newStore();
    await store.update((tx) => {
      const t = task('a', 's1', 1, 'n1');
      t.status.state = 'assigned';
      tx.create('task', t);
      tx.create('task', { ...task('b', 's1', 2, 'n2'), status: { ...task('b', 's1', 2).status, state: 'assigned' } });
    });
    const rep = (taskId: string, state: 'running' | 'starting' | 'failed') => ({ taskId, state, message: state, err: null, exitCode: null, containerId: 'c', health: null });
    expect(await applyTaskReports(store, 'n1', [rep('a', 'running'), rep('b', 'running')])).toBe(1);
    expect(store.view((tx) => tx.get('task', 'b'))!.status.state).toBe('assigned');
    // A late "starting" after "running" changes nothing.
    expect(await applyTaskReports(store, 'n1', [rep('a', 'starting')])).toBe(0);
    expect(store.view((tx) => tx.get('task', 'a'))!.status.state).toBe('running');
    expect(await applyTaskReports(store, 'n1', [{ ...rep('a', 'failed'), exitCode: 2, err: 'task: non-zero exit (2)' }])).toBe(1);
    expect(store.view((tx) => tx.get('task', 'a'))!.status).toMatchObject({ state: 'failed', exitCode: 2 });
  });
});
