/** Leader election (Raft §5.2), pre-vote and check-quorum (thesis §9.6), learners. */
import { describe, expect, it } from 'vitest';
import { RaftCore } from '../../../src/raft/core/index.js';
import { EntryType } from '../../../src/raft/types.js';
import type { Entry } from '../../../src/raft/types.js';
import { Net } from './core-network.js';

const ent = (index: number, term: number): Entry => ({ index, term, type: EntryType.Normal, data: new Uint8Array([index]) });

describe('leader election', () => {
  it('a follower that hears nothing for an election timeout becomes candidate and wins with a majority', () => {
    const net = new Net(['a', 'b', 'c']);
    net.run(25);
    expect(net.leaders()).toHaveLength(1);
    const leader = net.leaders()[0]!;
    const term = net.core(leader).status().term;
    for (const id of ['a', 'b', 'c']) {
      expect(net.core(id).status().term).toBe(term);
      expect(net.core(id).status().leader).toBe(leader);
    }
  });

  it('a single-voter cluster elects itself at once', () => {
    const net = new Net(['a']);
    net.campaign('a');
    expect(net.core('a').status().role).toBe('leader');
    net.propose('a', 'x');
    expect(net.appliedData('a')).toEqual(['x']);
  });

  it('each server votes for at most one candidate in a term (first come first served)', () => {
    const c = new RaftCore(new Net(['a', 'b', 'c']).config('c', { voters: ['a', 'b', 'c'], learners: [] }));
    c.step({ type: 'vote', from: 'a', to: 'c', term: 1, index: 0, logTerm: 0 });
    c.step({ type: 'vote', from: 'b', to: 'c', term: 1, index: 0, logTerm: 0 });
    const resps = c.ready().messages.filter((m) => m.type === 'vote-resp');
    expect(resps.map((m) => [m.to, m.reject])).toEqual([
      ['a', false],
      ['b', true],
    ]);
    expect(c.status().vote).toBe('a');
  });

  it('a voter denies its vote if its own log is more up-to-date than the candidate’s (§5.4.1)', () => {
    const net = new Net(['a', 'b', 'c']);
    const c = new RaftCore({
      ...net.config('c', { voters: ['a', 'b', 'c'], learners: [] }),
      initial: { hardState: { term: 2, vote: null, commit: 0 }, snapshot: null, entries: [ent(1, 1), ent(2, 2)], conf: { voters: ['a', 'b', 'c'], learners: [] } },
    });
    // Same last term, shorter log; then lower last term, longer log.
    c.step({ type: 'vote', from: 'a', to: 'c', term: 3, index: 1, logTerm: 2 });
    c.step({ type: 'vote', from: 'b', to: 'c', term: 4, index: 5, logTerm: 1 });
    const resps = c.ready().messages.filter((m) => m.type === 'vote-resp');
    expect(resps.every((m) => m.reject)).toBe(true);
    c.step({ type: 'vote', from: 'a', to: 'c', term: 5, index: 2, logTerm: 2 });
    expect(c.ready().messages.find((m) => m.type === 'vote-resp')?.reject).toBe(false);
  });

  it('a candidate that learns of a current leader returns to follower', () => {
    const net = new Net(['a', 'b', 'c']);
    net.campaign('a');
    const b = net.core('b');
    b.campaign(); // term 2, candidate
    expect(b.status().role).toBe('candidate');
    b.step({ type: 'append', from: 'a', to: 'b', term: b.status().term, index: 1, logTerm: 1, entries: [], commit: 1 });
    expect(b.status().role).toBe('follower');
    expect(b.status().leader).toBe('a');
  });
});

describe('pre-vote', () => {
  it('blocks a disruptive rejoin: a partitioned node does not raise its term, so the leader stays', () => {
    const net = new Net(['a', 'b', 'c'], { preVote: true });
    net.campaign('a');
    const term = net.core('a').status().term;
    net.isolate('c');
    for (let i = 0; i < 100; i++) net.tick('c');
    net.stabilize();
    expect(net.core('c').status().term).toBe(term);
    expect(net.core('c').status().role).toBe('pre-candidate');
    net.heal();
    net.run(3);
    expect(net.core('a').status().role).toBe('leader');
    expect(net.core('a').status().term).toBe(term);
  });

  it('without pre-vote (and check-quorum) the same rejoin deposes the leader', () => {
    const net = new Net(['a', 'b', 'c']);
    net.campaign('a');
    const term = net.core('a').status().term;
    net.isolate('c');
    for (let i = 0; i < 100; i++) net.tick('c');
    net.heal();
    net.stabilize();
    expect(net.core('c').status().term).toBeGreaterThan(term);
    expect(net.core('a').status().term).toBeGreaterThan(term);
  });
});

describe('check-quorum', () => {
  it('a leader that has not heard from a quorum within an election timeout steps down', () => {
    const net = new Net(['a', 'b', 'c'], { checkQuorum: true });
    net.campaign('a');
    net.isolate('a');
    for (let i = 0; i < 10; i++) net.tick('a'); // first window: peers were active before
    expect(net.core('a').status().role).toBe('leader');
    for (let i = 0; i < 10; i++) net.tick('a');
    expect(net.core('a').status().role).toBe('follower');
  });

  it('a follower in a live leader’s lease ignores vote requests of a higher term', () => {
    const net = new Net(['a', 'b', 'c'], { checkQuorum: true });
    net.campaign('a');
    const b = net.core('b');
    const term = b.status().term;
    b.step({ type: 'vote', from: 'c', to: 'b', term: term + 5, index: 100, logTerm: 100 });
    expect(b.status().term).toBe(term);
    expect(b.ready().messages.filter((m) => m.type === 'vote-resp')).toHaveLength(0);
  });
});

describe('learners', () => {
  it('a learner never campaigns', () => {
    const net = new Net(['a', 'b'], { learners: ['c'] });
    for (let i = 0; i < 100; i++) net.tick('c');
    expect(net.core('c').status().role).toBe('learner');
    expect(net.sent.filter((m) => m.from === 'c' && (m.type === 'vote' || m.type === 'prevote'))).toHaveLength(0);
  });

  it('a learner’s acknowledgement never counts toward commit', () => {
    const net = new Net(['a', 'b'], { learners: ['c'] });
    net.campaign('a');
    const before = net.core('a').status().commit;
    net.isolate('b');
    net.core('a').propose(new TextEncoder().encode('x'));
    net.stabilize();
    expect(net.core('c').status().lastIndex).toBeGreaterThan(before); // replicated to the learner...
    expect(net.core('a').status().commit).toBe(before); // ...but not committed without b
    net.heal();
    net.run(2);
    expect(net.core('a').status().commit).toBeGreaterThan(before);
  });

  it('a learner’s vote does not count for a candidate, and the candidate never asks it', () => {
    const net = new Net(['a', 'b'], { learners: ['c'] });
    net.isolate('b');
    net.core('a').campaign();
    net.flush();
    expect(net.pending.filter((m) => m.type === 'vote' && m.to === 'c')).toHaveLength(0);
    const a = net.core('a');
    a.step({ type: 'vote-resp', from: 'c', to: 'a', term: a.status().term, reject: false });
    expect(a.status().role).toBe('candidate');
  });
});
