/** The checker itself: it must accept linearizable histories and catch the classic anomalies. */
import { describe, expect, it } from 'vitest';
import { checkLinearizable } from './linearizability.js';
import type { Operation } from './linearizability.js';

const put = (client: number, key: string, value: string, call: number, ret: number | null): Operation => ({ client, kind: 'put', key, value, call, return: ret });
const get = (client: number, key: string, output: string | null, call: number, ret: number | null): Operation => ({ client, kind: 'get', key, output, call, return: ret });
const del = (client: number, key: string, call: number, ret: number | null): Operation => ({ client, kind: 'delete', key, call, return: ret });

describe('checkLinearizable', () => {
  it('accepts a sequential history', () => {
    expect(checkLinearizable([put(1, 'k', 'a', 0, 1), get(1, 'k', 'a', 2, 3), del(1, 'k', 4, 5), get(1, 'k', null, 6, 7)]).ok).toBe(true);
  });

  it('rejects a stale read after a completed write', () => {
    const r = checkLinearizable([put(1, 'k', 'a', 0, 1), put(1, 'k', 'b', 2, 3), get(2, 'k', 'a', 4, 5)]);
    expect(r.ok).toBe(false);
    expect(r.key).toBe('k');
  });

  it('accepts either order for overlapping operations', () => {
    expect(checkLinearizable([put(1, 'k', 'a', 0, 10), get(2, 'k', 'a', 1, 2), get(3, 'k', null, 0, 1)]).ok).toBe(true);
  });

  it('rejects reads that see a value disappear and come back (no single order)', () => {
    const h = [put(1, 'k', 'a', 0, 100), get(2, 'k', 'a', 1, 2), get(2, 'k', null, 3, 4)];
    expect(checkLinearizable(h).ok).toBe(false);
  });

  it('a write that never returned may or may not have happened', () => {
    expect(checkLinearizable([put(1, 'k', 'a', 0, null), get(2, 'k', null, 5, 6)]).ok).toBe(true);
    expect(checkLinearizable([put(1, 'k', 'a', 0, null), get(2, 'k', 'a', 5, 6)]).ok).toBe(true);
    // ...but once observed it cannot be un-happened.
    expect(checkLinearizable([put(1, 'k', 'a', 0, null), get(2, 'k', 'a', 5, 6), get(3, 'k', null, 7, 8)]).ok).toBe(false);
  });

  it('rejects a lost acknowledged write', () => {
    expect(checkLinearizable([put(1, 'k', 'a', 0, 1), get(2, 'k', null, 2, 3)]).ok).toBe(false);
  });

  it('a get that never returned constrains nothing', () => {
    expect(checkLinearizable([put(1, 'k', 'a', 0, 1), get(2, 'k', 'zzz', 2, null)]).ok).toBe(true);
  });

  it('checks keys independently and names the bad one', () => {
    const r = checkLinearizable([put(1, 'x', 'a', 0, 1), get(1, 'x', 'a', 2, 3), put(1, 'y', 'b', 0, 1), get(1, 'y', 'c', 2, 3)]);
    expect(r).toMatchObject({ ok: false, key: 'y' });
  });

  it('handles a few hundred concurrent operations per key quickly', () => {
    const h: Operation[] = [];
    let t = 0;
    for (let i = 0; i < 300; i++) {
      const c = i % 5;
      h.push(put(c, 'k', `v${i}`, t, t + 7));
      h.push(get(c + 10, 'k', `v${i}`, t + 3, t + 9));
      t += 5;
    }
    const started = Date.now();
    expect(checkLinearizable(h).ok).toBe(true);
    expect(Date.now() - started).toBeLessThan(2000);
  });
});
