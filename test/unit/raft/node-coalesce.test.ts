import { describe, expect, it } from 'vitest';
import { coalesceMessages } from '../../../src/raft/node/coalesce.js';
import type { Entry, Message } from '../../../src/raft/types.js';

const e = (index: number, term = 2): Entry => ({ index, term, type: 0, data: new Uint8Array([index]) });
const app = (to: string, prev: number, ents: Entry[], commit: number): Message => ({ type: 'append', from: 'l', to, term: 2, index: prev, logTerm: 2, entries: ents, commit });

describe('coalesceMessages', () => {
  it('merges contiguous appends per peer and keeps the latest commit', () => {
    const out = coalesceMessages([app('a', 4, [e(5)], 3), app('b', 4, [e(5)], 3), app('a', 5, [e(6)], 4), app('b', 5, [e(6)], 4), app('a', 6, [], 5)]);
    expect(out).toHaveLength(2);
    expect(out[0]!.entries!.map((x) => x.index)).toEqual([5, 6]);
    expect(out[0]!.commit).toBe(5);
    expect(out[0]!.index).toBe(4);
  });

  it('does not merge across a gap, a term change, or another message type to the same peer', () => {
    expect(coalesceMessages([app('a', 4, [e(5)], 3), app('a', 7, [e(8)], 3)])).toHaveLength(2);
    expect(coalesceMessages([app('a', 4, [e(5)], 3), { ...app('a', 5, [e(6)], 3), term: 3 }])).toHaveLength(2);
    const hb: Message = { type: 'heartbeat', from: 'l', to: 'a', term: 2, commit: 3 };
    expect(coalesceMessages([app('a', 4, [e(5)], 3), hb, app('a', 5, [e(6)], 3)])).toHaveLength(3);
  });

  it('keeps only the highest of consecutive successful append-resps, never a rejection', () => {
    const r = (index: number, reject = false): Message => ({ type: 'append-resp', from: 'f', to: 'l', term: 2, index, ...(reject ? { reject } : {}) });
    expect(coalesceMessages([r(5), r(6), r(9)])).toEqual([r(9)]);
    expect(coalesceMessages([r(5), r(3, true), r(9)])).toHaveLength(3);
  });
});
