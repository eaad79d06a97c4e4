/** Leadership transfer (thesis §3.10) and ReadIndex linearizable reads (thesis §6.4). */
import { describe, expect, it } from 'vitest';
import { Net, dec, enc } from './core-network.js';

describe('leadership transfer', () => {
  it('the leader hands over to an up-to-date voter with timeout-now, which wins at once', () => {
    const net = new Net(['a', 'b', 'c'], { preVote: true, checkQuorum: true });
    net.campaign('a');
    const term = net.core('a').status().term;
    net.core('a').transferLeadership('b');
    net.stabilize();
    expect(net.core('b').status().role).toBe('leader');
    expect(net.core('b').status().term).toBe(term + 1);
    expect(net.core('a').status().role).toBe('follower');
  });

  it('a lagging transferee is caught up first; proposals are refused meanwhile', () => {
    const net = new Net(['a', 'b', 'c']);
    net.campaign('a');
    net.isolate('c');
    net.propose('a', 'x');
    net.core('a').transferLeadership('c');
    expect(net.core('a').propose(enc('y'))).toMatchObject({ ok: false, reason: 'transferring' });
    net.heal();
    net.run(2);
    expect(net.core('c').status().role).toBe('leader');
    expect(net.appliedData('c')).toEqual(['x']);
  });

  it('a transfer that cannot finish within an election timeout is abandoned', () => {
    const net = new Net(['a', 'b', 'c']);
    net.campaign('a');
    net.isolate('c');
    net.propose('a', 'x');
    net.core('a').transferLeadership('c');
    for (let i = 0; i < 10; i++) net.tick('a');
    expect(net.core('a').status().leadTransferee).toBeNull();
    expect(net.core('a').propose(enc('y')).ok).toBe(true);
  });
});

describe('ReadIndex', () => {
  it('the leader answers with its commit index after a heartbeat round confirms its leadership', () => {
    const net = new Net(['a', 'b', 'c']);
    net.campaign('a');
    net.propose('a', 'x');
    const commit = net.core('a').status().commit;
    net.core('a').readIndex(enc('r1'));
    net.flush();
    expect(net.readStates.get('a')).toEqual([]); // not before the heartbeat round
    net.stabilize();
    expect(net.readStates.get('a')!.map((r) => [r.index, dec(r.context)])).toEqual([[commit, 'r1']]);
  });

  it('an isolated (possibly deposed) leader answers no read', () => {
    const net = new Net(['a', 'b', 'c']);
    net.campaign('a');
    net.isolate('a');
    net.core('a').readIndex(enc('r1'));
    net.stabilize();
    net.tick('a', 3);
    net.stabilize();
    expect(net.readStates.get('a')).toEqual([]);
  });

  it('a follower forwards the read to the leader and gets the read point back', () => {
    const net = new Net(['a', 'b', 'c']);
    net.campaign('a');
    net.propose('a', 'x');
    expect(net.core('b').readIndex(enc('rb'))).toBe(true);
    net.stabilize();
    expect(net.readStates.get('b')!.map((r) => [r.index, dec(r.context)])).toEqual([[net.core('a').status().commit, 'rb']]);
  });

  it('a new leader serves reads only once it has committed an entry of its term', () => {
    const net = new Net(['a', 'b', 'c']);
    net.dropIf = (m) => m.type === 'append';
    net.campaign('a');
    expect(net.core('a').status().role).toBe('leader');
    net.core('a').readIndex(enc('r1'));
    net.stabilize();
    net.tick('a');
    net.stabilize();
    expect(net.readStates.get('a')).toEqual([]);
    net.dropIf = () => false;
    net.run(3);
    expect(net.readStates.get('a')!.map((r) => dec(r.context))).toEqual(['r1']);
    expect(net.readStates.get('a')![0]!.index).toBe(net.core('a').status().commit);
  });

  it('a follower with no known leader drops the read (the caller retries)', () => {
    const net = new Net(['a', 'b', 'c']);
    expect(net.core('b').readIndex(enc('r'))).toBe(false);
  });
});
