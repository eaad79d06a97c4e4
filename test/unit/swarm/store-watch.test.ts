import { describe, expect, it } from 'vitest';
import { isStoreError, type StoreEvent } from '../../../src/swarm/store/index.js';
import { inFlightStore, newStore, node, service, task } from './store-fixtures.js';

const brief = (e: StoreEvent): string => `${e.index}:${e.action}:${e.kind}/${e.object.id}`;

describe('store: watches', () => {
  it('see exactly the applied changes, in order, with old and new objects', async () => {
    const { store } = newStore();
    const w = store.watch();
    await store.update((tx) => {
      tx.create('service', service('s1'));
      tx.create('task', task('t1', 's1', 1));
    });
    const s = store.view((tx) => tx.get('service', 's1'))!;
    await store.update((tx) => tx.update('service', { ...s, spec: { ...s.spec, labels: { v: '2' } } }));
    await store.update((tx) => tx.delete('task', 't1'));
    const got = [(await w.next()).value, (await w.next()).value, (await w.next()).value, (await w.next()).value] as StoreEvent[];
    expect(got.map(brief)).toEqual(['1:create:service/s1', '1:create:task/t1', '2:update:service/s1', '3:delete:task/t1']);
    const upd = got[2]!;
    expect(upd.oldObject?.meta.version).toBe(1);
    expect(upd.object.meta.version).toBe(2);
    expect(got[3]!.object.meta.version).toBe(1);
    expect(w.pending).toBe(0);
    w.close();
    expect(await w.next()).toEqual({ value: undefined, done: true });
  });

  it('refused commands produce no events', async () => {
    const { store } = newStore();
    await store.update((tx) => tx.create('service', service('s1', 'web')));
    const w = store.watch();
    await expect(store.update((tx) => tx.create('service', service('s2', 'web')))).rejects.toSatisfy((e) => isStoreError(e, 'name'));
    expect(store.apply(new TextEncoder().encode('garbage'), 99).ok).toBe(false);
    expect(w.drain()).toEqual([]);
  });

  it('filters by kind, action and predicate', async () => {
    const { store } = newStore();
    const tasksOfN1 = store.watch({ kinds: ['task'], match: (e) => e.kind === 'task' && e.object.nodeId === 'n1' });
    const creates = store.watch({ actions: ['create'] });
    await store.update((tx) => {
      tx.create('node', node('n1'));
      tx.create('service', service('s1'));
      tx.create('task', task('t1', 's1', 1, 'n1'));
      tx.create('task', task('t2', 's1', 2, 'n2'));
    });
    await store.update((tx) => tx.delete('node', 'n1'));
    expect(tasksOfN1.drain().map(brief)).toEqual(['1:create:task/t1']);
    expect(creates.drain().map(brief)).toEqual(['1:create:node/n1', '1:create:service/s1', '1:create:task/t1', '1:create:task/t2']);
  });

  it('for await delivers events as they are applied', async () => {
    const { store } = newStore();
    const w = store.watch({ kinds: ['node'] });
    const seen: string[] = [];
    const consumer = (async () => {
      for await (const e of w) {
        seen.push(brief(e));
        if (seen.length === 3) break;
      }
    })();
    for (const id of ['a', 'b', 'c', 'd']) await store.update((tx) => tx.create('node', node(id)));
    await consumer;
    expect(seen).toEqual(['1:create:node/a', '2:create:node/b', '3:create:node/c']);
    // Breaking out of for-await closes the watch.
    expect(await w.next()).toEqual({ value: undefined, done: true });
  });

  it('a watcher that falls behind its limit is closed with watch-overflow', async () => {
    const { store } = newStore();
    const w = store.watch(undefined, { limit: 2 });
    for (const id of ['a', 'b', 'c']) await store.update((tx) => tx.create('node', node(id)));
    await expect(w.next()).rejects.toSatisfy((e) => isStoreError(e, 'watch-overflow'));
  });

  it('a throwing listener is removed and reported, and apply carries on', async () => {
    const { store } = newStore();
    const errors: unknown[] = [];
    let calls = 0;
    store.subscribe(
      undefined,
      () => {
        calls++;
        throw new Error('listener bug');
      },
      (e) => errors.push(e),
    );
    const w = store.watch();
    await store.update((tx) => tx.create('node', node('a')));
    await store.update((tx) => tx.create('node', node('b')));
    expect(calls).toBe(1);
    expect(errors).toHaveLength(1);
    expect(w.drain()).toHaveLength(2);
  });

  it('events keep apply order when a listener writes synchronously in reaction', async () => {
    const { store } = newStore();
    // Listener 1 reacts to a service create by creating its task (applied at once by LocalProposer).
    store.subscribe({ kinds: ['service'], actions: ['create'] }, (e) => {
      void store.update((tx) => tx.create('task', task(`t-${e.object.id}`, e.object.id, 1)));
    });
    const w = store.watch();
    await store.update((tx) => tx.create('service', service('s1')));
    expect(w.drain().map(brief)).toEqual(['1:create:service/s1', '2:create:task/t-s1']);
  });
});

describe('store: viewAndWatch', () => {
  it('returns a consistent view and every later event, none the view already holds', async () => {
    const { store } = newStore();
    await store.update((tx) => tx.create('node', node('a')));
    const { value, watch } = store.viewAndWatch((tx) => tx.find('node').map((n) => n.id), { kinds: ['node'] });
    await store.update((tx) => tx.create('node', node('b')));
    expect(value).toEqual(['a']);
    expect(watch.drain().map(brief)).toEqual(['2:create:node/b']);
  });

  it('has no gap with writes in flight: view + events always rebuild the true state', async () => {
    const { store, proposer } = inFlightStore();
    const writes: Promise<unknown>[] = [];
    for (let i = 0; i < 50; i++) writes.push(store.update((tx) => tx.create('node', node(`n${String(i).padStart(2, '0')}`))));
    proposer.commit(20);
    // 30 creates are proposed but not applied when the view is taken.
    const { value: mirror, watch } = store.viewAndWatch((tx) => new Set(tx.find('node').map((n) => n.id)));
    expect(mirror.size).toBe(20);
    proposer.commit(10);
    for (const id of ['n00', 'n25', 'n40']) {
      const n = store.view((tx) => tx.get('node', id));
      if (n) writes.push(store.update((tx) => tx.delete('node', id)));
    }
    proposer.commitAll();
    // n40 was not applied yet when its delete was considered, so only two deletes were proposed.
    await Promise.all(writes);
    for (const e of watch.drain()) {
      if (e.action === 'delete') {
        expect(mirror.has(e.object.id)).toBe(true);
        mirror.delete(e.object.id);
      } else {
        expect(mirror.has(e.object.id)).toBe(false);
        mirror.add(e.object.id);
      }
    }
    expect([...mirror].sort()).toEqual(store.view((tx) => tx.find('node').map((n) => n.id)));
    expect(mirror.size).toBe(48);
  });

  it('a watch started inside a listener does not get the batch being delivered', async () => {
    const { store } = newStore();
    let inner: ReturnType<typeof store.watch> | undefined;
    let seenInView: string[] = [];
    store.subscribe({ kinds: ['node'] }, () => {
      if (inner) return;
      const r = store.viewAndWatch((tx) => tx.find('node').map((n) => n.id));
      seenInView = r.value;
      inner = r.watch;
    });
    await store.update((tx) => {
      tx.create('node', node('a'));
      tx.create('node', node('b'));
    });
    await store.update((tx) => tx.create('node', node('c')));
    expect(seenInView).toEqual(['a', 'b']);
    expect(inner!.drain().map(brief)).toEqual(['2:create:node/c']);
  });
});
