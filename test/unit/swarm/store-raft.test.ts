import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RaftNode } from '../../../src/raft/node/index.js';
import { isConflict, MemoryStore, type ApplyResult, type Proposer } from '../../../src/swarm/store/index.js';
import { node, service, steppingClock, task, text } from './store-fixtures.js';

/**
 * The seam check: MemoryStore as the state machine of real raft nodes (loopback TCP, disk WAL),
 * writes proposed through the leader. The control plane's own tests go further (leader changes,
 * the dispatcher); this only proves the store's contract fits the node driver's.
 */

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

/** Proposes through whichever raft node it is bound to (the store needs it before the node exists). */
class NodeProposer implements Proposer {
  node: RaftNode<ApplyResult> | undefined;
  propose(cmd: Uint8Array): Promise<unknown> {
    if (this.node === undefined) return Promise.reject(new Error('not bound to a raft node'));
    return this.node.propose(cmd);
  }
}

async function eventually(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('store over real raft (3 members on loopback)', () => {
  it('replicates commands, refuses conflicts on every member alike, survives snapshot + restart', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'store-raft-'));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    const ids = ['m1', 'm2', 'm3'];
    const peers: Record<string, string> = {};
    for (const id of ids) peers[id] = `127.0.0.1:${await freePort()}`;
    const members = new Map<string, { store: MemoryStore; node: RaftNode<ApplyResult> }>();
    const start = async (id: string): Promise<void> => {
      const proposer = new NodeProposer();
      const store = new MemoryStore({ proposer, now: steppingClock() });
      const rn = new RaftNode<ApplyResult>({
        id,
        dataDir: join(dir, id),
        listen: { host: '127.0.0.1', port: Number(peers[id]!.split(':')[1]) },
        peers,
        stateMachine: store,
        tickMs: 20,
        snapshotEvery: 25,
      });
      proposer.node = rn;
      await rn.start();
      members.set(id, { store, node: rn });
    };
    for (const id of ids) await start(id);
    cleanup.push(async () => {
      for (const m of members.values()) await m.node.stop();
    });
    let leader: MemoryStore | undefined;
    await eventually(() => {
      leader = [...members.values()].find((m) => m.node.role === 'leader')?.store;
      return leader !== undefined;
    }, 'a leader');
    const store = leader!;

    await store.update((tx) => {
      tx.create('service', service('s1', 'web'));
      tx.create('node', node('n1'));
    });
    for (let i = 1; i <= 40; i++) await store.update((tx) => tx.create('task', task(`t${i}`, 's1', i, 'n1')));
    // Two updates built from one read, in flight together through raft: exactly one wins.
    const s = store.view((tx) => tx.get('service', 's1'))!;
    const results = await Promise.allSettled([
      store.update((tx) => tx.update('service', { ...s, spec: { ...s.spec, labels: { by: 'a' } } })),
      store.update((tx) => tx.update('service', { ...s, spec: { ...s.spec, labels: { by: 'b' } } })),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const lost = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(isConflict(lost.reason)).toBe(true);

    const same = (): boolean => {
      const want = text(store.snapshot());
      return [...members.values()].every((m) => text(m.store.snapshot()) === want);
    };
    await eventually(same, 'all members to apply everything');

    // A member restarted from its disk (snapshot + WAL) rebuilds the same store.
    const follower = ids.find((id) => members.get(id)!.store !== store)!;
    await members.get(follower)!.node.stop();
    await start(follower);
    await store.update((tx) => tx.delete('task', 't1'));
    await eventually(same, 'the restarted member to catch up');
    expect(members.get(follower)!.store.view((tx) => tx.findTasksByNode('n1').length)).toBe(39);
  });
});
