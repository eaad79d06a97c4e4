/**
 * The simulation is only worth its green runs if it fails on broken systems: a driver that sends
 * before persisting (and crashes in between) must be caught within a few hundred seeds.
 */
import { describe, expect, it } from 'vitest';
import { defaultSimOptions, runSeed } from './simulator.js';

describe('simulator sensitivity', () => {
  it('catches a driver that sends messages before persisting', async () => {
    let caught: string | undefined;
    for (let seed = 0; seed < 500 && caught === undefined; seed++) {
      const r = runSeed(seed, { ...defaultSimOptions, bug: 'send-before-persist' });
      if (!r.ok) caught = `seed ${seed}: ${r.error?.split('\n')[0] ?? ''}`;
      // Up to 500 synchronous seeds: let the worker answer vitest's RPC between them (see sim.test.ts).
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    console.log(`sensitivity: ${caught ?? 'not caught'}`);
    expect(caught).toBeDefined();
  });
});
