import { afterEach, describe, expect, it, vi } from 'vitest';
import { ReconcileLoop } from '../../../src/swarm/manager/loop-runner.js';
import { startLeaderLoops, type LeaderLoops } from '../../../src/swarm/manager/loops.js';
import { writeOrchestration } from '../../../src/swarm/manager/orchestrator-loop.js';
import { orchestrate } from '../../../src/swarm/manager/orchestrator/index.js';
import { ConflictError, createLocalStore, type MemoryStore, type ObjectBody, type Task } from '../../../src/swarm/store/index.js';
import { network, node, service, task as taskBody, taskSpec } from './store-fixtures.js';

/**
 * The leader loops on a real MemoryStore (LocalProposer): create objects the way the API would,
 * and watch the orchestrator, scheduler and updater converge the store. A fake agent plays the
 * workers' part (assigned -> running, desired shutdown -> shutdown).
 */

const running: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const stop of running.splice(0)) await stop();
});

function setup(): { store: MemoryStore; loops: LeaderLoops; logs: string[] } {
  const { store } = createLocalStore();
  const logs: string[] = [];
  let n = 0;
  const loops = startLeaderLoops({ store, log: (m) => logs.push(m), tickMs: 50, newId: () => `task${++n}` });
  running.push(() => loops.stop());
  return { store, loops, logs };
}

/** Moves tasks along as agents would report them; `health` decides what a running task reports. */
function fakeAgents(store: MemoryStore, health: (t: Task) => Task['status']['health'] = () => null): void {
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    void store
      .batch(async (b) => {
        for (const t of store.view((tx) => tx.find('task'))) {
          const s = t.status.state;
          if (t.desiredState === 'running' && s === 'assigned') {
            await b.update((tx) => void tx.update('task', { ...t, status: { ...t.status, state: 'running', timestamp: Date.now(), health: health(t) } }));
          } else if (t.desiredState === 'shutdown' && (s === 'assigned' || s === 'running')) {
            await b.update((tx) => void tx.update('task', { ...t, status: { ...t.status, state: 'shutdown', timestamp: Date.now() } }));
          }
        }
      })
      .catch(() => undefined)
      .finally(() => (busy = false));
  }, 20);
  running.push(() => clearInterval(timer));
}

async function addNodes(store: MemoryStore, ...ids: string[]): Promise<void> {
  await store.update((tx) => {
    for (const id of ids) tx.create('node', node(id));
  });
}

const tasksOf = (store: MemoryStore, serviceId: string) => store.view((tx) => tx.findTasksByService(serviceId));
const live = (store: MemoryStore, serviceId: string) => tasksOf(store, serviceId).filter((t) => t.desiredState === 'running');
function perNode(ts: readonly Task[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const t of ts) if (t.nodeId) out[t.nodeId] = (out[t.nodeId] ?? 0) + 1;
  return out;
}
const wait = { timeout: 5000, interval: 20 };

describe('leader loops on a MemoryStore', () => {
  it('a new service gets its tasks created and assigned, spread over the nodes; scaling follows', async () => {
    const { store, logs } = setup();
    await addNodes(store, 'n1', 'n2', 'n3');
    await store.update((tx) => tx.create('service', service('web', 'web', 6)));

    await vi.waitFor(() => {
      const ts = live(store, 'web');
      expect(ts.map((t) => t.status.state)).toEqual(Array(6).fill('assigned'));
      expect(perNode(ts)).toEqual({ n1: 2, n2: 2, n3: 2 });
      expect(ts.map((t) => t.slot).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6]);
    }, wait);

    await store.update((tx) => {
      const s = tx.getByName('service', 'web');
      if (s) tx.update('service', { ...s, spec: { ...s.spec, mode: { type: 'replicated', replicas: 9 } } });
    });
    await vi.waitFor(() => expect(perNode(live(store, 'web').filter((t) => t.status.state === 'assigned'))).toEqual({ n1: 3, n2: 3, n3: 3 }), wait);
    expect(logs).toEqual([]);
  });

  it('tasks on an overlay get addresses before they are placed, their nodes get gateways, and a full network is reported on the task', async () => {
    const { store } = setup();
    await addNodes(store, 'n1', 'n2');
    fakeAgents(store);
    const net = network('front', 'front');
    net.spec.ipam.configs = [{ subnet: '10.30.0.0/29', gateway: null, ipRange: null }]; // 6 host addresses
    const web = service('web', 'web', 3);
    web.spec.task = { ...taskSpec(), networks: [{ target: 'front', aliases: [] }] };
    await store.update((tx) => {
      tx.create('network', net);
      tx.create('service', web);
    });
    await vi.waitFor(() => {
      const ts = live(store, 'web');
      expect(ts.map((t) => t.status.state)).toEqual(['running', 'running', 'running']);
      expect(new Set(ts.map((t) => t.networks[0]?.addresses[0])).size).toBe(3);
      const nodes = store.view((tx) => tx.get('network', 'front'))?.allocation?.nodes.map((n) => n.nodeId);
      expect(nodes).toEqual(['n1', 'n2']);
    }, wait);
    // .1 and .6 are the nodes' gateways, .2 the VIP, .3-.5 the tasks: the network is full.
    await store.update((tx) => {
      const s = tx.get('service', 'web')!;
      tx.update('service', { ...s, spec: { ...s.spec, mode: { type: 'replicated', replicas: 5 } } });
    });
    await vi.waitFor(() => {
      const waiting = live(store, 'web').filter((t) => t.status.state === 'new');
      expect(waiting.map((t) => t.status.err)).toEqual(Array(2).fill('no address left on network front (6 of 6 in use)'));
    }, wait);
  });

  it('an unplaceable task stays pending with the reason, and is placed once a node can take it', async () => {
    const { store } = setup();
    await addNodes(store, 'n1');
    const big = service('db', 'db', 1);
    big.spec.task = { ...taskSpec(), resources: { limits: { nanoCPUs: 0, memoryBytes: 0 }, reservations: { nanoCPUs: 0, memoryBytes: 16 * 2 ** 30 } } };
    await store.update((tx) => tx.create('service', big));
    await vi.waitFor(() => {
      const [t] = live(store, 'db');
      expect(t?.status).toMatchObject({ state: 'pending', err: 'no suitable node (insufficient memory on 1 node)' });
    }, wait);
    await store.update((tx) => {
      const b = node('n2');
      tx.create('node', { ...b, description: b.description && { ...b.description, resources: { nanoCPUs: 4e9, memoryBytes: 32 * 2 ** 30 } } });
    });
    await vi.waitFor(() => expect(live(store, 'db')[0]?.status).toMatchObject({ state: 'assigned', err: null }), wait);
    expect(live(store, 'db')[0]?.nodeId).toBe('n2');
  });

  it('depends_on service_healthy: api tasks wait with a reason until db is healthy', async () => {
    const { store } = setup();
    await addNodes(store, 'n1', 'n2');
    let dbHealthy = false;
    fakeAgents(store, (t) => (t.serviceId === 'db' ? (dbHealthy ? 'healthy' : 'starting') : null));

    const db = service('db', 'db', 1);
    db.spec.task = { ...taskSpec(), container: { ...taskSpec().container, healthcheck: { test: ['CMD', 'true'], intervalMs: 100, timeoutMs: 100, retries: 1, startPeriodMs: 0 } } };
    const api: ObjectBody<'service'> = service('api', 'api', 2);
    api.spec.dependsOn = [{ service: 'db', condition: 'service_healthy' }];
    await store.update((tx) => {
      tx.create('service', db);
      tx.create('service', api);
    });

    await vi.waitFor(() => {
      expect(live(store, 'db')[0]?.status).toMatchObject({ state: 'running', health: 'starting' });
      expect(live(store, 'api').map((t) => [t.status.state, t.status.message])).toEqual([
        ['pending', 'waiting for db: 0/1 tasks healthy'],
        ['pending', 'waiting for db: 0/1 tasks healthy'],
      ]);
    }, wait);

    // The agent reports health on its next status write; the gate opens on that event.
    const healthyAt = Date.now();
    dbHealthy = true;
    await store.update((tx) => {
      const t = tx.findTasksByService('db')[0] as Task;
      tx.update('task', { ...t, status: { ...t.status, health: 'healthy', timestamp: Date.now() } });
    });
    await vi.waitFor(() => expect(live(store, 'api').map((t) => t.status.state)).toEqual(['running', 'running']), wait);
    for (const t of live(store, 'api')) expect(t.status.timestamp).toBeGreaterThanOrEqual(healthyAt);
  });

  it('a rolling update replaces every task and records completion', async () => {
    const { store } = setup();
    await addNodes(store, 'n1', 'n2', 'n3');
    fakeAgents(store);
    const web = service('web', 'web', 4);
    web.spec.update = { parallelism: 2, delayMs: 0, failureAction: 'pause', monitorMs: 0, maxFailureRatio: 0, order: 'start-first' };
    await store.update((tx) => tx.create('service', web));
    await vi.waitFor(() => expect(live(store, 'web').filter((t) => t.status.state === 'running')).toHaveLength(4), wait);

    await store.update((tx) => {
      const s = tx.get('service', 'web');
      if (s) tx.update('service', { ...s, previousSpec: s.spec, spec: { ...s.spec, task: taskSpec('busybox:2') }, updateStatus: null });
    });
    await vi.waitFor(() => {
      const s = store.view((tx) => tx.get('service', 'web'));
      expect(s?.updateStatus?.state).toBe('completed');
      const ts = live(store, 'web');
      expect(ts.map((t) => `${t.slot}:${t.spec.container.image}:${t.status.state}`).sort()).toEqual(['1:busybox:2:running', '2:busybox:2:running', '3:busybox:2:running', '4:busybox:2:running']);
    }, wait);
  });

  it('stop() ends every loop: nothing is written afterwards', async () => {
    const { store, loops } = setup();
    await addNodes(store, 'n1');
    await loops.stop();
    const before = store.index;
    await store.update((tx) => tx.create('service', service('late', 'late', 3)));
    await new Promise((r) => setTimeout(r, 200));
    expect(store.index).toBe(before + 1);
    expect(tasksOf(store, 'late')).toEqual([]);
  });
});

describe('loop runner', () => {
  it('a step that loses a version race is retried on the next tick without a log line; other errors are logged once', async () => {
    const { store } = createLocalStore();
    const logs: string[] = [];
    let calls = 0;
    const loop = new ReconcileLoop({
      name: 'test',
      store,
      kinds: ['service'],
      log: (m) => logs.push(m),
      now: Date.now,
      tickMs: 20,
      step: () => {
        calls += 1;
        if (calls === 1) return Promise.reject(new ConflictError('version', 'service/x changed'));
        if (calls <= 4) return Promise.reject(new Error('no leader'));
        return Promise.resolve(null);
      },
    }).start();
    running.push(() => loop.stop());
    await vi.waitFor(() => expect(loop.runs).toBeGreaterThanOrEqual(1), wait);
    expect(loop.failures).toBe(4);
    expect(logs).toEqual(['test: no leader']);
  });

  it('orchestrator writes skip a task that changed since the decision; the next run decides again', async () => {
    const { store } = createLocalStore();
    await store.update((tx) => {
      tx.create('node', node('n1'));
      tx.create('service', service('web', 'web', 1));
      const t = taskBody('t1', 'web', 1, 'n1');
      tx.create('task', { ...t, status: { ...t.status, state: 'failed', exitCode: 1 } });
    });
    const decide = () =>
      store.view((tx) => orchestrate({ services: tx.find('service'), tasks: tx.find('task'), nodes: tx.find('node'), now: Date.now(), newId: () => `r${tx.index}` }));
    const stale = decide();
    expect(stale.setDesired.map((d) => d.task.id)).toEqual(['t1']);
    // The agent writes meanwhile: the decision's version of t1 is gone.
    await store.update((tx) => {
      const t = tx.get('task', 't1') as Task;
      tx.update('task', { ...t, status: { ...t.status, message: 'late report' } });
    });
    await writeOrchestration(store, { ...stale, create: [] });
    expect(store.view((tx) => tx.get('task', 't1'))?.desiredState).toBe('running');
    await writeOrchestration(store, decide());
    expect(store.view((tx) => tx.get('task', 't1'))?.desiredState).toBe('shutdown');
  });
});
