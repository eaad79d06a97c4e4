/** Membership changes: learners, promotion, demotion, removal, one change at a time. */
import { describe, expect, it } from 'vitest';
import { EntryType } from '../../../src/raft/types.js';
import type { Entry } from '../../../src/raft/types.js';
import { encodeConfChange } from '../../../src/raft/core/conf.js';
import { Net } from './core-network.js';

function joined(net: Net, id: string): void {
  net.addCore(id, { voters: [], learners: [] });
}

describe('membership changes', () => {
  it('add a learner, let it catch up (match index in status), then promote it to voter', () => {
    const net = new Net(['a', 'b', 'c']);
    net.campaign('a');
    net.propose('a', 'x');
    expect(net.core('a').proposeConfChange({ type: 'add-learner', node: 'd', context: 'addr-d' }).ok).toBe(true);
    joined(net, 'd');
    net.stabilize();
    net.run(3);
    const st = net.core('a').status();
    expect(st.conf.learners).toEqual(['d']);
    expect(st.progress!['d']!.match).toBe(st.lastIndex);
    expect(st.progress!['d']!.learner).toBe(true);
    expect(net.core('a').proposeConfChange({ type: 'promote', node: 'd' }).ok).toBe(true);
    net.stabilize();
    for (const id of ['a', 'b', 'c', 'd']) expect(net.core(id).status().conf).toEqual({ voters: ['a', 'b', 'c', 'd'], learners: [] });
    expect(net.core('d').status().role).toBe('follower');
  });

  it('only one change at a time: a second is refused until the first is applied', () => {
    const net = new Net(['a', 'b', 'c']);
    net.campaign('a');
    const a = net.core('a');
    expect(a.proposeConfChange({ type: 'add-learner', node: 'd' }).ok).toBe(true);
    expect(a.proposeConfChange({ type: 'add-learner', node: 'e' })).toMatchObject({ ok: false, reason: 'conf-change-pending' });
    net.stabilize();
    expect(a.proposeConfChange({ type: 'add-learner', node: 'e' }).ok).toBe(true);
  });

  it('a new leader refuses changes until it has applied an entry of its own term', () => {
    const net = new Net(['a', 'b', 'c']);
    net.dropIf = (m) => m.type === 'append-resp';
    net.campaign('a');
    expect(net.core('a').proposeConfChange({ type: 'add-learner', node: 'd' })).toMatchObject({ ok: false, reason: 'conf-change-pending' });
    net.dropIf = () => false;
    net.run(2);
    expect(net.core('a').proposeConfChange({ type: 'add-learner', node: 'd' }).ok).toBe(true);
  });

  it('nonsensical changes are refused', () => {
    const net = new Net(['a', 'b']);
    net.campaign('a');
    const a = net.core('a');
    expect(a.proposeConfChange({ type: 'promote', node: 'b' })).toMatchObject({ ok: false, reason: 'conf-change-invalid' });
    expect(a.proposeConfChange({ type: 'add-learner', node: 'b' })).toMatchObject({ ok: false, reason: 'conf-change-invalid' });
    expect(a.proposeConfChange({ type: 'remove', node: 'z' })).toMatchObject({ ok: false, reason: 'conf-change-invalid' });
  });

  it('a removed leader steps down once the removal is applied, and the rest elect a new one', () => {
    const net = new Net(['a', 'b', 'c']);
    net.campaign('a');
    expect(net.core('a').proposeConfChange({ type: 'remove', node: 'a' }).ok).toBe(true);
    net.stabilize();
    expect(net.core('a').status().role).toBe('follower');
    expect(net.core('b').status().conf.voters).toEqual(['b', 'c']);
    net.run(100);
    const leaders = net.leaders();
    expect(leaders).toHaveLength(1);
    expect(leaders[0]).not.toBe('a');
    // The removed node never campaigns again.
    for (let i = 0; i < 50; i++) net.tick('a');
    expect(net.core('a').status().role).toBe('follower');
  });

  it('a demoted voter becomes a learner: it stops counting and stops campaigning', () => {
    const net = new Net(['a', 'b', 'c']);
    net.campaign('a');
    expect(net.core('a').proposeConfChange({ type: 'demote', node: 'c' }).ok).toBe(true);
    net.stabilize();
    net.run(1);
    expect(net.core('c').status().role).toBe('learner');
    const before = net.core('a').status().commit;
    net.isolate('b');
    net.core('a').propose(new TextEncoder().encode('x'));
    net.stabilize();
    expect(net.core('a').status().commit).toBe(before); // c's ack does not count any more
  });

  it('removing a member shrinks the quorum: entries held by the remaining majority commit', () => {
    const net = new Net(['a', 'b', 'c', 'd']);
    net.campaign('a');
    net.isolate('d');
    net.isolate('c');
    // With c and d gone, a and b are not a majority of four...
    net.heal();
    net.cutLink('a', 'd');
    expect(net.core('a').proposeConfChange({ type: 'remove', node: 'd' }).ok).toBe(true);
    net.stabilize();
    expect(net.core('a').status().conf.voters).toEqual(['a', 'b', 'c']);
    net.isolate('c');
    net.propose('a', 'x'); // ...but a and b are a majority of three
    expect(net.appliedData('b')).toEqual(['x']);
  });

  it('a node does not campaign while a membership change it knows to be committed is unapplied; a change followed by another is known committed', () => {
    const net = new Net([]);
    const conf = { voters: ['a', 'b', 'c'], learners: [] };
    const cc = (index: number, type: 'add-learner' | 'promote', node: string): Entry => ({ index, term: 1, type: EntryType.ConfChange, data: encodeConfChange({ type, node }) });
    // Commit says 0 (e.g. the hard state was lost with the last write), but the log shows two changes.
    const a = net.addCore('a', conf, { initial: { hardState: { term: 1, vote: null, commit: 0 }, snapshot: null, entries: [cc(1, 'add-learner', 'd'), cc(2, 'promote', 'd')], conf } });
    a.campaign();
    expect(a.status().role).toBe('follower'); // refused: change 1 is committed but unapplied
    expect(a.status().commit).toBe(1); // inferred: change 2 was proposed only after 1 was applied
    net.flush(); // applies change 1
    expect(a.status().conf).toEqual({ voters: ['a', 'b', 'c'], learners: ['d'] });
    a.campaign();
    expect(a.status().role).toBe('candidate');
  });
});
