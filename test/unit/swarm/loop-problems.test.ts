/**
 * A control loop that fails on one service sets that service aside with a `problem` and goes on
 * with the others (manager/loop-problems.ts). First with a fake core that throws for one service,
 * then with the real leader loops on a store holding a poisonous service: replicas 1e9, which an
 * older build accepted (the store still decodes it) and which made every orchestrator pass fail.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { isolateServices, recordProblems, StillFailing } from '../../../src/swarm/manager/loop-problems.js';
import { startLeaderLoops } from '../../../src/swarm/manager/loops.js';
import { removeService, serviceViews, updateService } from '../../../src/swarm/manager/services-api.js';
import { createLocalStore, type MemoryStore, type Service, type Task } from '../../../src/swarm/store/index.js';
import { mkService, mkTask } from './task-fixtures.js';
import { node, service } from './store-fixtures.js';

const stops: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const s of stops.splice(0)) await s();
});

async function eventually(check: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A fake decision core: counts the tasks it was given per service, and throws on "poison". */
function fakeCore(services: readonly Service[], tasks: readonly Task[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of services) {
    if (s.spec.name === 'poison') throw new RangeError('Set maximum size exceeded');
    out[s.id] = tasks.filter((t) => t.serviceId === s.id).length;
  }
  return out;
}

describe('isolateServices', () => {
  const ok = mkService('ok', { name: 'ok' });
  const poison = mkService('bad', { name: 'poison' });
  const huge = mkService('huge', { name: 'huge', replicas: 1e9 });
  const tasks = [mkTask('t1', 'ok', 1), mkTask('t2', 'bad', 1), mkTask('t3', 'huge', 1), mkTask('orphan', 'gone', 1)];

  it('decides for the others and names the culprit, with its tasks left out', () => {
    const r = isolateServices([ok, poison, huge], tasks, fakeCore);
    expect(r.result).toEqual({ ok: 1 });
    expect([...r.problems.keys()].sort()).toEqual(['bad', 'huge']);
    expect(r.problems.get('bad')).toBe('Set maximum size exceeded');
    expect(r.problems.get('huge')).toMatch(/^spec out of bounds: mode\.replicas: 1000000000 is more than 10000$/);
  });

  it('makes one call when nothing fails', () => {
    let calls = 0;
    const r = isolateServices([ok], tasks, (s, t) => {
      calls++;
      return fakeCore(s, t);
    });
    expect(calls).toBe(1);
    expect(r.problems.size).toBe(0);
  });

  it('keeps a service it may not leave out, and says who failed', () => {
    expect(() => isolateServices([ok, poison], tasks, fakeCore, { mayExclude: () => false })).toThrow(StillFailing);
    try {
      isolateServices([ok, poison], tasks, fakeCore, { mayExclude: () => false });
    } catch (e) {
      expect((e as StillFailing).problems.get('bad')).toMatch(/Set maximum/);
    }
  });
});

describe('recordProblems', () => {
  it('writes only changes, never over another loop, and clears its own', async () => {
    const { store } = createLocalStore();
    await store.update((tx) => void tx.create('service', service('a', 'a')));
    const version = () => store.view((tx) => tx.get('service', 'a')!.meta.version);
    await recordProblems(store, 'orchestrator', new Map([['a', 'boom']]), 1);
    const v1 = version();
    await recordProblems(store, 'orchestrator', new Map([['a', 'boom']]), 2);
    expect(version()).toBe(v1);
    await recordProblems(store, 'scheduler', new Map([['a', 'other']]), 3);
    await recordProblems(store, 'scheduler', new Map(), 3);
    expect(store.view((tx) => tx.get('service', 'a')!.problem)).toEqual({ loop: 'orchestrator', message: 'boom', since: 1 });
    await recordProblems(store, 'orchestrator', new Map(), 4);
    expect(store.view((tx) => tx.get('service', 'a')!.problem)).toBeNull();
  });
});

describe('the leader loops with a poisonous service in the store', () => {
  async function setup(): Promise<{ store: MemoryStore; logs: string[] }> {
    const { store } = createLocalStore();
    const logs: string[] = [];
    await store.update((tx) => {
      tx.create('node', node('n1'));
      // Written straight to the store, as an older build's API let it through.
      tx.create('service', service('poison', 'poison', 1e9));
      tx.create('service', service('web', 'web', 2));
    });
    let n = 0;
    const loops = startLeaderLoops({ store, log: (m) => logs.push(m), tickMs: 50, newId: () => `task${++n}` });
    stops.push(() => loops.stop());
    return { store, logs };
  }

  it('places the other service, marks the poisonous one, and service rm removes it', async () => {
    const { store } = await setup();
    const tasksOf = (id: string) => store.view((tx) => tx.findTasksByService(id));
    await eventually(() => tasksOf('web').filter((t) => t.status.state === 'assigned').length === 2, 'web placed');
    await eventually(() => store.view((tx) => tx.get('service', 'poison')?.problem !== null), 'poison marked');
    expect(tasksOf('poison')).toEqual([]);
    const view = serviceViews(store).find((v) => v.name === 'poison')!;
    expect(view.problem).toMatch(/^orchestrator: spec out of bounds: mode\.replicas/);
    expect(serviceViews(store).find((v) => v.name === 'web')!.problem).toBeNull();

    await removeService(store, 'poison');
    expect(store.view((tx) => tx.get('service', 'poison'))).toBeUndefined();
    // The rest goes on: a scale-up of web is still served.
    const web = store.view((tx) => tx.get('service', 'web'))!;
    await updateService(store, 'web', { spec: { ...web.spec, mode: { type: 'replicated', replicas: 3 } }, resolveImage: 'never' });
    await eventually(() => tasksOf('web').filter((t) => t.desiredState === 'running').length === 3, 'web scaled to 3');
  });

  it('clears the mark once the service is back within bounds', async () => {
    const { store } = await setup();
    await eventually(() => store.view((tx) => tx.get('service', 'poison')?.problem !== null), 'poison marked');
    const cur = store.view((tx) => tx.get('service', 'poison'))!;
    // Through the store, as an operator's fixed spec would land (the API bounds it too).
    await store.update((tx) => void tx.update('service', { ...cur, spec: { ...cur.spec, mode: { type: 'replicated', replicas: 1 } } }));
    await eventually(() => store.view((tx) => tx.get('service', 'poison')?.problem === null), 'mark cleared');
    await eventually(() => store.view((tx) => tx.findTasksByService('poison')).length === 1, 'poison gets its one task');
  });
});
