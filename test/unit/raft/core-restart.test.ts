/** Restarting a core from what storage recovered. */
import { describe, expect, it } from 'vitest';
import { RaftCore } from '../../../src/raft/core/index.js';
import { EntryType } from '../../../src/raft/types.js';
import type { Entry } from '../../../src/raft/types.js';
import { encodeConfChange } from '../../../src/raft/core/conf.js';
import { Net } from './core-network.js';

const conf = { voters: ['a', 'b', 'c'], learners: [] };
const entries: Entry[] = [
  { index: 1, term: 1, type: EntryType.Normal, data: new Uint8Array() },
  { index: 2, term: 1, type: EntryType.ConfChange, data: encodeConfChange({ type: 'add-learner', node: 'd' }) },
  { index: 3, term: 1, type: EntryType.Normal, data: new Uint8Array([7]) },
];

describe('restart', () => {
  it('without `applied`, committed entries after the snapshot are handed out again and membership is re-applied', () => {
    const net = new Net([]);
    const a = new RaftCore({ ...net.config('a', conf), initial: { hardState: { term: 1, vote: 'a', commit: 3 }, snapshot: null, entries, conf } });
    expect(a.status()).toMatchObject({ term: 1, vote: 'a', commit: 3, applied: 0, lastIndex: 3 });
    expect(a.status().conf.learners).toEqual([]);
    const rd = a.ready();
    expect(rd.committedEntries.map((e) => e.index)).toEqual([1, 2, 3]);
    expect(rd.entries).toEqual([]); // already durable
    expect(rd.hardState).toBeUndefined(); // unchanged
    a.advance(rd);
    expect(a.status().conf.learners).toEqual(['d']);
  });

  it('with `applied`, nothing up to it is handed out again, but its membership changes hold', () => {
    const net = new Net([]);
    const a = new RaftCore({ ...net.config('a', conf), initial: { hardState: { term: 1, vote: 'a', commit: 3 }, snapshot: null, entries, conf }, applied: 2 });
    expect(a.status().conf.learners).toEqual(['d']);
    expect(a.ready().committedEntries.map((e) => e.index)).toEqual([3]);
  });

  it('restarts from a snapshot: membership from its meta, log after it', () => {
    const net = new Net([]);
    const snap = { meta: { index: 2, term: 1, conf: { voters: ['a', 'b', 'c'], learners: ['d'] } }, data: new Uint8Array([1]) };
    const a = new RaftCore({ ...net.config('a', conf), initial: { hardState: { term: 1, vote: null, commit: 3 }, snapshot: snap, entries: entries.slice(2), conf } });
    expect(a.status()).toMatchObject({ snapshotIndex: 2, applied: 2, commit: 3, conf: snap.meta.conf });
    expect(a.termAt(2)).toBe(1);
    expect(a.termAt(1)).toBeNull();
    expect(a.ready().committedEntries.map((e) => e.index)).toEqual([3]);
  });

  it('refuses an inconsistent recovered state', () => {
    const net = new Net([]);
    expect(() => new RaftCore({ ...net.config('a', conf), initial: { hardState: { term: 1, vote: null, commit: 9 }, snapshot: null, entries, conf } })).toThrow(/commit/);
    expect(() => new RaftCore({ ...net.config('a', conf), initial: { hardState: { term: 1, vote: null, commit: 0 }, snapshot: null, entries: entries.slice(1), conf } })).toThrow(/index/);
  });
});

describe('steps between ready() and advance()', () => {
  it('a snapshot installed while a Ready is out does not get older membership changes re-applied on top', () => {
    const net = new Net([]);
    const confB = { voters: ['a', 'b', 'c'], learners: [] };
    const b = new RaftCore({ ...net.config('b', confB), initial: { hardState: { term: 1, vote: null, commit: 0 }, snapshot: null, entries: [], conf: confB } });
    // The leader sends "add-learner d" at index 1, committed.
    b.step({ type: 'append', from: 'a', to: 'b', term: 1, index: 0, logTerm: 0, commit: 1, entries: [entries[1]!].map((e) => ({ ...e, index: 1 })) });
    const rd = b.ready();
    expect(rd.committedEntries.map((e) => e.index)).toEqual([1]);
    // Before advance, a snapshot at 5 arrives in which d has since been removed again.
    const snap = { meta: { index: 5, term: 1, conf: confB }, data: new Uint8Array() };
    b.step({ type: 'snapshot', from: 'a', to: 'b', term: 1, snapshot: snap });
    b.advance(rd);
    expect(b.status().conf).toEqual(confB);
    const rd2 = b.ready();
    expect(rd2.snapshot).toBe(snap);
    b.advance(rd2);
    expect(b.status()).toMatchObject({ applied: 5, conf: confB });
  });
});
