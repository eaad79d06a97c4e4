import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseConstraint, schedule, type ScheduleDecision } from '../../../src/swarm/manager/scheduler/index.js';
import type { Node, Task, TaskSpec } from '../../../src/swarm/store/index.js';
import { GiB, mkNode, mkTask, taskSpec } from './task-fixtures.js';

function spec(o: { mem?: number; cpu?: number; constraints?: string[]; prefs?: string[]; maxPerNode?: number } = {}): TaskSpec {
  const s = taskSpec();
  return {
    ...s,
    resources: { ...s.resources, reservations: { nanoCPUs: o.cpu ?? 0, memoryBytes: o.mem ?? 0 } },
    placement: { constraints: o.constraints ?? [], preferences: (o.prefs ?? []).map((p) => ({ spread: p })), maxReplicasPerNode: o.maxPerNode ?? 0 },
  };
}

function pending(n: number, serviceId = 'web', s: TaskSpec = spec()): Task[] {
  return Array.from({ length: n }, (_, i) => mkTask(`${serviceId}-${i + 1}`, serviceId, i + 1, { spec: s }));
}

function perNode(d: ScheduleDecision): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of d.placements) out[p.nodeId] = (out[p.nodeId] ?? 0) + 1;
  return out;
}

const run = (tasks: Task[], nodes: Node[], existing: Task[] = []) => schedule({ tasks, nodes, allTasks: [...existing, ...tasks] });

describe('scheduler: spread', () => {
  it('places 30 replicas on 3 nodes 10/10/10 in one batch', () => {
    const d = run(pending(30), [mkNode('n1'), mkNode('n2'), mkNode('n3')]);
    expect(d.unplaced).toEqual([]);
    expect(perNode(d)).toEqual({ n1: 10, n2: 10, n3: 10 });
  });

  it('counts tasks already running: fewest of this service first, then fewest overall', () => {
    const existing = [
      mkTask('w1', 'web', 1, { state: 'running', nodeId: 'n1' }),
      mkTask('w2', 'web', 2, { state: 'running', nodeId: 'n1' }),
      mkTask('o1', 'other', 1, { state: 'running', nodeId: 'n2' }),
      mkTask('gone', 'other', 2, { state: 'shutdown', nodeId: 'n3' }),
    ];
    const d = run([mkTask('w3', 'web', 3)], [mkNode('n1'), mkNode('n2'), mkNode('n3')], existing);
    // n2 and n3 have no web task; n3 has fewer tasks overall (the shut-down one does not count).
    expect(d.placements).toEqual([{ taskId: 'w3', nodeId: 'n3' }]);
  });

  it('honours spread preferences over node labels before node counts', () => {
    const nodes = [mkNode('a1', { labels: { zone: 'a' } }), mkNode('a2', { labels: { zone: 'a' } }), mkNode('b1', { labels: { zone: 'b' } })];
    const d = run(pending(6, 'web', spec({ prefs: ['node.labels.zone'] })), nodes);
    expect(perNode(d)).toEqual({ a1: 2, a2: 1, b1: 3 });
  });

  it('is deterministic whatever the input order', () => {
    const nodes = [mkNode('n1'), mkNode('n2'), mkNode('n3')];
    const tasks = pending(7);
    expect(run([...tasks].reverse(), [...nodes].reverse())).toEqual(run(tasks, nodes));
  });
});

describe('scheduler: filters and reasons', () => {
  it('keeps tasks pending with Swarm-style reasons', () => {
    const nodes = [mkNode('n1'), mkNode('n2'), mkNode('n3'), mkNode('n4', { state: 'down' })];
    const d = run(pending(1, 'db', spec({ mem: 8 * GiB })), nodes);
    expect(d.placements).toEqual([]);
    expect(d.unplaced).toEqual([{ taskId: 'db-1', reason: 'no suitable node (insufficient memory on 3 nodes; 1 node not available)' }]);
  });

  it.each([
    [['node.role==manager'], 'no suitable node (scheduling constraints not satisfied on 3 nodes)'],
    [['node.hostname==h9'], 'no suitable node (scheduling constraints not satisfied on 3 nodes)'],
    [['node.labels.zone=a'], 'no suitable node (invalid constraint "node.labels.zone=a": expected KEY==VALUE or KEY!=VALUE)'],
    [['node.colour==red'], expect.stringContaining('invalid constraint "node.colour==red": unknown key "node.colour"')],
  ])('constraint %j -> %s', (constraints, reason) => {
    const d = run(pending(1, 'web', spec({ constraints })), [mkNode('n1'), mkNode('n2'), mkNode('n3')]);
    expect(d.unplaced).toEqual([{ taskId: 'web-1', reason }]);
  });

  it.each([
    ['node.id==n2', ['n2']],
    ['node.id!=n2', ['n1', 'n3']],
    ['node.hostname==HOST-3', ['n3']],
    ['node.role==manager', ['n1']],
    ['node.labels.zone==a', ['n1', 'n2']],
    ['node.labels.zone != a', ['n3']],
  ])('constraint %s places only on %j', (c, allowed) => {
    const nodes = [mkNode('n1', { role: 'manager', labels: { zone: 'a' }, hostname: 'host-1' }), mkNode('n2', { labels: { zone: 'a' }, hostname: 'host-2' }), mkNode('n3', { hostname: 'host-3' })];
    const d = run(pending(6, 'web', spec({ constraints: [c] })), nodes);
    expect(d.unplaced).toEqual([]);
    expect(Object.keys(perNode(d)).sort()).toEqual(allowed);
  });

  it('subtracts reservations of tasks already on a node, and of tasks placed earlier in the batch', () => {
    const nodes = [mkNode('n1', { mem: 4 * GiB }), mkNode('n2', { mem: 4 * GiB })];
    const existing = [mkTask('big', 'other', 1, { state: 'running', nodeId: 'n1', spec: spec({ mem: 3 * GiB }) })];
    const d = run(pending(4, 'web', spec({ mem: GiB + 1 })), nodes, existing);
    // n1 has 1 GiB left: nothing fits; n2 takes 3 of 1 GiB + 1 byte.
    expect(perNode(d)).toEqual({ n2: 3 });
    expect(d.unplaced).toEqual([{ taskId: 'web-4', reason: 'no suitable node (insufficient memory on 2 nodes)' }]);
  });

  it('refuses cpu it does not have', () => {
    const d = run(pending(1, 'web', spec({ cpu: 3e9 })), [mkNode('n1', { cpu: 2e9 })]);
    expect(d.unplaced[0]?.reason).toBe('no suitable node (insufficient cpu on 1 node)');
  });

  it('limits replicas per node', () => {
    const d = run(pending(7, 'web', spec({ maxPerNode: 2 })), [mkNode('n1'), mkNode('n2'), mkNode('n3')]);
    expect(perNode(d)).toEqual({ n1: 2, n2: 2, n3: 2 });
    expect(d.unplaced).toEqual([{ taskId: 'web-7', reason: 'no suitable node (max replicas per node limit exceed on 3 nodes)' }]);
  });

  it('paused and drained nodes take no new tasks', () => {
    const d = run(pending(4), [mkNode('n1', { availability: 'pause' }), mkNode('n2', { availability: 'drain' }), mkNode('n3')]);
    expect(perNode(d)).toEqual({ n3: 4 });
  });

  it('a global task goes only to its own node, if that node can take it', () => {
    const g = [mkTask('g1', 'mon', 0, { nodeId: 'n1', spec: spec({ mem: GiB }) }), mkTask('g2', 'mon', 0, { nodeId: 'n2', spec: spec({ mem: 8 * GiB }) })];
    const d = run(g, [mkNode('n1'), mkNode('n2')]);
    expect(d.placements).toEqual([{ taskId: 'g1', nodeId: 'n1' }]);
    expect(d.unplaced).toEqual([{ taskId: 'g2', reason: 'no suitable node (insufficient memory on 1 node)' }]);
  });

  it('a global task whose node left says so', () => {
    const d = run([mkTask('g1', 'mon', 0, { nodeId: 'gone' })], [mkNode('n1')]);
    expect(d.unplaced).toEqual([{ taskId: 'g1', reason: 'no suitable node (node gone is not in the cluster)' }]);
  });

  it('no nodes at all', () => {
    expect(run(pending(1), []).unplaced[0]?.reason).toBe('no suitable node (no nodes in the cluster)');
  });

  it('parses constraints with spaces and both operators', () => {
    expect(parseConstraint(' node.labels.zone != b ')).toEqual({ key: 'node.labels.zone', op: '!=', value: 'b' });
    expect(parseConstraint('engine.labels.os==linux')).toEqual({ key: 'engine.labels.os', op: '==', value: 'linux' });
  });
});

describe('scheduler: properties', () => {
  const nodeArb = fc.record({
    ready: fc.boolean(),
    availability: fc.constantFrom('active', 'active', 'active', 'pause', 'drain'),
    zone: fc.constantFrom('a', 'b', undefined),
    mem: fc.integer({ min: 0, max: 8 }),
  });

  it('never places on an ineligible node and never over-reserves memory', () => {
    fc.assert(
      fc.property(
        fc.array(nodeArb, { minLength: 0, maxLength: 6 }),
        fc.integer({ min: 0, max: 40 }),
        fc.integer({ min: 0, max: 3 }),
        fc.constantFrom<string[]>([], ['node.labels.zone==a'], ['node.labels.zone!=a']),
        fc.integer({ min: 0, max: 3 }),
        (ns, count, memGiB, constraints, maxPerNode) => {
          const nodes = ns.map((n, i) =>
            mkNode(`n${i}`, { state: n.ready ? 'ready' : 'down', availability: n.availability as 'active', mem: n.mem * GiB, ...(n.zone ? { labels: { zone: n.zone } } : {}) }),
          );
          const d = run(pending(count, 'web', spec({ mem: memGiB * GiB, constraints, maxPerNode })), nodes);
          expect(d.placements.length + d.unplaced.length).toBe(count);
          const byId = new Map(nodes.map((n) => [n.id, n]));
          for (const [id, k] of Object.entries(perNode(d))) {
            const n = byId.get(id) as Node;
            expect(n.status.state).toBe('ready');
            expect(n.spec.availability).toBe('active');
            if (constraints[0] === 'node.labels.zone==a') expect(n.spec.labels['zone']).toBe('a');
            if (constraints[0] === 'node.labels.zone!=a') expect(n.spec.labels['zone']).not.toBe('a');
            expect(k * memGiB * GiB).toBeLessThanOrEqual(n.description?.resources.memoryBytes ?? 0);
            if (maxPerNode > 0) expect(k).toBeLessThanOrEqual(maxPerNode);
          }
          for (const u of d.unplaced) expect(u.reason).toMatch(/^no suitable node \(/);
        },
      ),
      { seed: 20261123, numRuns: 300 },
    );
  });

  it('spreads within one task when unconstrained', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 0, max: 100 }), fc.integer({ min: 0, max: 20 }), (nodeCount, count, other) => {
        const nodes = Array.from({ length: nodeCount }, (_, i) => mkNode(`n${i}`));
        // Tasks of another service skew the totals but must not skew this service's spread.
        const existing = Array.from({ length: other }, (_, i) => mkTask(`o${i}`, 'other', i + 1, { state: 'running', nodeId: `n${i % 2}` }));
        const d = run(pending(count), nodes, existing);
        expect(d.unplaced).toEqual([]);
        const counts = nodes.map((n) => perNode(d)[n.id] ?? 0);
        expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
      }),
      { seed: 7, numRuns: 200 },
    );
  });
});
