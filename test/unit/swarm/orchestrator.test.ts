import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { orchestrate, restartDecision } from '../../../src/swarm/manager/orchestrator/index.js';
import { indexNodes } from '../../../src/swarm/manager/task-model.js';
import type { Task } from '../../../src/swarm/store/index.js';
import { ids, mkNode, mkService, mkTask, taskSpec, World } from './task-fixtures.js';

const nodes3 = () => [mkNode('n1'), mkNode('n2'), mkNode('n3')];

function threeNodeWorld(): World {
  const w = new World();
  for (const n of nodes3()) w.addNode(n);
  return w;
}

describe('orchestrator: replicated services', () => {
  it('creates one new (awaiting the allocator), unassigned task per missing slot, copying the spec', () => {
    const s = mkService('web', { replicas: 3, version: 7 });
    const a = orchestrate({ services: [s], tasks: [mkTask('old', 'web', 2, { state: 'running', nodeId: 'n1' })], nodes: nodes3(), now: 5, newId: ids() });
    expect(a.create.map((t) => t.slot).sort()).toEqual([1, 3]);
    for (const t of a.create) {
      expect(t).toMatchObject({ serviceId: 'web', nodeId: null, desiredState: 'running', serviceVersion: 7, status: { state: 'new', timestamp: 5 } });
      expect(t.spec).toEqual(s.spec.task);
    }
    expect(a.setDesired).toEqual([]);
  });

  it('scales 30 -> 90 -> 0: new slots spread evenly, then every task is shut down and deleted', () => {
    const w = threeNodeWorld();
    w.setService(mkService('web', { replicas: 30 }));
    w.settle();
    expect(w.running('web')).toHaveLength(30);
    expect(w.perNode(w.running('web'))).toEqual({ n1: 10, n2: 10, n3: 10 });

    w.setService({ ...w.service('web'), spec: { ...w.service('web').spec, mode: { type: 'replicated', replicas: 90 } } });
    w.settle();
    expect(w.running('web')).toHaveLength(90);
    expect(new Set(w.running('web').map((t) => t.slot)).size).toBe(90);
    expect(w.perNode(w.running('web'))).toEqual({ n1: 30, n2: 30, n3: 30 });

    w.setService({ ...w.service('web'), spec: { ...w.service('web').spec, mode: { type: 'replicated', replicas: 0 } } });
    w.settle();
    expect(w.tasks).toEqual([]);
  });

  it('scales down by shutting the highest slots first and keeps the rest untouched', () => {
    const tasks = [1, 2, 3, 4, 5].map((s) => mkTask(`t${s}`, 'web', s, { state: 'running', nodeId: 'n1' }));
    const a = orchestrate({ services: [mkService('web', { replicas: 3 })], tasks, nodes: nodes3(), now: 0, newId: ids() });
    expect(a.setDesired.map((d) => [d.task.slot, d.desiredState])).toEqual([
      [5, 'shutdown'],
      [4, 'shutdown'],
    ]);
    expect(a.create).toEqual([]);
    expect(a.delete).toEqual([]);
  });

  it('waits for a stopping task before refilling its slot (stop before start)', () => {
    const stopping = mkTask('t1', 'web', 1, { state: 'running', nodeId: 'n1', desired: 'shutdown', spec: taskSpec('old') });
    const s = mkService('web', { replicas: 1 });
    expect(orchestrate({ services: [s], tasks: [stopping], nodes: nodes3(), now: 0, newId: ids() }).create).toEqual([]);
    const stopped = { ...stopping, status: { ...stopping.status, state: 'shutdown' as const } };
    expect(orchestrate({ services: [s], tasks: [stopped], nodes: nodes3(), now: 0, newId: ids() }).create).toHaveLength(1);
  });

  it('leaves tasks of an older spec to the updater', () => {
    const t = mkTask('t1', 'web', 1, { state: 'running', nodeId: 'n1', spec: taskSpec('old') });
    const a = orchestrate({ services: [mkService('web', { replicas: 1 })], tasks: [t], nodes: nodes3(), now: 0, newId: ids() });
    expect(a).toEqual({ create: [], setDesired: [], delete: [], wakeAt: null });
  });

  it('moves tasks off a drained node: shut down there, replaced at once, placed elsewhere', () => {
    const w = threeNodeWorld();
    w.setService(mkService('web', { replicas: 6 }));
    w.settle();
    expect(w.perNode(w.running('web'))).toEqual({ n1: 2, n2: 2, n3: 2 });
    w.addNode(mkNode('n2', { availability: 'drain' }));
    w.settle();
    expect(w.running('web')).toHaveLength(6);
    expect(w.perNode(w.running('web'))).toEqual({ n1: 3, n3: 3 });
    expect(w.tasks.filter((t) => t.nodeId === 'n2').every((t) => t.desiredState === 'shutdown')).toBe(true);
  });

  it('replaces the tasks of a node that went down, without waiting for the restart delay', () => {
    const w = threeNodeWorld();
    w.setService(mkService('web', { replicas: 30, task: { restartPolicy: { condition: 'any', delayMs: 60_000, maxAttempts: 0, windowMs: 0 } } }));
    w.settle();
    w.addNode(mkNode('n3', { state: 'down' }));
    w.settle();
    expect(w.running('web')).toHaveLength(30);
    expect(w.perNode(w.running('web'))).toEqual({ n1: 15, n2: 15 });
  });

  it('keeps a bounded history per slot, deleting the oldest finished tasks', () => {
    const failed = Array.from({ length: 8 }, (_, i) => mkTask(`f${i}`, 'web', 1, { state: 'failed', nodeId: 'n1', desired: 'shutdown', createdAt: i, ts: i }));
    const live = mkTask('live', 'web', 1, { state: 'running', nodeId: 'n1', createdAt: 100 });
    const a = orchestrate({ services: [mkService('web')], tasks: [...failed, live], nodes: nodes3(), now: 1000, newId: ids(), historyLimit: 5 });
    expect(a.delete.map((t) => t.id).sort()).toEqual(['f0', 'f1', 'f2']);
    expect(a.create).toEqual([]);
  });

  it('keeps enough history for maxAttempts even above the retention limit, and stops restarting when they are used up', () => {
    const s = mkService('web', { task: { restartPolicy: { condition: 'any', delayMs: 0, maxAttempts: 6, windowMs: 0 } } });
    const failed = Array.from({ length: 7 }, (_, i) => mkTask(`f${i}`, 'web', 1, { state: 'failed', nodeId: 'n1', desired: 'shutdown', createdAt: i, ts: i, exitCode: 1 }));
    const a = orchestrate({ services: [s], tasks: failed, nodes: nodes3(), now: 100, newId: ids(), historyLimit: 2 });
    expect(a.delete).toEqual([]);
    expect(a.create).toEqual([]);
    const six = orchestrate({ services: [s], tasks: failed.slice(1), nodes: nodes3(), now: 100, newId: ids(), historyLimit: 2 });
    expect(six.create).toHaveLength(1);
  });

  it('replaces tasks of a node that left the cluster and deletes them once they no longer hold the slot', () => {
    const gone = mkTask('t1', 'web', 1, { state: 'running', nodeId: 'n9' });
    const a = orchestrate({ services: [mkService('web')], tasks: [gone], nodes: nodes3(), now: 0, newId: ids() });
    expect(a.setDesired).toEqual([{ task: gone, desiredState: 'shutdown' }]);
    expect(a.create.map((t) => [t.slot, t.nodeId])).toEqual([[1, null]]);
  });

  it('winds down a removed service: desired shutdown first, deleted once stopped', () => {
    const running = mkTask('a', 'gone', 1, { state: 'running', nodeId: 'n1' });
    const a1 = orchestrate({ services: [], tasks: [running], nodes: nodes3(), now: 0, newId: ids() });
    expect(a1.setDesired).toEqual([{ task: running, desiredState: 'shutdown' }]);
    expect(a1.delete).toEqual([]);
    const stopping = { ...running, desiredState: 'shutdown' as const };
    expect(orchestrate({ services: [], tasks: [stopping], nodes: nodes3(), now: 0, newId: ids() }).delete).toEqual([]);
    const stopped = { ...stopping, status: { ...stopping.status, state: 'shutdown' as const } };
    expect(orchestrate({ services: [], tasks: [stopped], nodes: nodes3(), now: 0, newId: ids() }).delete).toEqual([stopped]);
  });
});

describe('orchestrator: restart policy', () => {
  const policy = (condition: 'none' | 'on-failure' | 'any', extra: { delayMs?: number; maxAttempts?: number; windowMs?: number } = {}) => ({
    condition,
    delayMs: extra.delayMs ?? 0,
    maxAttempts: extra.maxAttempts ?? 0,
    windowMs: extra.windowMs ?? 0,
  });
  const ended = (state: 'complete' | 'failed', ts = 1000, id = 'x') => mkTask(id, 'web', 1, { state, nodeId: 'n1', ts, exitCode: state === 'failed' ? 1 : 0 });

  it.each([
    ['none', 'complete', 'never'],
    ['none', 'failed', 'never'],
    ['on-failure', 'complete', 'never'],
    ['on-failure', 'failed', 'now'],
    ['any', 'complete', 'now'],
    ['any', 'failed', 'now'],
  ] as const)('condition %s, task %s -> %s', (condition, state, kind) => {
    const t = ended(state);
    expect(restartDecision(policy(condition), t, [t], indexNodes(nodes3()), 5000).kind).toBe(kind);
  });

  it('waits for the delay counted from when the task ended', () => {
    const t = ended('failed', 1000);
    expect(restartDecision(policy('any', { delayMs: 5000 }), t, [t], indexNodes(nodes3()), 3000)).toEqual({ kind: 'at', at: 6000 });
    expect(restartDecision(policy('any', { delayMs: 5000 }), t, [t], indexNodes(nodes3()), 6000)).toEqual({ kind: 'now' });
  });

  it('stops after maxAttempts restarts, counting only failures inside the window', () => {
    const hist = [ended('failed', 100, 'a'), ended('failed', 200, 'b'), ended('failed', 300, 'c')];
    const last = hist[2] as Task;
    const n = indexNodes(nodes3());
    // Three failures = the original plus two restarts: a third restart is still allowed with 3.
    expect(restartDecision(policy('any', { maxAttempts: 3 }), last, hist, n, 400).kind).toBe('now');
    expect(restartDecision(policy('any', { maxAttempts: 2 }), last, hist, n, 400)).toEqual({ kind: 'never', why: 'restart attempts exhausted (2)' });
    // With a 150 ms window only b and c count.
    expect(restartDecision(policy('any', { maxAttempts: 2, windowMs: 150 }), last, hist, n, 350).kind).toBe('now');
  });

  it('a failing slot is restarted after the delay and the orchestrator asks to be woken for it', () => {
    const s = mkService('web', { task: { restartPolicy: policy('on-failure', { delayMs: 5000 }) } });
    const t = mkTask('t1', 'web', 1, { state: 'failed', nodeId: 'n1', ts: 1000, exitCode: 2 });
    const a = orchestrate({ services: [s], tasks: [t], nodes: nodes3(), now: 2000, newId: ids() });
    expect(a.setDesired).toEqual([{ task: t, desiredState: 'shutdown' }]);
    expect(a.create).toEqual([]);
    expect(a.wakeAt).toBe(6000);
    const later = orchestrate({ services: [s], tasks: [{ ...t, desiredState: 'shutdown' }], nodes: nodes3(), now: 6000, newId: ids() });
    expect(later.create).toHaveLength(1);
    expect(later.create[0]?.slot).toBe(1);
  });

  it('a completed task under condition none stays finished even with history limit 0', () => {
    const s = mkService('job', { task: { restartPolicy: policy('none') } });
    const done = mkTask('t1', 'job', 1, { state: 'complete', nodeId: 'n1', desired: 'shutdown', exitCode: 0 });
    const a = orchestrate({ services: [s], tasks: [done], nodes: nodes3(), now: 0, newId: ids(), historyLimit: 0 });
    expect(a).toEqual({ create: [], setDesired: [], delete: [], wakeAt: null });
  });
});

describe('orchestrator: global services', () => {
  it('runs one task per ready, active, matching node, made with its node set', () => {
    const s = mkService('agent', { global: true, task: { placement: { constraints: ['node.labels.gpu!=no'], preferences: [], maxReplicasPerNode: 0 } } });
    const nodes = [mkNode('n1'), mkNode('n2', { availability: 'pause' }), mkNode('n3', { state: 'down' }), mkNode('n4', { labels: { gpu: 'no' } }), mkNode('n5')];
    const a = orchestrate({ services: [s], tasks: [], nodes, now: 0, newId: ids() });
    expect(a.create.map((t) => [t.nodeId, t.slot])).toEqual([
      ['n1', 0],
      ['n5', 0],
    ]);
  });

  it('a node that goes down loses its task; when it is back the new task waits for the old one to stop', () => {
    const s = mkService('agent', { global: true });
    const t = mkTask('t1', 'agent', 0, { state: 'running', nodeId: 'n1' });
    const down = orchestrate({ services: [s], tasks: [t], nodes: [mkNode('n1', { state: 'down' })], now: 0, newId: ids() });
    expect(down.setDesired).toEqual([{ task: t, desiredState: 'shutdown' }]);
    expect(down.create).toEqual([]);
    const stopping = { ...t, desiredState: 'shutdown' as const };
    expect(orchestrate({ services: [s], tasks: [stopping], nodes: [mkNode('n1')], now: 0, newId: ids() }).create).toEqual([]);
    const stopped = { ...stopping, status: { ...stopping.status, state: 'shutdown' as const } };
    expect(orchestrate({ services: [s], tasks: [stopped], nodes: [mkNode('n1')], now: 0, newId: ids() }).create.map((x) => x.nodeId)).toEqual(['n1']);
  });

  it('gives a node that joins later its task, keeps tasks on paused nodes and removes them from drained ones', () => {
    const w = new World();
    w.addNode(mkNode('n1'));
    w.addNode(mkNode('n2'));
    w.setService(mkService('agent', { global: true }));
    w.settle();
    expect(w.perNode(w.running('agent'))).toEqual({ n1: 1, n2: 1 });

    w.addNode(mkNode('n3'));
    w.settle();
    expect(w.perNode(w.running('agent'))).toEqual({ n1: 1, n2: 1, n3: 1 });

    w.addNode(mkNode('n1', { availability: 'pause' }));
    w.addNode(mkNode('n2', { availability: 'drain' }));
    w.settle();
    expect(w.perNode(w.running('agent'))).toEqual({ n1: 1, n3: 1 });
  });
});

describe('orchestrator + scheduler: convergence property', () => {
  type Op = { kind: 'scale'; n: number } | { kind: 'availability'; node: number; to: 'active' | 'pause' | 'drain' } | { kind: 'state'; node: number; to: 'ready' | 'down' };
  const op: fc.Arbitrary<Op> = fc.oneof(
    fc.record({ kind: fc.constant('scale' as const), n: fc.integer({ min: 0, max: 12 }) }),
    fc.record({ kind: fc.constant('availability' as const), node: fc.integer({ min: 1, max: 3 }), to: fc.constantFrom('active' as const, 'pause' as const, 'drain' as const) }),
    fc.record({ kind: fc.constant('state' as const), node: fc.integer({ min: 1, max: 3 }), to: fc.constantFrom('ready' as const, 'down' as const) }),
  );

  it('after any sequence of scaling and node changes: slots 1..N exactly, on usable nodes, nothing left above N', () => {
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 12 }), (ops) => {
        const w = new World();
        const state = new Map<number, { availability: 'active' | 'pause' | 'drain'; state: 'ready' | 'down' }>([1, 2, 3].map((i) => [i, { availability: 'active', state: 'ready' }]));
        const apply = () => {
          for (const [i, st] of state) w.addNode(mkNode(`n${i}`, st));
        };
        apply();
        let replicas = 3;
        w.setService(mkService('web', { replicas }));
        for (const o of ops) {
          if (o.kind === 'scale') {
            replicas = o.n;
            const s = w.service('web');
            w.setService({ ...s, spec: { ...s.spec, mode: { type: 'replicated', replicas } } });
          } else if (o.kind === 'availability') state.set(o.node, { ...(state.get(o.node) as { state: 'ready' | 'down' }), availability: o.to });
          else state.set(o.node, { ...(state.get(o.node) as { availability: 'active' }), state: o.to });
          apply();
          w.settle();

          const live = w.live('web');
          expect(live.map((t) => t.slot).sort((a, b) => a - b)).toEqual(Array.from({ length: replicas }, (_, i) => i + 1));
          const usable = [...state].filter(([, s]) => s.state === 'ready' && s.availability !== 'drain').map(([i]) => `n${i}`);
          const canPlace = [...state].some(([, s]) => s.state === 'ready' && s.availability === 'active');
          for (const t of live) {
            if (t.nodeId !== null) expect(usable).toContain(t.nodeId);
            if (canPlace) expect(t.status.state).toBe('running');
          }
          expect(w.tasks.filter((t) => t.slot > replicas)).toEqual([]);
          for (let s = 1; s <= replicas; s++) expect(w.tasks.filter((t) => t.slot === s).length).toBeLessThanOrEqual(6);
        }
      }),
      { seed: 42, numRuns: 150 },
    );
  });
});
