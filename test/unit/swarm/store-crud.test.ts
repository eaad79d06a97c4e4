import { describe, expect, it } from 'vitest';
import { isStoreError, MemoryStore, StoreError } from '../../../src/swarm/store/index.js';
import { cluster, config, network, newStore, node, secret, service, task } from './store-fixtures.js';

describe('store: create, read, update, delete', () => {
  it('creates objects of every kind with meta from the command (version = raft index, times from the proposer clock)', async () => {
    const { store } = newStore();
    const r = await store.update((tx) => {
      tx.create('cluster', cluster());
      tx.create('node', node('n1'));
      tx.create('service', service('s1', 'web'));
      tx.create('task', task('t1', 's1', 1, 'n1'));
      tx.create('network', network('net1'));
      tx.create('secret', secret('sec1'));
      tx.create('config', config('cfg1'));
      return 'done';
    });
    expect(r).toEqual({ value: 'done', index: 1 });
    store.view((tx) => {
      const s = tx.get('service', 's1');
      expect(s?.spec.name).toBe('web');
      expect(s?.meta).toEqual({ version: 1, createdAt: 1_700_000_001_000, updatedAt: 1_700_000_001_000 });
      for (const k of ['cluster', 'node', 'service', 'task', 'network', 'secret', 'config'] as const) expect(tx.count(k)).toBe(1);
      expect(tx.index).toBe(1);
    });
  });

  it('update replaces the object, bumps version to the new index, keeps createdAt', async () => {
    const { store } = newStore();
    await store.update((tx) => tx.create('service', service('s1', 'web')));
    await store.update((tx) => tx.create('node', node('n1')));
    const s = store.view((tx) => tx.get('service', 's1'))!;
    const r = await store.update((tx) => tx.update('service', { ...s, spec: { ...s.spec, labels: { tier: 'front' } } }));
    expect(r.index).toBe(3);
    const after = store.view((tx) => tx.get('service', 's1'))!;
    expect(after.spec.labels).toEqual({ tier: 'front' });
    expect(after.meta).toEqual({ version: 3, createdAt: s.meta.createdAt, updatedAt: 1_700_000_003_000 });
  });

  it('delete removes the object', async () => {
    const { store } = newStore();
    await store.update((tx) => tx.create('network', network('net1')));
    await store.update((tx) => tx.delete('network', 'net1'));
    expect(store.view((tx) => tx.get('network', 'net1'))).toBeUndefined();
    expect(store.view((tx) => tx.getByName('network', 'net1'))).toBeUndefined();
  });

  it('reads inside a transaction see its own changes; nobody else does before commit', async () => {
    const { store } = newStore();
    await store.update((tx) => tx.create('service', service('s1', 'web')));
    const p = store.update((tx) => {
      tx.create('task', task('t1', 's1', 1));
      tx.create('task', task('t2', 's1', 2));
      const s = tx.get('service', 's1')!;
      tx.update('service', { ...s, spec: { ...s.spec, name: 'www' } });
      expect(tx.findTasksByService('s1').map((t) => t.id)).toEqual(['t1', 't2']);
      expect(tx.getByName('service', 'www')?.id).toBe('s1');
      expect(tx.getByName('service', 'web')).toBeUndefined();
      tx.delete('task', 't1');
      expect(tx.find('task').map((t) => t.id)).toEqual(['t2']);
      expect(tx.count('task')).toBe(1);
    });
    await p;
    expect(store.view((tx) => tx.find('task').map((t) => t.id))).toEqual(['t2']);
  });

  it('changes to one object in a transaction collapse into one change', async () => {
    const { store } = newStore();
    await store.update((tx) => {
      const s = tx.create('service', service('s1'));
      tx.update('service', { ...s, spec: { ...s.spec, labels: { a: '1' } } });
      tx.create('task', task('t1', 's1', 1));
      tx.delete('task', 't1');
    });
    store.view((tx) => {
      expect(tx.get('service', 's1')?.spec.labels).toEqual({ a: '1' });
      expect(tx.get('task', 't1')).toBeUndefined();
    });
  });

  it('a transaction that records nothing proposes nothing', async () => {
    const { store, proposer } = newStore();
    expect(await store.update(() => 7)).toEqual({ value: 7, index: null });
    expect(proposer.lastIndex).toBe(0);
  });

  it('a throwing callback proposes nothing', async () => {
    const { store, proposer } = newStore();
    await expect(
      store.update((tx) => {
        tx.create('node', node('n1'));
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    expect(proposer.lastIndex).toBe(0);
    expect(store.view((tx) => tx.count('node'))).toBe(0);
  });

  it('async callbacks are refused', async () => {
    const { store } = newStore();
    await expect(store.update(async () => 1)).rejects.toSatisfy((e) => isStoreError(e, 'async-callback'));
    expect(() => store.view(async () => 1)).toThrow(StoreError);
  });

  it('stored objects are frozen', async () => {
    const { store } = newStore();
    await store.update((tx) => tx.create('service', service('s1')));
    const s = store.view((tx) => tx.get('service', 's1'))!;
    expect(() => {
      s.spec.labels['x'] = 'y';
    }).toThrow(TypeError);
  });

  it('update and delete of a missing object are refused in the transaction', async () => {
    const { store } = newStore();
    await expect(store.update((tx) => tx.delete('node', 'nope'))).rejects.toSatisfy((e) => isStoreError(e, 'not-found'));
    const ghost = { ...service('s9'), meta: { version: 1, createdAt: 0, updatedAt: 0 } };
    await expect(store.update((tx) => tx.update('service', ghost))).rejects.toSatisfy((e) => isStoreError(e, 'not-found'));
  });

  it('create of an existing id is a conflict', async () => {
    const { store } = newStore();
    await store.update((tx) => tx.create('node', node('n1')));
    await expect(store.update((tx) => tx.create('node', node('n1')))).rejects.toSatisfy((e) => isStoreError(e, 'exists'));
  });

  it('objects violating their schema are refused when recorded, with the field path', async () => {
    const { store } = newStore();
    const bad = service('s1');
    (bad.spec.mode as { replicas: number }).replicas = -1;
    const err = await store.update((tx) => tx.create('service', bad)).catch((e: unknown) => e);
    expect(isStoreError(err, 'invalid-object')).toBe(true);
    expect((err as Error).message).toContain('spec.mode.replicas');
    const extra = { ...node('n1'), color: 'red' } as unknown as ReturnType<typeof node>;
    await expect(store.update((tx) => tx.create('node', extra))).rejects.toSatisfy((e) => isStoreError(e, 'invalid-object'));
  });
});

describe('store: find helpers and indexes', () => {
  it('finds by id prefix, name, service, node and slot', async () => {
    const { store } = newStore();
    await store.update((tx) => {
      tx.create('service', service('svc-a', 'web'));
      tx.create('service', service('svc-b', 'db'));
      tx.create('task', task('ta1', 'svc-a', 1, 'n1'));
      tx.create('task', task('ta2', 'svc-a', 2, 'n2'));
      tx.create('task', task('ta1-old', 'svc-a', 1, 'n2'));
      tx.create('task', task('tb1', 'svc-b', 1, null));
    });
    store.view((tx) => {
      expect(tx.find('service', { prefix: 'svc-' }).map((s) => s.id)).toEqual(['svc-a', 'svc-b']);
      expect(tx.getByName('service', 'db')?.id).toBe('svc-b');
      expect(tx.findTasksByService('svc-a').map((t) => t.id)).toEqual(['ta1', 'ta1-old', 'ta2']);
      expect(tx.findTasksByNode('n2').map((t) => t.id)).toEqual(['ta1-old', 'ta2']);
      expect(tx.findTasksBySlot('svc-a', 1).map((t) => t.id)).toEqual(['ta1', 'ta1-old']);
      expect(tx.findTasksByNode('n9')).toEqual([]);
    });
    // Moving a task between nodes moves it between index entries.
    const t = store.view((tx) => tx.get('task', 'tb1'))!;
    await store.update((tx) => tx.update('task', { ...t, nodeId: 'n1' }));
    expect(store.view((tx) => tx.findTasksByNode('n1').map((x) => x.id))).toEqual(['ta1', 'tb1']);
    await store.update((tx) => tx.delete('task', 'ta1'));
    expect(store.view((tx) => tx.findTasksByNode('n1').map((x) => x.id))).toEqual(['tb1']);
  });
});

describe('store: the proposer seam', () => {
  it("the proposer's own failure (not leader, timeout) reaches the caller unchanged", async () => {
    const notLeader = new Error('not the leader');
    const store = new MemoryStore({ proposer: { propose: () => Promise.reject(notLeader) } });
    await expect(store.update((tx) => tx.create('node', node('n1')))).rejects.toBe(notLeader);
    expect(store.view((tx) => tx.count('node'))).toBe(0);
  });

  it('a proposer that is not wired to the store is reported as an internal error', async () => {
    const store = new MemoryStore({ proposer: { propose: () => Promise.resolve('ok') } });
    await expect(store.update((tx) => tx.create('node', node('n1')))).rejects.toSatisfy((e) => isStoreError(e, 'internal'));
  });

  it('an id deleted in a transaction cannot be created again in it', async () => {
    const { store } = newStore();
    await store.update((tx) => tx.create('node', node('n1')));
    await expect(
      store.update((tx) => {
        tx.delete('node', 'n1');
        tx.create('node', node('n1'));
      }),
    ).rejects.toSatisfy((e) => isStoreError(e, 'exists'));
  });
});
