import { describe, expect, it } from 'vitest';
import { isConflict, isStoreError } from '../../../src/swarm/store/index.js';
import { newStore, node, service, task } from './store-fixtures.js';

describe('store: batch', () => {
  it('splits bulk changes into several commands, keeping each group in one command', async () => {
    const { store, proposer } = newStore({ maxChangesPerCommand: 10 });
    await store.update((tx) => tx.create('service', service('s1')));
    const indexes = new Set<number>();
    store.subscribe(undefined, (e) => indexes.add(e.index));
    const groupIndex = new Map<number, Set<number>>();
    store.subscribe({ kinds: ['task'] }, (e) => {
      const slot = e.kind === 'task' ? e.object.slot : -1;
      const g = Math.floor((slot - 1) / 3);
      groupIndex.set(g, (groupIndex.get(g) ?? new Set()).add(e.index));
    });
    const r = await store.batch(async (b) => {
      for (let g = 0; g < 15; g++) {
        await b.update((tx) => {
          for (let k = 1; k <= 3; k++) tx.create('task', task(`t${g * 3 + k}`, 's1', g * 3 + k));
        });
      }
    });
    expect(r.changes).toBe(45);
    expect(r.commands).toBe(Math.ceil(45 / 12)); // groups of 3 fill up to >= 10 changes: 12 per command
    expect(proposer.lastIndex).toBe(1 + r.commands);
    expect(store.view((tx) => tx.count('task'))).toBe(45);
    for (const idx of groupIndex.values()) expect(idx.size).toBe(1);
  });

  it('splits by size too', async () => {
    const { store } = newStore({ maxCommandBytes: 8 * 1024 });
    const r = await store.batch(async (b) => {
      for (let i = 0; i < 40; i++) await b.update((tx) => void tx.create('node', node(`n${i}`)));
    });
    expect(r.commands).toBeGreaterThan(1);
    expect(store.view((tx) => tx.count('node'))).toBe(40);
  });

  it('a group whose callback throws is dropped whole; the rest of the batch goes on', async () => {
    const { store } = newStore();
    await store.batch(async (b) => {
      await b.update((tx) => void tx.create('node', node('a')));
      await expect(
        b.update((tx) => {
          tx.create('node', node('b'));
          throw new Error('no');
        }),
      ).rejects.toThrow('no');
      await b.update((tx) => void tx.create('node', node('c')));
    });
    expect(store.view((tx) => tx.find('node').map((n) => n.id))).toEqual(['a', 'c']);
  });

  it('later groups see earlier ones, flushed or not', async () => {
    const { store } = newStore({ maxChangesPerCommand: 2 });
    await store.batch(async (b) => {
      for (let i = 0; i < 5; i++) {
        await b.update((tx) => {
          const prev = tx.get('node', `n${i - 1}`);
          if (i > 0) expect(prev).toBeDefined();
          tx.create('node', node(`n${i}`));
        });
      }
    });
    expect(store.view((tx) => tx.count('node'))).toBe(5);
  });

  it('a flush that conflicts rejects; nothing of that command is applied', async () => {
    const { store } = newStore();
    await store.update((tx) => tx.create('service', service('s1', 'web')));
    const err = await store
      .batch(async (b) => {
        await b.update((tx) => void tx.create('service', service('s2', 'api')));
        // A conflicting name from outside lands before the batch's command.
        await store.update((tx) => tx.create('service', service('s3', 'api')));
      })
      .catch((e: unknown) => e);
    expect(isConflict(err) && isStoreError(err, 'name')).toBe(true);
    expect(store.view((tx) => tx.get('service', 's2'))).toBeUndefined();
  });

  it('overlapping b.update calls are refused', async () => {
    const { store } = newStore({ maxChangesPerCommand: 1 });
    await store.batch(async (b) => {
      const first = b.update((tx) => void tx.create('node', node('a')));
      await expect(b.update((tx) => void tx.create('node', node('b')))).rejects.toSatisfy((e) => isStoreError(e, 'async-callback'));
      await first;
    });
  });

  it('a single transaction over the size limit is refused with a hint to batch', async () => {
    const { store, proposer } = newStore({ maxCommandBytes: 4096 });
    const err = await store
      .update((tx) => {
        for (let i = 0; i < 20; i++) tx.create('node', node(`n${i}`));
      })
      .catch((e: unknown) => e);
    expect(isStoreError(err, 'too-large')).toBe(true);
    expect((err as { hint?: string }).hint).toContain('batch');
    expect(proposer.lastIndex).toBe(0);
  });
});
