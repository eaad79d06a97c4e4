import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { NotLeaderError, RaftNode, StoppedError, type StateMachine } from '../../../src/raft/node/index.js';

/** A tiny register-map state machine: "k=v" commands; apply returns the previous value. */
class MapSM implements StateMachine<string | null> {
  m = new Map<string, string>();
  apply(data: Uint8Array): string | null {
    const [k, v] = new TextDecoder().decode(data).split('=') as [string, string];
    const prev = this.m.get(k) ?? null;
    this.m.set(k, v);
    return prev;
  }
  snapshot(): Uint8Array {
    return new TextEncoder().encode(JSON.stringify([...this.m]));
  }
  restore(d: Uint8Array): void {
    this.m = new Map(d.length ? (JSON.parse(new TextDecoder().decode(d)) as [string, string][]) : []);
  }
}

const enc = (s: string) => new TextEncoder().encode(s);
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

async function cluster(n: number, opts: { snapshotEvery?: number } = {}) {
  const dir = await mkdtemp(join(tmpdir(), 'raft-node-'));
  cleanup.push(() => rm(dir, { recursive: true, force: true }));
  const ids = Array.from({ length: n }, (_, i) => `n${i + 1}`);
  const peers: Record<string, string> = {};
  for (const id of ids) peers[id] = `127.0.0.1:${await freePort()}`;
  const sms = new Map<string, MapSM>();
  const nodes = new Map<string, RaftNode<string | null>>();
  const make = async (id: string) => {
    const sm = new MapSM();
    const port = Number(peers[id]!.split(':')[1]);
    const node = new RaftNode<string | null>({ id, dataDir: join(dir, id), listen: { host: '127.0.0.1', port }, peers, stateMachine: sm, tickMs: 20, ...opts });
    await node.start();
    sms.set(id, sm);
    nodes.set(id, node);
    return node;
  };
  for (const id of ids) await make(id);
  cleanup.push(async () => {
    for (const nd of nodes.values()) await nd.stop();
  });
  const leader = async (): Promise<RaftNode<string | null>> => {
    for (let i = 0; i < 300; i++) {
      for (const nd of nodes.values()) if (nd.role === 'leader') return nd;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error('no leader');
  };
  return { ids, nodes, sms, make, leader };
}

describe('RaftNode', () => {
  it('elects a leader; propose resolves with the apply result after commit; followers redirect', async () => {
    const c = await cluster(3);
    const l = await c.leader();
    expect(await l.propose(enc('a=1'))).toBeNull();
    expect(await l.propose(enc('a=2'))).toBe('1');
    const f = [...c.nodes.values()].find((x) => x !== l)!;
    const err = await f.propose(enc('a=3')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotLeaderError);
    expect((err as NotLeaderError).leader).toBe(l.id);
    expect((err as NotLeaderError).address).toBe(l.addressOf(l.id));
    await l.read();
    expect(c.sms.get(l.id)!.m.get('a')).toBe('2');
  });

  it('batches many concurrent proposals (group commit) with low latency', async () => {
    const c = await cluster(3);
    const l = await c.leader();
    await l.propose(enc('warm=1'));
    const t0 = performance.now();
    const lat: number[] = [];
    for (let i = 0; i < 20; i++) {
      const t = performance.now();
      await l.propose(enc(`s=${i}`));
      lat.push(performance.now() - t);
    }
    const serial = (performance.now() - t0) / 20;
    const t1 = performance.now();
    await Promise.all(Array.from({ length: 500 }, (_, i) => l.propose(enc(`k${i}=${i}`))));
    const batch = performance.now() - t1;
    console.log(`serial propose ${serial.toFixed(2)} ms avg (max ${Math.max(...lat).toFixed(1)}), 500 concurrent in ${batch.toFixed(0)} ms; progress ${JSON.stringify(l.status().progress)}`);
    expect(c.sms.get(l.id)!.m.get('k499')).toBe('499');
  });

  it('snapshots and compacts; a restarted member recovers its state from snapshot + WAL', async () => {
    const c = await cluster(3, { snapshotEvery: 50 });
    const l = await c.leader();
    for (let i = 0; i < 120; i++) await l.propose(enc(`x=${i}`));
    expect(l.status().snapshotIndex).toBeGreaterThan(0);
    const f = [...c.nodes.values()].find((x) => x !== l)!;
    await f.stop();
    const again = await c.make(f.id);
    await l.propose(enc('x=last'));
    for (let i = 0; i < 200 && c.sms.get(f.id)!.m.get('x') !== 'last'; i++) await new Promise((r) => setTimeout(r, 20));
    expect(c.sms.get(f.id)!.m.get('x')).toBe('last');
    expect(again.status().applied).toBeGreaterThanOrEqual(121);
  });

  it('adds a member as a learner (address via ConfChange context), promotes it, and removes another', async () => {
    const c = await cluster(3, { snapshotEvery: 20 });
    const l = await c.leader();
    for (let i = 0; i < 30; i++) await l.propose(enc(`y=${i}`));
    // A fourth member joins: empty membership, learns everything from the leader (a snapshot here).
    const port = await freePort();
    const sm = new MapSM();
    const dir = await mkdtemp(join(tmpdir(), 'raft-node-join-'));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    const n4 = new RaftNode<string | null>({ id: 'n4', dataDir: dir, listen: { host: '127.0.0.1', port }, peers: { ...Object.fromEntries(c.ids.map((id) => [id, l.addressOf(id)!])) }, join: true, stateMachine: sm, tickMs: 20 });
    await n4.start();
    cleanup.push(() => n4.stop());
    await l.addLearner('n4', `127.0.0.1:${port}`);
    expect(l.status().conf.learners).toEqual(['n4']);
    for (let i = 0; i < 200 && sm.m.get('y') !== '29'; i++) await new Promise((r) => setTimeout(r, 20));
    expect(sm.m.get('y')).toBe('29');
    expect(n4.role).toBe('learner');
    await l.promote('n4');
    expect(l.status().conf.voters).toContain('n4');
    const victim = c.ids.find((id) => id !== l.id)!;
    await l.remove(victim);
    expect(l.status().conf.voters).not.toContain(victim);
    await l.propose(enc('y=after'));
    for (let i = 0; i < 200 && sm.m.get('y') !== 'after'; i++) await new Promise((r) => setTimeout(r, 20));
    expect(sm.m.get('y')).toBe('after');
    expect(n4.addressOf('n4')).toBe(`127.0.0.1:${port}`);
  });

  it('rejects pending and new work with StoppedError after stop()', async () => {
    const c = await cluster(1);
    const l = await c.leader();
    await l.stop();
    expect(await l.propose(enc('a=1')).catch((e: unknown) => e)).toBeInstanceOf(StoppedError);
  });
  it('a founder and a joined member, both restarted from disk, agree the founder is a voter', async () => {
    // The swarm pattern: one founder, a second member added by join. Neither may rely on a peer
    // list at restart: membership comes from the log, where the founder wrote itself at index 1-2.
    const dir = await mkdtemp(join(tmpdir(), 'raft-node-founder-'));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    const [pa, pb] = [await freePort(), await freePort()];
    const addrA = `127.0.0.1:${pa}`;
    const addrB = `127.0.0.1:${pb}`;
    const running: RaftNode<string | null>[] = [];
    cleanup.push(async () => {
      for (const nd of running) await nd.stop();
    });
    const make = async (id: 'a' | 'b', join: boolean, peers: Record<string, string>) => {
      const nd = new RaftNode<string | null>({ id, dataDir: `${dir}/${id}`, listen: { host: '127.0.0.1', port: id === 'a' ? pa : pb }, peers, join, stateMachine: new MapSM(), tickMs: 20 });
      await nd.start();
      running.push(nd);
      return nd;
    };
    const waitFor = async (p: () => boolean, what: string) => {
      for (let i = 0; i < 300 && !p(); i++) await new Promise((r) => setTimeout(r, 20));
      if (!p()) throw new Error(`timed out: ${what}; a=${JSON.stringify(a.status().conf)} b=${JSON.stringify(b?.status().conf)}`);
    };
    let a = await make('a', false, { a: addrA });
    await waitFor(() => a.role === 'leader', 'a leads');
    let b: RaftNode<string | null> | undefined;
    b = await make('b', true, { a: addrA, b: addrB });
    await a.addLearner('b', addrB);
    await waitFor(() => a.status().progress?.b?.match === a.status().commit, 'b caught up');
    await a.promote('b');
    await a.propose(enc('k=1'));
    await waitFor(() => b!.status().conf.voters.length === 2, 'b sees two voters');
    for (const nd of running.splice(0)) await nd.stop();

    // Restarted with no founding list at all (as a manager restarting from disk does).
    a = await make('a', true, { a: addrA });
    b = await make('b', true, { b: addrB });
    await waitFor(() => a.status().conf.voters.join() === 'a,b' && b.status().conf.voters.join() === 'a,b', 'both see a,b after restart');
    await waitFor(() => a.role === 'leader' || b.role === 'leader', 'a leader after restart');
    const l = a.role === 'leader' ? a : b;
    await l.propose(enc('k=2'));
    expect(b.addressOf('a')).toBe(addrA);
    expect(a.addressOf('b')).toBe(addrB);
  });
});
