/**
 * Conntrack cleanup off the commit path (src/net/lb/conntrack-cleaner.ts), through the programmer
 * and a fake nft whose conntrack processes are held until the test lets them finish: sync()
 * resolves at the commit, each cleanup runs after its own commit, in commit order per namespace,
 * cleanups queued behind a running one share the next process, failures reach onWarning, and
 * remove/forget/close or a replaced namespace drop what is queued.
 */
import { describe, expect, it } from 'vitest';
import type { CommandRunner } from '../../../src/net/lb/command.js';
import { NftLbProgrammer, type LbCommandError, type VipTable } from '../../../src/net/lb/index.js';
import { FakeNftKernel } from './fake-nft.js';

const NS = '/proc/4242/ns/net';
const t = (vips: Record<string, string[]>): VipTable => ({ vips: Object.entries(vips).map(([vip, backends]) => ({ vip, backends })) });

/** A fake runner over FakeNftKernel whose conntrack calls wait until `release()`; nft runs at once. */
class FakeHeldConntrack {
  readonly kernel = new FakeNftKernel();
  /** Every call in the order it started: 'nft <netns>' or 'conntrack <netns>'. */
  readonly events: string[] = [];
  inFlight = 0;
  maxInFlight = 0;
  private starts = 0;
  private held: Array<() => void> = [];
  private waiters: Array<{ n: number; resolve: () => void }> = [];

  readonly run: CommandRunner = async (argv, stdin) => {
    const tool = argv[2] ?? '';
    this.events.push(`${tool} ${argv[1]?.slice('--net='.length) ?? ''}`);
    if (tool !== 'conntrack') return this.kernel.run(argv, stdin);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    // Held from the start (so release() right after started() lets it go), recorded and its
    // batch file read at once; the answer is the one set when it ends.
    const hold = new Promise<void>((resolve) => this.held.push(resolve));
    this.starts++;
    for (const w of this.waiters.filter((x) => x.n <= this.starts)) w.resolve();
    await this.kernel.run(argv, stdin);
    await hold;
    this.inFlight--;
    return this.kernel.conntrackAnswer;
  };

  /** Resolves once `n` conntrack processes have started in all (no timing guesses). */
  started(n: number): Promise<void> {
    if (this.starts >= n) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ n, resolve }));
  }

  /** Lets every conntrack process held so far finish. */
  release(): void {
    for (const r of this.held.splice(0)) r();
  }

  /** conntrack lines per process, in start order. */
  batches(): string[][] {
    return this.kernel.conntrackCalls().map((c) => (c.stdin ?? '').split('\n').filter((l) => l !== ''));
  }
}

function setup(opts: { onWarning?: (e: LbCommandError) => void } = {}) {
  const fake = new FakeHeldConntrack();
  const ids = new Map<string, string | undefined>();
  const identity = async (p: string) => (ids.has(p) ? ids.get(p) : 'ns-a');
  const lb = new NftLbProgrammer({ run: fake.run, identity, ...opts });
  return { fake, ids, lb };
}

const A = '10.0.1.250';

describe('conntrack cleanup in the background (fake nft, held conntrack)', () => {
  it('sync() resolves at the commit; the cleanup runs after it and settles later', async () => {
    const { fake, lb } = setup();
    const first = await lb.sync(NS, t({ [A]: ['10.0.1.2', '10.0.1.3'] }));
    expect(first.mode).toBe('full');
    expect(fake.kernel.vips(NS)?.get(A)).toEqual(['10.0.1.2', '10.0.1.3']); // committed before any cleanup
    let settled = false;
    void first.cleanup.then(() => (settled = true));
    await fake.started(1);
    expect(fake.events).toEqual([`nft ${NS}`, `conntrack ${NS}`]);
    expect(settled).toBe(false); // conntrack is still held, sync() did not wait for it
    fake.release();
    expect(await first.cleanup).toEqual({ conntrackDeleted: 0, warnings: [] });
    expect(settled).toBe(true);
  });

  it('runs cleanups in commit order, each after its commit; those queued behind a running one share the next process', async () => {
    const { fake, lb } = setup();
    const r0 = await lb.sync(NS, t({ [A]: ['10.0.1.2', '10.0.1.3', '10.0.1.4', '10.0.1.5'] }));
    await fake.started(1);
    fake.release();
    await r0.cleanup;
    const r1 = await lb.sync(NS, t({ [A]: ['10.0.1.3', '10.0.1.4', '10.0.1.5'] })); // 10.0.1.2 out
    await fake.started(2); // its cleanup is running (held)
    const r2 = await lb.sync(NS, t({ [A]: ['10.0.1.4', '10.0.1.5'] })); // 10.0.1.3 out
    const r3 = await lb.sync(NS, t({ [A]: ['10.0.1.5'] })); // 10.0.1.4 out
    expect(fake.kernel.vips(NS)?.get(A)).toEqual(['10.0.1.5']); // three commits done, one cleanup held
    expect(fake.batches()).toHaveLength(2);
    fake.release(); // r1's cleanup ends; r2's and r3's start together
    await r1.cleanup;
    await fake.started(3);
    fake.release();
    await Promise.all([r2.cleanup, r3.cleanup]);
    const out = (b: string) => `-D -p udp --orig-dst ${A} --reply-src ${b}`;
    expect(fake.batches().slice(1)).toEqual([[out('10.0.1.2')], [out('10.0.1.3'), out('10.0.1.4')]]);
    // Each process started after the commit of every line it carries.
    expect(fake.events.slice(2)).toEqual([`nft ${NS}`, `conntrack ${NS}`, `nft ${NS}`, `nft ${NS}`, `conntrack ${NS}`]);
  });

  it('keeps namespaces independent, with at most two conntrack processes at once over all of them', async () => {
    const { fake, lb } = setup();
    const paths = [1, 2, 3, 4, 5].map((i) => `/proc/${i}/ns/net`);
    const results = await Promise.all(paths.map((p) => lb.sync(p, t({ [A]: ['10.0.1.2'] }))));
    await fake.started(2);
    expect(fake.inFlight).toBe(2);
    for (const n of [4, 5]) {
      fake.release();
      await fake.started(n);
    }
    fake.release();
    await Promise.all(results.map((r) => r.cleanup));
    expect(fake.maxInFlight).toBe(2);
    expect(fake.batches()).toHaveLength(5);
  });

  it('reports a failed cleanup to onWarning and in the sync result, once per process; the table stays', async () => {
    const warned: LbCommandError[] = [];
    const { fake, lb } = setup({ onWarning: (e) => warned.push(e) });
    fake.kernel.conntrackAnswer = { code: 1, stdout: '', stderr: 'conntrack v1.4.7 (conntrack-tools): Operation failed: sorry, you must be root or get CAP_NET_ADMIN capability to do this\n' };
    const r = await lb.sync(NS, t({ [A]: ['10.0.1.2'] }));
    await fake.started(1);
    fake.release();
    const c = await r.cleanup;
    expect(c.warnings).toHaveLength(1);
    expect(c.warnings[0]).toMatchObject({ step: 'conntrack', committed: true, status: 1, netns: NS });
    expect(c.warnings[0]?.message).toMatch(/lb conntrack in \/proc\/4242\/ns\/net failed: .*CAP_NET_ADMIN/);
    expect(warned).toEqual(c.warnings);
    expect(fake.kernel.vips(NS)?.get(A)).toEqual(['10.0.1.2']);
  });

  it('a throwing onWarning does not stop the namespace’s later cleanups', async () => {
    const { fake, lb } = setup({
      onWarning: () => {
        throw new Error('logger down');
      },
    });
    fake.kernel.conntrackAnswer = { code: 1, stdout: '', stderr: 'conntrack: Operation failed\n' };
    const r1 = await lb.sync(NS, t({ [A]: ['10.0.1.2'] }));
    await fake.started(1);
    fake.release();
    expect((await r1.cleanup).warnings).toHaveLength(1);
    fake.kernel.conntrackAnswer = { code: 0, stdout: '', stderr: '' };
    const r2 = await lb.sync(NS, t({ [A]: ['10.0.1.3'] }));
    await fake.started(2);
    fake.release();
    expect(await r2.cleanup).toEqual({ conntrackDeleted: 0, warnings: [] });
  });

  it('remove() drops queued cleanups, lets the running one finish, and does not wait for it', async () => {
    const { fake, lb } = setup();
    const r1 = await lb.sync(NS, t({ [A]: ['10.0.1.2', '10.0.1.3'] }));
    await fake.started(1); // r1's cleanup (all UDP) is held
    const r2 = await lb.sync(NS, t({ [A]: ['10.0.1.3'] })); // queued behind it
    await lb.remove(NS); // resolves although a conntrack process is still held
    expect(fake.kernel.vips(NS)).toBeUndefined();
    expect(await r2.cleanup).toEqual({ conntrackDeleted: 0, warnings: [], skipped: 'the namespace was removed' });
    fake.release();
    expect(await r1.cleanup).toEqual({ conntrackDeleted: 0, warnings: [] });
    expect(fake.batches()).toEqual([['-D -p udp']]); // r2's deletion never ran
  });

  it('forget() and close() drop queued cleanups; after close() nothing new is queued', async () => {
    const { fake, lb } = setup();
    const other = '/proc/77/ns/net';
    const r1 = await lb.sync(NS, t({ [A]: ['10.0.1.2', '10.0.1.3'] }));
    const o1 = await lb.sync(other, t({ [A]: ['10.0.1.2', '10.0.1.3'] }));
    await fake.started(2); // both held
    const r2 = await lb.sync(NS, t({ [A]: ['10.0.1.3'] }));
    const o2 = await lb.sync(other, t({ [A]: ['10.0.1.3'] }));
    lb.forget(NS);
    expect((await r2.cleanup).skipped).toBe('the namespace was forgotten');
    lb.close();
    expect((await o2.cleanup).skipped).toBe('the programmer is closed');
    fake.release();
    expect((await r1.cleanup).skipped).toBeUndefined(); // were running: they finish
    expect((await o1.cleanup).skipped).toBeUndefined();
    const after = await lb.sync(NS, t({ [A]: ['10.0.1.4'] }));
    expect(after.mode).toBe('full');
    expect((await after.cleanup).skipped).toBe('the programmer is closed');
    expect(fake.batches()).toHaveLength(2);
  });

  it('skips a cleanup when the path names another namespace or none by then; a failure in a namespace that went away is no warning', async () => {
    const warned: LbCommandError[] = [];
    const { fake, ids, lb } = setup({ onWarning: (e) => warned.push(e) });
    const r1 = await lb.sync(NS, t({ [A]: ['10.0.1.2', '10.0.1.3'] }));
    await fake.started(1); // held
    const r2 = await lb.sync(NS, t({ [A]: ['10.0.1.3'] }));
    ids.set(NS, 'ns-b'); // the container restarted behind a reused pid
    fake.kernel.conntrackAnswer = { code: 1, stdout: '', stderr: 'nsenter: reassociate to namespace failed\n' };
    fake.release();
    expect((await r1.cleanup).skipped).toBe('the namespace is gone'); // failed, but ns-a is gone
    expect((await r2.cleanup).skipped).toBe('the namespace is gone'); // never ran in ns-b
    expect(fake.batches()).toHaveLength(1);
    expect(warned).toEqual([]);
  });

  it('deletes nothing in the background with conntrack: false', async () => {
    const kernel = new FakeNftKernel();
    const lb = new NftLbProgrammer({ run: kernel.run, identity: async () => 'ns-a', conntrack: false });
    const r = await lb.sync(NS, t({ [A]: ['10.0.1.2'] }));
    expect(await r.cleanup).toEqual({ conntrackDeleted: 0, warnings: [] });
    expect(kernel.conntrackCalls()).toEqual([]);
  });
});
