/**
 * Partial syncs through long-lived `nft -i` sessions (NftSessionPool) against a fake interactive
 * nft: one process per namespace, its answers read through the sentinel, a refused batch falls
 * back to a one-shot full sync with the session kept, any doubt (death, silence, stray output)
 * kills the session and falls back too, and sessions end with forget/remove/a new namespace/LRU.
 */
import { describe, expect, it } from 'vitest';
import { NftLbProgrammer, NftSessionPool, type LbSyncResult, type VipTable } from '../../../src/net/lb/index.js';
import { FakeNftKernel, FakeNftSessions } from './fake-nft.js';

/** A sync whose background cleanup has run too: a test must not end with its batch file still open. */
async function settled(sync: Promise<LbSyncResult>): Promise<LbSyncResult> {
  const r = await sync;
  await r.cleanup;
  return r;
}

const NS = '/proc/4242/ns/net';
const t = (vips: Record<string, string[]>): VipTable => ({ vips: Object.entries(vips).map(([vip, backends]) => ({ vip, backends })) });
const asMap = (vips: Record<string, string[]>) => new Map(Object.entries(vips).map(([k, v]) => [k, [...v]]));

function setup(pool: { max?: number; timeoutMs?: number } = {}) {
  const kernel = new FakeNftKernel();
  const fake = new FakeNftSessions(kernel);
  const ids = new Map<string, string | undefined>([[NS, 'ns-a']]);
  const sessions = new NftSessionPool({ spawn: fake.spawn, ...pool });
  const lb = new NftLbProgrammer({ run: kernel.run, identity: async (p) => ids.get(p), sessions });
  return { kernel, fake, ids, sessions, lb };
}

const A = { '10.0.1.250': ['10.0.1.2', '10.0.1.3'], '10.0.1.251': ['10.0.1.4'] };
const B = { '10.0.1.250': ['10.0.1.2'], '10.0.1.251': ['10.0.1.4'] };
const C = { '10.0.1.250': ['10.0.1.2', '10.0.1.5', '10.0.1.6'], '10.0.1.251': [] };

describe('nft sessions (fake nft -i)', () => {
  it('sends partial syncs as one line per transaction into one process; full syncs stay one-shot; conntrack after', async () => {
    const { kernel, fake, lb } = setup();
    expect((await settled(lb.sync(NS, t(A)))).mode).toBe('full');
    for (const want of [B, C, A, B]) {
      const r = await settled(lb.sync(NS, t(want)));
      expect(r.mode).toBe('partial');
      expect(kernel.vips(NS)).toEqual(asMap(want));
      expect((await r.cleanup).warnings).toEqual([]);
    }
    expect(fake.spawned).toBe(1);
    expect(fake.alive).toBe(1);
    expect(kernel.nftCalls()).toHaveLength(1); // the full sync
    const batches = fake.lines.filter((l) => !l.line.startsWith('list set'));
    expect(batches).toHaveLength(4);
    expect(batches[0]!.line).toBe('delete element ip tsswarm-lb backends { 10.0.1.250 . 1 }; delete element ip tsswarm-lb vips { 10.0.1.250 }; add element ip tsswarm-lb vips { 10.0.1.250 : goto mod-1 }; flush chain ip tsswarm-lb mod-2; delete chain ip tsswarm-lb mod-2');
    expect(kernel.conntrackLines()).toContain('-D -p udp --orig-dst 10.0.1.250 --reply-src 10.0.1.3');
    lb.close();
    expect(fake.alive).toBe(0);
  });

  it('a refused batch falls back to a one-shot full sync and keeps the session', async () => {
    const { kernel, fake, lb } = setup();
    await settled(lb.sync(NS, t(A)));
    kernel.wipe(NS);
    const r = await settled(lb.sync(NS, t(B)));
    expect(r.mode).toBe('full');
    expect(r.fullReason).toMatch(/partial-sync .*No such file or directory/);
    expect(kernel.vips(NS)).toEqual(asMap(B));
    expect((await settled(lb.sync(NS, t(C)))).mode).toBe('partial');
    expect(kernel.vips(NS)).toEqual(asMap(C));
    expect(fake.spawned).toBe(1);
  });

  it('a session that dies after its batch is a doubt: full sync, then a new session', async () => {
    const { kernel, fake, lb } = setup();
    await settled(lb.sync(NS, t(A)));
    fake.dieAfterNextBatch = true;
    const r = await settled(lb.sync(NS, t(B)));
    expect(r.mode).toBe('full');
    expect(r.fullReason).toMatch(/nft session .* exited/);
    expect(kernel.vips(NS)).toEqual(asMap(B));
    expect(fake.alive).toBe(0);
    expect((await settled(lb.sync(NS, t(C)))).mode).toBe('partial');
    expect(fake.spawned).toBe(2);
    expect(kernel.vips(NS)).toEqual(asMap(C));
  });

  it('silence past the timeout and stray stdout are doubts too: the process is killed', async () => {
    const { kernel, fake, lb } = setup({ timeoutMs: 20 });
    await settled(lb.sync(NS, t(A)));
    fake.hangNextBatch = true;
    let r = await settled(lb.sync(NS, t(B)));
    expect(r.mode).toBe('full');
    expect(r.fullReason).toMatch(/no answer within 20 ms/);
    expect(fake.alive).toBe(0);
    fake.chatterNextBatch = 'table ip x\n';
    r = await settled(lb.sync(NS, t(C)));
    expect(r.mode).toBe('full');
    expect(r.fullReason).toMatch(/unexpected output/);
    expect(kernel.vips(NS)).toEqual(asMap(C));
    expect(fake.alive).toBe(0);
  });

  it('forget, remove, a vanished or replaced namespace end the session; the pool is bounded (LRU)', async () => {
    const { fake, ids, lb } = setup({ max: 2 });
    const ns = ['/proc/1/ns/net', '/proc/2/ns/net', '/proc/3/ns/net'];
    for (const p of ns) ids.set(p, `id-${p}`);
    for (const p of ns) {
      await settled(lb.sync(p, t(A)));
      expect((await settled(lb.sync(p, t(B)))).mode).toBe('partial');
    }
    expect(fake.spawned).toBe(3);
    expect(fake.alive).toBe(2); // the first was evicted
    lb.forget(ns[2]!);
    expect(fake.alive).toBe(1);
    await lb.remove(ns[1]!);
    expect(fake.alive).toBe(0);

    await settled(lb.sync(NS, t(A)));
    await settled(lb.sync(NS, t(B)));
    expect(fake.alive).toBe(1);
    ids.set(NS, 'ns-b'); // a restarted container behind the same path: full sync, old session ends
    expect((await settled(lb.sync(NS, t(C)))).mode).toBe('full');
    expect(fake.alive).toBe(0);
    expect((await settled(lb.sync(NS, t(A)))).mode).toBe('partial');
    expect(fake.alive).toBe(1);
    ids.set(NS, undefined);
    await expect(settled(lb.sync(NS, t(B)))).rejects.toThrow(/no such namespace/);
    expect(fake.alive).toBe(0);
  });

  it('scripts too long for one line go one-shot', async () => {
    const kernel = new FakeNftKernel();
    const fake = new FakeNftSessions(kernel);
    const lb = new NftLbProgrammer({ run: kernel.run, identity: async () => 'x', sessions: new NftSessionPool({ spawn: fake.spawn, maxScriptBytes: 10 }) });
    await settled(lb.sync(NS, t(A)));
    expect((await settled(lb.sync(NS, t(B)))).mode).toBe('partial');
    expect(fake.spawned).toBe(0);
    expect(kernel.nftCalls()).toHaveLength(2);
  });
});
