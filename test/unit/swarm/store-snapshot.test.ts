import { describe, expect, it } from 'vitest';
import { createLocalStore, isStoreError, LocalProposer, MemoryStore, type StoreEvent } from '../../../src/swarm/store/index.js';
import { cluster, config, network, newStore, node, secret, service, steppingClock, task, text, twoReplicas } from './store-fixtures.js';

async function populate(store: MemoryStore): Promise<void> {
  await store.update((tx) => {
    tx.create('cluster', cluster());
    tx.create('node', node('n1'));
    tx.create('node', node('n2'));
    tx.create('service', service('s1', 'web', 2));
    tx.create('network', network('net1', 'backend'));
    tx.create('secret', secret('k1', 'db-password'));
    tx.create('config', config('c1', 'nginx.conf'));
  });
  await store.update((tx) => {
    tx.create('task', task('t1', 's1', 1, 'n1'));
    tx.create('task', task('t2', 's1', 2, 'n2'));
  });
  const s = store.view((tx) => tx.get('service', 's1'))!;
  await store.update((tx) => tx.update('service', { ...s, previousSpec: s.spec, spec: { ...s.spec, labels: { v: '2' } } }));
}

describe('store: snapshot and restore', () => {
  it('snapshot is canonical JSON with a format version and the applied index', async () => {
    const { store } = newStore();
    await populate(store);
    const snap = JSON.parse(text(store.snapshot())) as { v: number; index: number; objects: Record<string, { id: string }[]> };
    expect(snap.v).toBe(1);
    expect(snap.index).toBe(3);
    expect(Object.keys(snap.objects)).toEqual(['cluster', 'config', 'network', 'node', 'secret', 'service', 'task']);
    expect(snap.objects['task']!.map((t) => t.id)).toEqual(['t1', 't2']);
  });

  it('restore into a fresh store yields identical state, indexes and bytes', async () => {
    const { store } = newStore();
    await populate(store);
    const bytes = store.snapshot();
    const { store: other } = newStore();
    other.restore(bytes);
    expect(text(other.snapshot())).toBe(text(bytes));
    expect(other.index).toBe(3);
    other.view((tx) => {
      expect(tx.getByName('service', 'web')?.id).toBe('s1');
      expect(tx.findTasksByNode('n2').map((t) => t.id)).toEqual(['t2']);
      expect(tx.getByName('secret', 'db-password')?.spec.data.alg).toBe('aes-256-gcm');
    });
  });

  it('after restore, the same next commands behave identically (including conflicts)', async () => {
    const { a, b, proposer } = twoReplicas();
    await populate(a);
    // A third replica joins from a snapshot and then follows the log.
    const c = new MemoryStore({ proposer, now: steppingClock() });
    c.restore(a.snapshot());
    proposer.attach(c);
    const results: unknown[] = [];
    const orig = c.apply.bind(c);
    c.apply = (d, i) => {
      const r = orig(d, i);
      results.push(r.ok ? r.index : r.error.reason);
      return r;
    };
    const s = a.view((tx) => tx.get('service', 's1'))!;
    await a.update((tx) => tx.update('service', { ...s, spec: { ...s.spec, mode: { type: 'replicated', replicas: 3 } } }));
    await a.update((tx) => tx.create('task', task('t3', 's1', 3, 'n1')));
    // A stale command straight into the log: every replica must refuse it.
    const stale = JSON.stringify({ v: 1, ts: 1, changes: [{ op: 'delete', kind: 'service', id: 's1', version: s.meta.version }] });
    const r = await proposer.propose(new TextEncoder().encode(stale));
    expect(r).toMatchObject({ ok: false });
    await a.update((tx) => tx.delete('task', 't1'));
    expect(results).toEqual([4, 5, 'version', 7]);
    expect(text(c.snapshot())).toBe(text(a.snapshot()));
    expect(text(b.snapshot())).toBe(text(a.snapshot()));
  });

  it('restore over existing state tells watchers the difference', async () => {
    const { store } = newStore();
    await populate(store);
    const snap = store.snapshot();
    const n1 = store.view((tx) => tx.get('node', 'n1'))!;
    await store.update((tx) => {
      tx.delete('node', 'n2');
      tx.create('node', node('n3'));
      tx.update('node', { ...n1, spec: { ...n1.spec, availability: 'drain' } });
    });
    const w = store.watch({ kinds: ['node'] });
    store.restore(snap);
    const ev = w.drain().map((e: StoreEvent) => `${e.action}:${e.object.id}`);
    expect(ev).toEqual(['update:n1', 'create:n2', 'delete:n3']);
    expect(store.index).toBe(3);
  });

  it('bad snapshots are refused and leave the store unchanged', async () => {
    const { store } = newStore();
    await populate(store);
    const before = text(store.snapshot());
    const good = JSON.parse(before) as { v: number; index: number; objects: Record<string, Record<string, unknown>[]> };
    const variants: [string, string][] = [
      ['not json', 'bad-snapshot'],
      [JSON.stringify({ ...good, v: 2 }), 'unsupported-version'],
      [JSON.stringify({ ...good, index: -1 }), 'bad-snapshot'],
      [JSON.stringify({ ...good, objects: { ...good.objects, widget: [] } }), 'bad-snapshot'],
      [JSON.stringify({ ...good, objects: { ...good.objects, node: [good.objects['node']![0], good.objects['node']![0]] } }), 'bad-snapshot'],
      [JSON.stringify({ ...good, index: 1 }), 'bad-snapshot'],
      [JSON.stringify({ ...good, objects: { ...good.objects, service: [{ ...good.objects['service']![0], spec: 7 }] } }), 'bad-snapshot'],
    ];
    for (const [bytes, reason] of variants) {
      let err: unknown;
      try {
        store.restore(new TextEncoder().encode(bytes));
      } catch (e) {
        err = e;
      }
      expect(isStoreError(err, reason as 'bad-snapshot'), bytes.slice(0, 60)).toBe(true);
      expect(text(store.snapshot())).toBe(before);
    }
  });
});

describe('store: deterministic apply', () => {
  it('two replicas applying the same commands have byte-identical snapshots', async () => {
    const { a, b } = twoReplicas();
    await populate(a);
    expect(text(b.snapshot())).toBe(text(a.snapshot()));
  });

  it('the same commands fed to separate stores (separate processes) give the same bytes', async () => {
    const log: Uint8Array[] = [];
    const recording = { propose: (cmd: Uint8Array) => (log.push(cmd), inner.propose(cmd)) };
    const inner = new LocalProposer();
    const a = new MemoryStore({ proposer: recording, now: steppingClock() });
    inner.attach(a);
    await populate(a);
    const { store: b } = createLocalStore();
    log.forEach((cmd, i) => expect(b.apply(cmd, i + 1).ok).toBe(true));
    expect(text(b.snapshot())).toBe(text(a.snapshot()));
  });

  it('apply never reads a clock: timestamps come from the command', async () => {
    const { store } = newStore();
    const cmd = JSON.stringify({ v: 1, ts: 42, changes: [{ op: 'create', kind: 'node', object: node('n1') }] });
    expect(store.apply(new TextEncoder().encode(cmd), 10).ok).toBe(true);
    expect(store.view((tx) => tx.get('node', 'n1'))?.meta).toEqual({ version: 10, createdAt: 42, updatedAt: 42 });
  });
});

describe('store: restore of empty bytes', () => {
  it('means the empty initial state (the raft driver restores it before any snapshot exists)', async () => {
    const { store } = newStore();
    await store.update((tx) => tx.create('node', node('n1')));
    const w = store.watch();
    store.restore(new Uint8Array(0));
    expect(store.index).toBe(0);
    expect(store.view((tx) => tx.count('node'))).toBe(0);
    expect(w.drain().map((e) => `${e.action}:${e.object.id}`)).toEqual(['delete:n1']);
    expect(text(store.snapshot())).toBe(text(createLocalStore().store.snapshot()));
  });
});
