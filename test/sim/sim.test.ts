/**
 * Runs the deterministic Raft simulation over many seeds. CI runs SEEDS (default 2000) seeds from
 * SEED_START (default 0), in chunks so that progress is reported, yielding to the event loop
 * between seeds; `SEED=n` runs exactly one (TRACE=1 prints its event trace). A failure names its
 * seed and the command that reproduces it.
 */
import { describe, expect, it } from 'vitest';
import { defaultSimOptions, runSeed } from './simulator.js';
import type { SimResult } from './simulator.js';
import { regressionSeeds } from './regressions.js';

const one = process.env.SEED !== undefined ? Number(process.env.SEED) : null;
const count = Number(process.env.SEEDS ?? 2000);
const first = Number(process.env.SEED_START ?? 0);
const CHUNK = 500;

/**
 * A seed runs synchronously (tens of ms, seconds under load); a chunk of them without a pause
 * starves the worker's RPC to vitest, which then fails a green run with "Timeout calling
 * onTaskUpdate". Yielding between seeds lets it answer.
 */
const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function failure(r: SimResult): string {
  return `seed ${r.seed} failed (reproduce: SEED=${r.seed} TRACE=1 npx vitest run test/sim/sim.test.ts):\n${r.error ?? ''}`;
}

describe('raft simulation', () => {
  if (one !== null) {
    it(`seed ${one}`, () => {
      const r = runSeed(one, { ...defaultSimOptions, trace: process.env.TRACE === '1' });
      console.log(JSON.stringify(r.stats));
      expect(r.ok, failure(r)).toBe(true);
    });
    return;
  }

  it('regression seeds', async () => {
    for (const { seed, duration } of regressionSeeds) {
      const r = runSeed(seed, { ...defaultSimOptions, ...(duration !== undefined ? { duration } : {}) });
      expect(r.ok, failure(r)).toBe(true);
      await yieldToEventLoop();
    }
  });

  const totals = { stuck: 0, slow: 0, opsOk: 0, opsUnknown: 0, messages: 0, confChanges: 0, snapshotsSent: 0, crashes: 0, events: 0 };
  let started = 0;
  for (let lo = first; lo < first + count; lo += CHUNK) {
    const hi = Math.min(lo + CHUNK, first + count);
    it(`seeds ${lo}..${hi - 1}`, { timeout: 600_000 }, async () => {
      if (started === 0) started = Date.now();
      for (let seed = lo; seed < hi; seed++) {
        const r = runSeed(seed);
        if (!r.ok) expect.fail(failure(r));
        for (const k of Object.keys(totals) as (keyof typeof totals)[]) totals[k] += r.stats[k];
        await yieldToEventLoop();
      }
    });
  }

  it('the workload exercised the system', () => {
    console.log(`raft sim: ${count} seeds from ${first} ok in ${((Date.now() - started) / 1000).toFixed(1)}s`, JSON.stringify(totals));
    // Green runs mean something only if operations succeeded and the features were exercised.
    expect(totals.opsOk).toBeGreaterThan(count * 5);
    expect(totals.confChanges).toBeGreaterThan(0);
    expect(totals.snapshotsSent).toBeGreaterThan(0);
  });
});
