/**
 * Runs the deterministic Raft simulation over many seeds. CI runs SEEDS (default 2000) seeds;
 * `SEED=n` runs exactly one (and prints its trace with TRACE=1). A failure names its seed.
 */
import { describe, expect, it } from 'vitest';
import { defaultSimOptions, runSeed } from './simulator.js';
import type { SimResult } from './simulator.js';
import { regressionSeeds } from './regressions.js';

const one = process.env.SEED !== undefined ? Number(process.env.SEED) : null;
const count = Number(process.env.SEEDS ?? 2000);
const first = Number(process.env.SEED_START ?? 0);

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

  it('regression seeds', () => {
    for (const { seed, duration } of regressionSeeds) {
      const r = runSeed(seed, { ...defaultSimOptions, ...(duration !== undefined ? { duration } : {}) });
      expect(r.ok, failure(r)).toBe(true);
    }
  });

  it(`${count} seeds from ${first}`, { timeout: 600_000 }, () => {
    const totals = { stuck: 0, slow: 0, opsOk: 0, opsUnknown: 0, messages: 0, confChanges: 0, snapshotsSent: 0, crashes: 0, events: 0 };
    const started = Date.now();
    for (let seed = first; seed < first + count; seed++) {
      const r = runSeed(seed);
      if (!r.ok) expect.fail(failure(r));
      for (const k of Object.keys(totals) as (keyof typeof totals)[]) totals[k] += r.stats[k];
    }
    console.log(`raft sim: ${count} seeds ok in ${((Date.now() - started) / 1000).toFixed(1)}s`, JSON.stringify(totals));
    // The workload must actually exercise the system, not pass vacuously.
    expect(totals.opsOk).toBeGreaterThan(count * 5);
    expect(totals.confChanges).toBeGreaterThan(0);
    expect(totals.snapshotsSent).toBeGreaterThan(0);
  });
});
