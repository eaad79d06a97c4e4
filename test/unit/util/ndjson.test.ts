import { describe, expect, it } from 'vitest';
import { lineSplitter } from '../../../src/util/ndjson.js';
import { mapLimit } from '../../../src/util/map-limit.js';

describe('lineSplitter', () => {
  it('hands over whole lines only, however the chunks fall', () => {
    const got: string[] = [];
    const feed = lineSplitter((l) => got.push(l));
    for (const c of ['{"a":', '1}\n{"b"', ':2}\n\n', '{"c":3}']) feed(c);
    expect(got).toEqual(['{"a":1}', '{"b":2}']);
    feed('\n');
    expect(got).toEqual(['{"a":1}', '{"b":2}', '{"c":3}']);
  });
});

describe('mapLimit', () => {
  it('keeps order and never exceeds the limit', async () => {
    let inFlight = 0;
    let most = 0;
    const out = await mapLimit([5, 1, 4, 2, 3], 2, async (n) => {
      most = Math.max(most, ++inFlight);
      await new Promise((r) => setTimeout(r, n));
      inFlight--;
      return n * 10;
    });
    expect(out).toEqual([50, 10, 40, 20, 30]);
    expect(most).toBe(2);
    expect(await mapLimit([], 4, async () => 1)).toEqual([]);
  });
});
