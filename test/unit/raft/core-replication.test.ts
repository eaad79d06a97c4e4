/** Log replication (Raft §5.3), the commit rule (§5.4.2, Figure 8), batching and flow control. */
import { describe, expect, it } from 'vitest';
import { RaftCore } from '../../../src/raft/core/index.js';
import { EntryType } from '../../../src/raft/types.js';
import type { Entry, HardState } from '../../../src/raft/types.js';
import { Net, enc } from './core-network.js';

const ent = (index: number, term: number): Entry => ({ index, term, type: EntryType.Normal, data: new Uint8Array([index, term]) });
const voters = { voters: ['a', 'b', 'c'], learners: [] };

function coreWith(net: Net, id: string, hs: HardState, entries: Entry[]): RaftCore {
  return net.addCore(id, voters, { initial: { hardState: hs, snapshot: null, entries, conf: voters } });
}

function terms(c: RaftCore): number[] {
  const out: number[] = [];
  for (let i = 1; i <= c.status().lastIndex; i++) out.push(c.termAt(i) ?? -1);
  return out;
}

describe('log replication', () => {
  it('a committed entry is applied on every node, in order', () => {
    const net = new Net(['a', 'b', 'c']);
    net.campaign('a');
    net.propose('a', 'x');
    net.propose('a', 'y');
    for (const id of ['a', 'b', 'c']) expect(net.appliedData(id)).toEqual(['x', 'y']);
  });

  it('the leader forces followers’ logs to duplicate its own: conflicting entries are overwritten (§5.3)', () => {
    const net = new Net([]);
    const a = coreWith(net, 'a', { term: 3, vote: null, commit: 2 }, [ent(1, 1), ent(2, 1), ent(3, 3)]);
    const b = coreWith(net, 'b', { term: 2, vote: null, commit: 2 }, [ent(1, 1), ent(2, 1), ent(3, 2), ent(4, 2), ent(5, 2)]);
    const c = coreWith(net, 'c', { term: 1, vote: null, commit: 1 }, [ent(1, 1)]);
    net.campaign('a');
    expect(a.status().role).toBe('leader');
    net.propose('a', 'z');
    expect(terms(b)).toEqual(terms(a));
    expect(terms(c)).toEqual(terms(a));
    expect(terms(a)).toEqual([1, 1, 3, 4, 4]);
    expect(b.status().commit).toBe(5);
  });

  it('a leader never commits an entry from a previous term by counting replicas (Figure 8)', () => {
    const net = new Net([]);
    // a led term 2 and replicated index 2 to nobody; now a is re-elected in term 3.
    const a = coreWith(net, 'a', { term: 2, vote: null, commit: 1 }, [ent(1, 1), ent(2, 2)]);
    coreWith(net, 'b', { term: 2, vote: null, commit: 1 }, [ent(1, 1)]);
    coreWith(net, 'c', { term: 2, vote: null, commit: 1 }, [ent(1, 1)]);
    a.campaign();
    net.flush();
    for (const m of net.pending.splice(0)) net.core(m.to).step(m);
    net.flush();
    for (const m of net.pending.splice(0).filter((m) => m.type === 'vote-resp')) a.step(m);
    expect(a.status().role).toBe('leader');
    expect(a.status().term).toBe(3);
    // b acknowledges index 2 (from term 2) but not yet the term-3 entry at index 3.
    net.flush();
    net.pending = [];
    a.step({ type: 'append-resp', from: 'b', to: 'a', term: 3, index: 2 });
    expect(a.status().commit).toBe(1); // a majority holds index 2, yet it is not committed
    a.step({ type: 'append-resp', from: 'b', to: 'a', term: 3, index: 3 });
    expect(a.status().commit).toBe(3); // committing index 3 (term 3) commits index 2 indirectly
  });

  it('batches entries up to maxSizePerMsg, and at least one entry per append', () => {
    const net = new Net(['a', 'b'], { maxSizePerMsg: 1 });
    net.campaign('a');
    net.cutLink('a', 'b');
    for (let i = 0; i < 5; i++) net.core('a').propose(enc(`e${i}`));
    net.stabilize();
    net.heal();
    const before = net.sent.length;
    net.run(3);
    const appends = net.sent.slice(before).filter((m) => m.type === 'append' && m.to === 'b' && (m.entries?.length ?? 0) > 0);
    expect(appends.length).toBeGreaterThanOrEqual(5);
    expect(appends.every((m) => m.entries!.length === 1)).toBe(true);
    expect(net.appliedData('b')).toEqual(['e0', 'e1', 'e2', 'e3', 'e4']);
  });

  it('pipelines at most maxInflightMsgs unacknowledged appends to a follower', () => {
    const net = new Net(['a', 'b', 'c'], { maxInflightMsgs: 2 });
    net.campaign('a');
    net.dropIf = (m) => m.type === 'append-resp' && m.from === 'b';
    const before = net.sent.length;
    for (let i = 0; i < 10; i++) {
      net.core('a').propose(enc(`e${i}`));
      net.stabilize();
    }
    const toB = net.sent.slice(before).filter((m) => m.type === 'append' && m.to === 'b' && (m.entries?.length ?? 0) > 0);
    expect(toB).toHaveLength(2);
    expect(net.core('a').status().commit).toBeGreaterThanOrEqual(11); // c keeps the quorum going
    net.dropIf = () => false;
    net.run(3);
    expect(net.appliedData('b')).toHaveLength(10);
  });

  it('a proposal to a follower is rejected with the leader’s id', () => {
    const net = new Net(['a', 'b', 'c']);
    net.campaign('a');
    const r = net.core('b').propose(enc('x'));
    expect(r).toMatchObject({ ok: false, reason: 'not-leader', leader: 'a' });
  });

  it('Ready hands out entries to persist, then committed entries only through advance', () => {
    const net = new Net(['a']);
    const a = net.core('a');
    a.campaign();
    const rd = a.ready();
    expect(rd.entries.map((e) => e.index)).toEqual([1]);
    expect(rd.hardState).toMatchObject({ term: 1, vote: 'a', commit: 1 });
    expect(rd.committedEntries.map((e) => e.index)).toEqual([1]);
    a.advance(rd);
    expect(a.status().applied).toBe(1);
    expect(a.hasReady()).toBe(false);
  });

  it('Figure 8 end to end: an old-term entry on a majority is still overwritten by a newer leader, so it was right not to commit it', () => {
    const net = new Net([], { maxSizePerMsg: 1 });
    const five = { voters: ['s1', 's2', 's3', 's4', 's5'], learners: [] };
    const mk = (id: string, term: number, log: Entry[]): RaftCore =>
      net.addCore(id, five, { initial: { hardState: { term, vote: null, commit: 1 }, snapshot: null, entries: log, conf: five } });
    // Figure 8 (b): s1 led term 2 and gave index 2 to s2; s5 led term 3 and wrote its own index 2.
    const s1 = mk('s1', 3, [ent(1, 1), ent(2, 2)]);
    mk('s2', 2, [ent(1, 1), ent(2, 2)]);
    const s3 = mk('s3', 2, [ent(1, 1)]);
    mk('s4', 2, [ent(1, 1)]);
    const s5 = mk('s5', 3, [ent(1, 1), ent(2, 3)]);
    // (c): s1 is elected in term 4 (s2, s3, s4 vote for it) and replicates index 2 to s3; s2
    // (which had it) acknowledges; its own term-4 entry reaches s2 only.
    // (The first append to s3 is let through: s3 rejects it, which makes s1 probe back to index 2.)
    let firstToS3 = true;
    net.dropIf = (m) => {
      if (m.type !== 'append' || m.to === 's2') return false;
      if (m.to !== 's3') return true;
      if (firstToS3) return (firstToS3 = false);
      return (m.entries ?? []).some((e) => e.term === 4);
    };
    net.campaign('s1');
    expect(s1.status()).toMatchObject({ role: 'leader', term: 4 });
    expect(s3.termAt(2)).toBe(2); // index 2 (term 2) is now on s1, s2, s3: a majority...
    expect(s1.status().progress!['s3']!.match).toBe(2);
    expect(s1.status().progress!['s2']!.match).toBe(3);
    expect(s1.status().commit).toBe(1); // ...but not committed
    // (d): s1 crashes; s5 wins term 5 with s2, s3, s4 (its last term 3 beats their 2) and
    // overwrites index 2 everywhere. Had s1 committed it, a committed entry would be lost.
    net.isolate('s1');
    net.dropIf = () => false;
    net.campaign('s5');
    expect(s5.status().role).toBe('leader');
    net.run(3);
    for (const id of ['s2', 's3', 's4', 's5']) expect(net.core(id).termAt(2)).toBe(3);
    for (const id of ['s1', 's2', 's3', 's4', 's5']) expect(net.applied.get(id)!.some((e) => e.index === 2 && e.term === 2)).toBe(false);
  });
});
