import { describe, expect, it } from 'vitest';
import { ConflictError, isConflict, isStoreError, type Service } from '../../../src/swarm/store/index.js';
import { inFlightStore, network, newStore, secret, service, task, text } from './store-fixtures.js';

const relabel = (s: Service, v: string): Service => ({ ...s, spec: { ...s.spec, labels: { by: v } } });

describe('store: optimistic concurrency', () => {
  it('two concurrent updates of one read: the first applied wins, the second gets a version conflict', async () => {
    const { store, proposer } = inFlightStore();
    const c = store.update((tx) => tx.create('service', service('s1')));
    proposer.commitAll();
    await c;
    const read = store.view((tx) => tx.get('service', 's1'))!;
    // Both transactions are built and proposed from the same state before either is applied.
    const a = store.update((tx) => tx.update('service', relabel(read, 'a')));
    const b = store.update((tx) => tx.update('service', relabel(read, 'b')));
    expect(proposer.inFlight).toBe(2);
    proposer.commitAll();
    await expect(a).resolves.toEqual({ value: expect.anything(), index: 2 });
    const err = await b.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConflictError);
    expect((err as ConflictError).reason).toBe('version');
    expect((err as ConflictError).object).toBe('service/s1');
    expect(store.view((tx) => tx.get('service', 's1'))?.spec.labels).toEqual({ by: 'a' });
  });

  it('an update from a stale copy is refused by apply on every replica (returned as the apply result)', async () => {
    const { store, proposer } = newStore();
    await store.update((tx) => tx.create('service', service('s1')));
    const old = store.view((tx) => tx.get('service', 's1'))!;
    await store.update((tx) => tx.update('service', relabel(old, 'x')));
    // A stale command that reached the log anyway (proposed elsewhere), checked by apply:
    const cmd = JSON.stringify({ v: 1, ts: 5, changes: [{ op: 'update', kind: 'service', version: old.meta.version, object: { ...relabel(old, 'late'), meta: undefined } }] });
    const r = store.apply(new TextEncoder().encode(cmd), proposer.lastIndex + 1);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error.reason).toBe('version');
    expect(store.view((tx) => tx.get('service', 's1'))?.spec.labels).toEqual({ by: 'x' });
  });

  it('a stale read is refused already inside the transaction when the store has moved on', async () => {
    const { store } = newStore();
    await store.update((tx) => tx.create('service', service('s1')));
    const read = store.view((tx) => tx.get('service', 's1'))!;
    await store.update((tx) => tx.update('service', relabel(read, 'a')));
    await expect(store.update((tx) => tx.update('service', relabel(read, 'b')))).rejects.toSatisfy(isConflict);
  });

  it('update or delete of an object deleted meanwhile is a conflict (missing); deletes are version-checked', async () => {
    const { store, proposer } = inFlightStore();
    const c = store.update((tx) => tx.create('service', service('s1')));
    proposer.commitAll();
    await c;
    const read = store.view((tx) => tx.get('service', 's1'))!;
    const upd = store.update((tx) => tx.update('service', relabel(read, 'b')));
    const del = store.update((tx) => tx.delete('service', 's1'));
    const upd2 = store.update((tx) => tx.update('service', relabel(read, 'c')));
    proposer.commitAll();
    await expect(upd).resolves.toEqual({ value: expect.anything(), index: 2 });
    // The delete was based on version 1; the update made it version 2.
    await expect(del).rejects.toSatisfy((e) => isStoreError(e, 'version'));
    await expect(upd2).rejects.toSatisfy((e) => isStoreError(e, 'version'));
    const read2 = store.view((tx) => tx.get('service', 's1'))!;
    const del2 = store.update((tx) => tx.delete('service', 's1'));
    const upd3 = store.update((tx) => tx.update('service', relabel(read2, 'd')));
    proposer.commitAll();
    await expect(del2).resolves.toBeTruthy();
    await expect(upd3).rejects.toSatisfy((e) => isStoreError(e, 'missing'));
  });

  it('in the in-process store a stale read fails inside the transaction, before proposing', async () => {
    const { store, proposer } = newStore();
    await store.update((tx) => tx.create('service', service('s1')));
    const read = store.view((tx) => tx.get('service', 's1'))!;
    await store.update((tx) => tx.delete('service', 's1'));
    await expect(store.update((tx) => tx.update('service', read))).rejects.toSatisfy((e) => isStoreError(e, 'not-found'));
    expect(proposer.lastIndex).toBe(2);
  });
});

describe('store: batches are all or nothing', () => {
  it('one conflicting change fails the whole batch and nothing of it is applied', async () => {
    const { store, proposer } = inFlightStore();
    const c = store.update((tx) => tx.create('service', service('s1')));
    proposer.commitAll();
    await c;
    const s1 = store.view((tx) => tx.get('service', 's1'))!;
    const events: { object: { id: string } }[] = [];
    store.subscribe(undefined, (e) => events.push(e));
    const winner = store.update((tx) => tx.update('service', relabel(s1, 'winner')));
    const loser = store.update((tx) => {
      tx.create('task', task('t3', 's1', 3));
      tx.create('network', network('net1'));
      tx.update('service', relabel(s1, 'loser'));
    });
    proposer.commitAll();
    await winner;
    await expect(loser).rejects.toSatisfy(isConflict);
    store.view((tx) => {
      expect(tx.get('task', 't3')).toBeUndefined();
      expect(tx.get('network', 'net1')).toBeUndefined();
      expect(tx.get('service', 's1')?.spec.labels).toEqual({ by: 'winner' });
    });
    // The refused command left no trace: only the winner's event, applied index not advanced.
    expect(events.map((e) => e.object.id)).toEqual(['s1']);
    expect(store.index).toBe(2);
  });

  it('a refused command leaves snapshot bytes identical', async () => {
    const { store, proposer } = newStore();
    await store.update((tx) => tx.create('service', service('s1', 'web')));
    const before = text(store.snapshot());
    const r = store.apply(
      new TextEncoder().encode(
        JSON.stringify({ v: 1, ts: 9, changes: [{ op: 'create', kind: 'network', object: network('n1') }, { op: 'create', kind: 'service', object: service('s2', 'web') }] }),
      ),
      proposer.lastIndex + 1,
    );
    expect(!r.ok && r.error.reason).toBe('name');
    expect(text(store.snapshot())).toBe(before);
  });
});

describe('store: unique names', () => {
  for (const [kind, make] of [
    ['service', service],
    ['network', network],
    ['secret', secret],
  ] as const) {
    it(`${kind} names are unique`, async () => {
      const { store } = newStore();
      await store.update((tx) => tx.create(kind, make('a', 'same')));
      const err = await store.update((tx) => tx.create(kind, make('b', 'same'))).catch((e: unknown) => e);
      expect(isStoreError(err, 'name')).toBe(true);
      expect((err as Error).message).toContain(`${kind}/a`);
    });
  }

  it('two creates with one name in the same batch conflict', async () => {
    const { store } = newStore();
    await expect(
      store.update((tx) => {
        tx.create('service', service('a', 'same'));
        tx.create('service', service('b', 'same'));
      }),
    ).rejects.toSatisfy((e) => isStoreError(e, 'name'));
    expect(store.view((tx) => tx.count('service'))).toBe(0);
  });

  it('a name is free again after delete or rename, also within one batch; names may be swapped', async () => {
    const { store } = newStore();
    await store.update((tx) => {
      tx.create('service', service('a', 'x'));
      tx.create('service', service('b', 'y'));
    });
    await store.update((tx) => {
      const a = tx.get('service', 'a')!;
      const b = tx.get('service', 'b')!;
      tx.update('service', { ...a, spec: { ...a.spec, name: 'y' } });
      tx.update('service', { ...b, spec: { ...b.spec, name: 'x' } });
    });
    store.view((tx) => {
      expect(tx.getByName('service', 'x')?.id).toBe('b');
      expect(tx.getByName('service', 'y')?.id).toBe('a');
    });
    await store.update((tx) => {
      tx.delete('service', 'a');
      tx.create('service', service('c', 'y'));
    });
    expect(store.view((tx) => tx.getByName('service', 'y')?.id)).toBe('c');
  });

  it('different kinds may share a name; nodes and tasks have no unique name', async () => {
    const { store } = newStore();
    await store.update((tx) => {
      tx.create('service', service('s', 'shared'));
      tx.create('network', network('n', 'shared'));
      tx.create('secret', secret('k', 'shared'));
    });
    expect(store.view((tx) => tx.count('service') + tx.count('network') + tx.count('secret'))).toBe(3);
  });
});
