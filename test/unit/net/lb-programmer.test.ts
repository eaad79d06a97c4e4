/**
 * The nftables programmer's state logic against a fake nft: full sync when the namespace is
 * unknown, the difference afterwards, nothing when nothing changed, a full sync when the diff is
 * refused or the namespace was replaced, and conntrack cleanup after the commit (its ordering in the background: lb-cleanup.test.ts).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NftLbProgrammer, isLbCommandError, type LbSyncResult, type VipTable } from '../../../src/net/lb/index.js';
import { FakeNftKernel } from './fake-nft.js';

/** A sync whose background cleanup has run too: a test must not end with its batch file still open. */
async function settled(sync: Promise<LbSyncResult>): Promise<LbSyncResult> {
  const r = await sync;
  await r.cleanup;
  return r;
}

const NS = '/proc/4242/ns/net';

function setup() {
  const kernel = new FakeNftKernel();
  const ids = new Map<string, string | undefined>([[NS, 'ns-a']]);
  const lb = new NftLbProgrammer({ run: kernel.run, identity: async (p) => ids.get(p) });
  return { kernel, ids, lb };
}

const t = (vips: Record<string, string[]>): VipTable => ({ vips: Object.entries(vips).map(([vip, backends]) => ({ vip, backends })) });
const asMap = (vips: Record<string, string[]>) => new Map(Object.entries(vips).map(([k, v]) => [k, [...v].sort()]));

describe('NftLbProgrammer state logic (fake nft)', () => {
  it('syncs fully first, then sends only the difference, then nothing', async () => {
    const { kernel, lb } = setup();
    const a = { '10.0.1.250': ['10.0.1.2', '10.0.1.3'], '10.0.1.251': [] };
    const r1 = await settled(lb.sync(NS, t(a)));
    expect(r1).toMatchObject({ mode: 'full', fullReason: 'unknown' });
    expect(kernel.vips(NS)).toEqual(asMap(a));

    const b = { '10.0.1.250': ['10.0.1.2', '10.0.1.4'], '10.0.1.251': ['10.0.1.9'] };
    const r2 = await settled(lb.sync(NS, t(b)));
    expect(r2.mode).toBe('partial');
    expect(r2.bytes).toBe(kernel.nftCalls().at(-1)!.stdin!.length);
    expect(r2.bytes).toBeLessThan(r1.bytes);
    expect(kernel.vips(NS)).toEqual(asMap(b));

    const r3 = await settled(lb.sync(NS, t(b)));
    expect(r3).toMatchObject({ mode: 'none', bytes: 0 });
    expect(await r3.cleanup).toEqual({ conntrackDeleted: 0, warnings: [] });
    expect(kernel.nftCalls()).toHaveLength(2);
    expect(kernel.nftCalls().every((c) => c.argv.join(' ') === `nsenter --net=${NS} nft -f -`)).toBe(true);
  });

  it('falls back to a full sync when the diff is refused (table changed behind our back)', async () => {
    const { kernel, lb } = setup();
    await settled(lb.sync(NS, t({ '10.0.1.250': ['10.0.1.2'] })));
    kernel.wipe(NS);
    const r = await settled(lb.sync(NS, t({ '10.0.1.250': ['10.0.1.3'] })));
    expect(r.mode).toBe('full');
    expect(r.fullReason).toMatch(/partial-sync .* No such file or directory at script line 1: delete element ip tsswarm-lb backends \{ 10\.0\.1\.250 \. 0 \}/);
    expect(kernel.vips(NS)).toEqual(asMap({ '10.0.1.250': ['10.0.1.3'] }));
    expect(kernel.nftCalls().map((c) => c.stdin!.split('\n')[0])).toEqual(['add table ip tsswarm-lb', 'delete element ip tsswarm-lb backends { 10.0.1.250 . 0 }', 'add table ip tsswarm-lb']);
  });

  it('falls back to a full sync on any diff failure, and the next change is partial again', async () => {
    const { kernel, lb } = setup();
    await settled(lb.sync(NS, t({ '10.0.1.250': ['10.0.1.2'] })));
    kernel.failNextNft();
    expect((await settled(lb.sync(NS, t({ '10.0.1.250': ['10.0.1.3'] })))).mode).toBe('full');
    expect((await settled(lb.sync(NS, t({ '10.0.1.250': ['10.0.1.4'] })))).mode).toBe('partial');
  });

  it('throws a typed error naming namespace, step and line when the full sync fails, and forgets', async () => {
    const { kernel, lb } = setup();
    kernel.failNextNft();
    const err = await settled(lb.sync(NS, t({ '10.0.1.250': ['10.0.1.2'] }))).catch((e: unknown) => e);
    expect(isLbCommandError(err, 'full-sync')).toBe(true);
    if (!isLbCommandError(err)) throw err;
    expect(err.netns).toBe(NS);
    expect(err.nftLine).toEqual({ line: 1, text: 'add table ip tsswarm-lb' });
    expect(err.stderr).toContain('Operation not permitted');
    expect(err.message).toContain(NS);
    // Nothing is believed: the next sync is full again.
    expect((await settled(lb.sync(NS, t({ '10.0.1.250': ['10.0.1.2'] })))).mode).toBe('full');
  });

  it('resyncs fully when the path now names another namespace (restarted container, reused pid)', async () => {
    const { ids, lb } = setup();
    await settled(lb.sync(NS, t({ '10.0.1.250': ['10.0.1.2'] })));
    ids.set(NS, 'ns-b');
    expect((await settled(lb.sync(NS, t({ '10.0.1.250': ['10.0.1.2'] })))).mode).toBe('full');
  });

  it('syncs fully again once the last full sync is older than fullResyncMs, even with no change', async () => {
    const kernel = new FakeNftKernel();
    let now = 1_000;
    const lb = new NftLbProgrammer({ run: kernel.run, identity: async () => 'ns-a', fullResyncMs: 60_000, now: () => now });
    const want = t({ '10.0.1.250': ['10.0.1.2'] });
    await settled(lb.sync(NS, want));
    kernel.wipe(NS); // a user's `nft flush ruleset`: invisible to memory
    now += 59_999;
    expect((await settled(lb.sync(NS, want))).mode).toBe('none');
    expect((await settled(lb.sync(NS, t({ '10.0.1.250': ['10.0.1.3'] })))).mode).toBe('full'); // the diff fails on the hole
    now += 60_000;
    const r = await settled(lb.sync(NS, t({ '10.0.1.250': ['10.0.1.3'] })));
    expect(r).toMatchObject({ mode: 'full', fullReason: 'periodic' });
    expect(kernel.vips(NS)).toEqual(asMap({ '10.0.1.250': ['10.0.1.3'] }));
  });

  it('forget() makes the next sync full; remove() deletes the table; both tolerate a gone namespace', async () => {
    const { kernel, ids, lb } = setup();
    await settled(lb.sync(NS, t({ '10.0.1.250': ['10.0.1.2'] })));
    lb.forget(NS);
    expect((await settled(lb.sync(NS, t({ '10.0.1.250': ['10.0.1.2'] })))).mode).toBe('full');
    await lb.remove(NS);
    expect(kernel.vips(NS)).toBeUndefined();
    await lb.remove(NS); // idempotent
    expect(lb.known()).toEqual([]);
    ids.set(NS, undefined);
    await lb.remove(NS);
    const err = await settled(lb.sync(NS, t({}))).catch((e: unknown) => e);
    expect(isLbCommandError(err, 'netns')).toBe(true);
  });

  it('deletes conntrack flows after the commit: removed backends, removed VIPs, new VIPs (UDP)', async () => {
    const { kernel, lb } = setup();
    await (await settled(lb.sync(NS, t({ '10.0.1.250': ['10.0.1.2', '10.0.1.3'], '10.0.1.251': ['10.0.1.7'] })))).cleanup;
    expect(kernel.conntrackLines()).toEqual(['-D -p udp']); // unknown state: stale un-NATed UDP
    kernel.calls.length = 0;
    const r = await settled(lb.sync(NS, t({ '10.0.1.250': ['10.0.1.3'], '10.0.1.252': ['10.0.1.8'] })));
    expect(r.mode).toBe('partial');
    expect(await r.cleanup).toEqual({ conntrackDeleted: 0, warnings: [] });
    // One process for the whole change, after the commit.
    expect(kernel.calls.map((c) => c.argv.slice(2, 4).join(' '))).toEqual(['nft -f', 'conntrack -R']);
    expect(kernel.conntrackLines()).toEqual(['-D -p udp --orig-dst 10.0.1.250 --reply-src 10.0.1.2', '-D -p udp --orig-dst 10.0.1.251', '-D -p udp --orig-dst 10.0.1.252']);
  });

  it('counts deleted flows and reports a conntrack failure as a warning, the table committed', async () => {
    const kernel = new FakeNftKernel();
    const warned: unknown[] = [];
    const lb = new NftLbProgrammer({ run: kernel.run, identity: async () => 'ns-a', onWarning: (e) => warned.push(e) });
    await (await settled(lb.sync(NS, t({ '10.0.1.250': ['10.0.1.2', '10.0.1.3'] })))).cleanup;
    const entry = 'udp      17 29 src=10.0.1.9 dst=10.0.1.250 sport=4000 dport=53 src=10.0.1.2 dst=10.0.1.9 sport=53 dport=4000 mark=0 use=1\n';
    kernel.conntrackAnswer = { code: 0, stdout: entry.repeat(3), stderr: '' };
    expect((await (await settled(lb.sync(NS, t({ '10.0.1.250': ['10.0.1.3'] })))).cleanup).conntrackDeleted).toBe(3);
    kernel.conntrackAnswer = { code: 1, stdout: '', stderr: 'conntrack v1.4.7 (conntrack-tools): Operation failed: sorry, you must be root or get CAP_NET_ADMIN capability to do this\n' };
    const r = await settled(lb.sync(NS, t({ '10.0.1.250': ['10.0.1.4'] })));
    expect(r.mode).toBe('partial');
    expect(kernel.vips(NS)).toEqual(asMap({ '10.0.1.250': ['10.0.1.4'] }));
    const c = await r.cleanup;
    expect(c.warnings).toHaveLength(1);
    expect(c.warnings[0]).toMatchObject({ step: 'conntrack', committed: true, status: 1 });
    expect(warned).toEqual([c.warnings[0]]);
  });

  it('serialises concurrent syncs of one namespace (the last wanted table wins)', async () => {
    const { kernel, lb } = setup();
    const all = await Promise.all([1, 2, 3, 4].map((i) => settled(lb.sync(NS, t({ '10.0.1.250': [`10.0.1.${i}`] })))));
    expect(all.map((r) => r.mode)).toEqual(['full', 'partial', 'partial', 'partial']);
    expect(kernel.vips(NS)).toEqual(asMap({ '10.0.1.250': ['10.0.1.4'] }));
  });

  it('rejects a bad table before touching the namespace', async () => {
    const { kernel, lb } = setup();
    await expect(settled(lb.sync(NS, t({ 'not-an-ip': [] })))).rejects.toThrow(/not an IPv4 address/);
    expect(kernel.calls).toEqual([]);
  });

  it('property: after any sequence of syncs the kernel holds exactly the last table, with no stale chains', async () => {
    const ip = fc.integer({ min: 1, max: 8 }).map((n) => `10.0.0.${n}`);
    const table = fc.dictionary(fc.integer({ min: 1, max: 6 }).map((n) => `10.0.1.${n}`), fc.uniqueArray(ip, { maxLength: 4 }), { maxKeys: 5 });
    await fc.assert(
      fc.asyncProperty(fc.array(table, { minLength: 1, maxLength: 8 }), fc.array(fc.boolean(), { maxLength: 8 }), async (tables, wipes) => {
        const { kernel, lb } = setup();
        for (const [i, want] of tables.entries()) {
          if (wipes[i]) kernel.wipe(NS);
          let r = await settled(lb.sync(NS, t(want)));
          if (wipes[i] && r.mode === 'none') {
            // Unchanged wanted state: memory cannot see the wipe (the periodic full sync can).
            lb.forget(NS);
            r = await settled(lb.sync(NS, t(want)));
          }
          if (i === 0 || wipes[i]) expect(r.mode).toBe('full');
          expect(kernel.vips(NS)).toEqual(asMap(want));
          const live = [...new Set(Object.values(want).filter((b) => b.length > 0).map((b) => `mod-${new Set(b).size}`))];
          expect(kernel.chains(NS)).toEqual(['nat-output', 'refuse-output', ...live].sort());
        }
      }),
      { numRuns: 200 },
    );
  });
});
