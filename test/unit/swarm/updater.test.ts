import { describe, expect, it } from 'vitest';
import { decideUpdate } from '../../../src/swarm/manager/updater/index.js';
import type { Service, Task, UpdateConfig } from '../../../src/swarm/store/index.js';
import { ids, mkNode, mkService, mkTask, taskSpec, World } from './task-fixtures.js';

function worldWith(replicas: number, update: Partial<UpdateConfig>): World {
  const w = new World();
  for (const n of ['n1', 'n2', 'n3']) w.addNode(mkNode(n));
  w.setService(mkService('web', { replicas, task: taskSpec('app:v1'), update }));
  w.settle();
  return w;
}

/** What `service update --image` does: new spec, old one kept for rollback, status reset. */
function release(w: World, image: string): void {
  const s = w.service('web');
  w.setService({ ...s, previousSpec: s.spec, spec: { ...s.spec, task: taskSpec(image) }, updateStatus: null });
}

/** Everything but the updater: orchestrator, scheduler, agents. */
function converge(w: World, outcome?: (t: Task) => 'running' | 'failed'): void {
  for (let i = 0; i < 10; i++) {
    const a = w.orchestrate();
    const d = w.schedule();
    const g = w.agents(outcome);
    if (a.create.length + a.setDesired.length + a.delete.length + d.placements.length + g === 0) return;
  }
}

const images = (ts: readonly Task[]) => ts.map((t) => `${t.slot}:${t.spec.container.image}`).sort();
const slots = (ts: readonly Task[]) => ts.map((t) => t.slot).sort((a, b) => a - b);

describe('updater: stop-first', () => {
  it('replaces `parallelism` slots per batch, in slot order, with the delay after each batch is up', () => {
    const w = worldWith(6, { parallelism: 2, delayMs: 10_000, monitorMs: 5_000 });
    release(w, 'app:v2');

    const d1 = w.update('web');
    expect(w.service('web').updateStatus).toMatchObject({ state: 'updating', startedAt: w.now });
    expect(slots(d1.shutdown)).toEqual([1, 2]);
    expect(d1.create).toEqual([]);
    // In progress: the updater waits while the orchestrator refills the stopped slots.
    expect(w.update('web').shutdown).toEqual([]);

    converge(w);
    const up = w.now;
    expect(images(w.running('web'))).toEqual(['1:app:v2', '2:app:v2', '3:app:v1', '4:app:v1', '5:app:v1', '6:app:v1']);
    const d2 = w.update('web');
    expect(d2.shutdown).toEqual([]);
    expect(d2.wakeAt).toBe(up + 10_000);

    w.now = up + 10_000;
    expect(slots(w.update('web').shutdown)).toEqual([3, 4]);
    converge(w);
    w.now += 10_000;
    expect(slots(w.update('web').shutdown)).toEqual([5, 6]);
    converge(w);
    const last = w.now;
    expect(w.running('web').every((t) => t.spec.container.image === 'app:v2')).toBe(true);

    // Complete only after the last batch has been watched for the monitor period.
    expect(w.update('web').wakeAt).toBe(last + 5_000);
    expect(w.service('web').updateStatus?.state).toBe('updating');
    w.now = last + 5_000;
    w.update('web');
    expect(w.service('web').updateStatus).toMatchObject({ state: 'completed', completedAt: last + 5_000, message: 'update completed' });
    expect(w.running('web')).toHaveLength(6);
  });

  it('a global service updates stop-first one node at a time', () => {
    const w = new World();
    for (const n of ['n1', 'n2', 'n3']) w.addNode(mkNode(n));
    w.setService(mkService('mon', { global: true, task: taskSpec('v1'), update: { parallelism: 1 } }));
    w.settle();
    const s = w.service('mon');
    w.setService({ ...s, previousSpec: s.spec, spec: { ...s.spec, task: taskSpec('v2') }, updateStatus: null });
    let maxDown = 0;
    for (let i = 0; i < 40 && w.service('mon').updateStatus?.state !== 'completed'; i++) {
      w.update('mon');
      w.orchestrate();
      w.schedule();
      maxDown = Math.max(maxDown, 3 - w.running('mon').length);
      w.agents();
      w.now += 1000;
    }
    expect(w.service('mon').updateStatus?.state).toBe('completed');
    expect(maxDown).toBe(1);
    expect(w.running('mon').map((t) => `${t.nodeId}:${t.spec.container.image}`).sort()).toEqual(['n1:v2', 'n2:v2', 'n3:v2']);
  });

  it('parallelism 0 replaces every slot at once', () => {
    const w = worldWith(4, { parallelism: 0 });
    release(w, 'app:v2');
    expect(slots(w.update('web').shutdown)).toEqual([1, 2, 3, 4]);
  });
});

describe('updater: start-first', () => {
  it('starts the new task before stopping the old one, never dropping below the replica count', () => {
    const w = worldWith(3, { parallelism: 1, order: 'start-first' });
    release(w, 'app:v2');
    const d1 = w.update('web');
    expect(d1.shutdown).toEqual([]);
    expect(d1.create.map((t) => [t.slot, t.spec.container.image])).toEqual([[1, 'app:v2']]);

    let minRunning = Infinity;
    for (let i = 0; i < 20 && w.service('web').updateStatus?.state !== 'completed'; i++) {
      converge(w);
      minRunning = Math.min(minRunning, w.running('web').length);
      w.update('web');
      w.now += 1000;
    }
    expect(w.service('web').updateStatus?.state).toBe('completed');
    expect(minRunning).toBeGreaterThanOrEqual(3);
    converge(w);
    expect(images(w.running('web'))).toEqual(['1:app:v2', '2:app:v2', '3:app:v2']);
  });

  it('for a global service the new task is made on the same node', () => {
    const s: Service = mkService('mon', { global: true, update: { order: 'start-first' }, task: taskSpec('v2') });
    const tasks = [mkTask('a', 'mon', 0, { nodeId: 'n1', state: 'running', spec: taskSpec('v1') }), mkTask('b', 'mon', 0, { nodeId: 'n2', state: 'running', spec: taskSpec('v1') })];
    const d = decideUpdate({ service: s, tasks, nodes: [mkNode('n1'), mkNode('n2')], now: 10, newId: ids('new') });
    expect(d.create.map((t) => [t.nodeId, t.slot, t.spec.container.image])).toEqual([['n1', 0, 'v2']]);
  });
});

describe('updater: failures', () => {
  const broken = (t: Task) => (t.spec.container.image === 'app:broken' ? 'failed' : 'running');

  it('rolls back automatically after a failed batch and ends on the old spec', () => {
    const w = worldWith(6, { parallelism: 2, failureAction: 'rollback', monitorMs: 2000 });
    w.settle();
    release(w, 'app:broken');
    const first = w.update('web');
    expect(first.shutdown).toHaveLength(2);
    converge(w, broken);
    w.update('web');
    const s = w.service('web');
    expect(s.updateStatus).toMatchObject({ state: 'rollback-started', startedAt: w.now });
    expect(s.updateStatus?.message).toMatch(/^update rolled back due to failure or early termination of task t\d+$/);
    expect(s.spec.task.container.image).toBe('app:v1');
    expect(s.previousSpec?.task.container.image).toBe('app:broken');

    w.settle({ outcome: broken });
    expect(w.service('web').updateStatus?.state).toBe('rollback-completed');
    expect(images(w.running('web'))).toEqual([1, 2, 3, 4, 5, 6].map((i) => `${i}:app:v1`));
    // Only the first batch ever ran the broken image.
    expect(new Set(w.tasks.filter((t) => t.spec.container.image === 'app:broken').map((t) => t.slot))).toEqual(new Set([1, 2]));
  });

  it('pauses on failure with failureAction pause and then does nothing more', () => {
    const w = worldWith(4, { parallelism: 1, failureAction: 'pause' });
    release(w, 'app:broken');
    w.update('web');
    converge(w, broken);
    w.update('web');
    expect(w.service('web').updateStatus).toMatchObject({ state: 'paused' });
    expect(w.service('web').updateStatus?.message).toMatch(/^update paused due to failure or early termination of task t\d+$/);
    w.now += 60_000;
    converge(w, broken);
    const d = w.update('web');
    expect(d).toEqual({ service: null, shutdown: [], create: [], wakeAt: null });
    expect(w.live('web').filter((t) => t.spec.container.image === 'app:v1')).toHaveLength(3);
  });

  it('tolerates failures up to maxFailureRatio and goes on', () => {
    const w = worldWith(4, { parallelism: 1, failureAction: 'pause', maxFailureRatio: 0.25 });
    release(w, 'app:v2');
    let failedOnce = false;
    const flaky = (t: Task): 'running' | 'failed' => {
      if (t.spec.container.image === 'app:v2' && !failedOnce) {
        failedOnce = true;
        return 'failed';
      }
      return 'running';
    };
    for (let i = 0; i < 30 && w.service('web').updateStatus?.state !== 'completed'; i++) {
      w.update('web');
      converge(w, flaky);
      w.now += 1000;
    }
    expect(failedOnce).toBe(true);
    expect(w.service('web').updateStatus?.state).toBe('completed');
    expect(images(w.running('web'))).toEqual(['1:app:v2', '2:app:v2', '3:app:v2', '4:app:v2']);
  });

  it('a pause on failure during a rollback is rollback-paused (never a rollback of a rollback)', () => {
    const s = mkService('web', { replicas: 2, task: taskSpec('v1'), update: { failureAction: 'rollback' } });
    const rolling: Service = { ...s, previousSpec: { ...s.spec, task: taskSpec('v2') }, updateStatus: { state: 'rollback-started', startedAt: 100, completedAt: null, message: '' } };
    const tasks = [mkTask('x', 'web', 1, { state: 'failed', nodeId: 'n1', spec: taskSpec('v1'), createdAt: 200, exitCode: 1 }), mkTask('y', 'web', 2, { state: 'running', nodeId: 'n1', spec: taskSpec('v2') })];
    const d = decideUpdate({ service: rolling, tasks, nodes: [mkNode('n1')], now: 300, newId: ids() });
    expect(d.service?.updateStatus?.state).toBe('rollback-paused');
    expect(d.service?.spec.task.container.image).toBe('v1');
  });
});

describe('updater: nothing to do', () => {
  it('a service whose tasks all run its spec starts no update', () => {
    const s = mkService('web', { replicas: 2 });
    const tasks = [mkTask('a', 'web', 1, { state: 'running', nodeId: 'n1' }), mkTask('b', 'web', 2, { state: 'running', nodeId: 'n1' })];
    expect(decideUpdate({ service: s, tasks, nodes: [mkNode('n1')], now: 1, newId: ids() })).toEqual({ service: null, shutdown: [], create: [], wakeAt: null });
  });
});
