/** Snapshots: compaction, InstallSnapshot for a lagging follower, joiners initialised by snapshot. */
import { describe, expect, it } from 'vitest';
import { Net, enc } from './core-network.js';

describe('snapshots and compaction', () => {
  it('compact drops the log prefix and records the membership at that index', () => {
    const net = new Net(['a', 'b', 'c']);
    net.campaign('a');
    for (let i = 0; i < 5; i++) net.propose('a', `e${i}`);
    const a = net.core('a');
    const applied = a.status().applied;
    const snap = a.compact(applied, enc('image'));
    expect(snap.meta).toMatchObject({ index: applied, term: 1, conf: { voters: ['a', 'b', 'c'], learners: [] } });
    expect(a.status().snapshotIndex).toBe(applied);
    expect(a.termAt(applied - 1)).toBeNull();
    expect(() => a.compact(applied + 1, enc('x'))).toThrow(/applied/);
  });

  it('a follower that fell behind the leader’s compacted log is sent a snapshot and continues from it', () => {
    const net = new Net(['a', 'b', 'c']);
    net.campaign('a');
    net.isolate('c');
    for (let i = 0; i < 5; i++) net.propose('a', `e${i}`);
    const a = net.core('a');
    a.compact(a.status().applied, enc('image-at-6'));
    net.heal();
    net.run(2);
    expect(net.sent.some((m) => m.type === 'snapshot' && m.to === 'c')).toBe(true);
    expect(net.snapshotsRestored.get('c')).toBe(6);
    expect(net.core('c').status()).toMatchObject({ snapshotIndex: 6, commit: 6, applied: 6 });
    net.propose('a', 'after');
    expect(net.appliedData('c')).toEqual(['after']);
  });

  it('a stale snapshot (at or below the follower’s commit) is ignored', () => {
    const net = new Net(['a', 'b', 'c']);
    net.campaign('a');
    for (let i = 0; i < 3; i++) net.propose('a', `e${i}`);
    const c = net.core('c');
    const commit = c.status().commit;
    c.step({ type: 'snapshot', from: 'a', to: 'c', term: 1, snapshot: { meta: { index: 2, term: 1, conf: { voters: ['a', 'b', 'c'], learners: [] } }, data: enc('old') } });
    const rd = c.ready();
    expect(rd.snapshot).toBeUndefined();
    expect(rd.messages.find((m) => m.type === 'append-resp')?.index).toBe(commit);
  });

  it('a node joining with no state is initialised by a snapshot carrying the membership', () => {
    const net = new Net(['a', 'b', 'c']);
    net.campaign('a');
    net.propose('a', 'x');
    const r = net.core('a').proposeConfChange({ type: 'add-learner', node: 'd' });
    expect(r.ok).toBe(true);
    net.addCore('d', { voters: [], learners: [] });
    net.stabilize();
    net.run(3);
    const d = net.core('d');
    expect(d.status().role).toBe('learner');
    expect(d.status().conf).toEqual({ voters: ['a', 'b', 'c'], learners: ['d'] });
    expect(net.appliedData('d')).toEqual(['x']);
    expect(net.snapshotsRestored.get('d')).toBe(0); // the bootstrap image: empty state, initial members
  });
});
