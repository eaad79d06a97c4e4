/**
 * The checker agrees with brute force on small random histories: a history is linearizable iff
 * some order of its operations (each pending write included or left out) respects real time and
 * the register's semantics.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkLinearizable } from './linearizability.js';
import type { Operation } from './linearizability.js';

function bruteForce(history: Operation[]): boolean {
  const ops = history.filter((o) => !(o.kind === 'get' && o.return === null));
  const byKey = new Map<string, Operation[]>();
  for (const o of ops) byKey.set(o.key, [...(byKey.get(o.key) ?? []), o]);
  for (const list of byKey.values()) if (!keyOk(list)) return false;
  return true;
}

function keyOk(ops: Operation[]): boolean {
  const end = (o: Operation): number => o.return ?? Number.POSITIVE_INFINITY;
  const used = new Array<boolean>(ops.length).fill(false);
  const search = (state: string | null, done: number): boolean => {
    // Every completed op must be placed; pending ones may be skipped.
    if (ops.every((o, i) => used[i] || o.return === null)) return true;
    for (let i = 0; i < ops.length; i++) {
      if (used[i]) continue;
      const o = ops[i]!;
      // o can go next only if no unplaced op finished before o was called.
      if (ops.some((p, j) => !used[j] && j !== i && p.return !== null && end(p) < o.call)) continue;
      let next = state;
      if (o.kind === 'put') next = o.value ?? '';
      else if (o.kind === 'delete') next = null;
      else if ((o.output ?? null) !== state) continue;
      used[i] = true;
      if (search(next, done + 1)) return true;
      used[i] = false;
    }
    return false;
  };
  return search(null, 0);
}

const opArb = fc.record({
  client: fc.integer({ min: 0, max: 2 }),
  kind: fc.constantFrom<'put' | 'get' | 'delete'>('put', 'get', 'get', 'delete'),
  key: fc.constantFrom('a', 'b'),
  value: fc.constantFrom('x', 'y', 'z'),
  output: fc.constantFrom<string | null>('x', 'y', null),
  call: fc.integer({ min: 0, max: 20 }),
  len: fc.integer({ min: 0, max: 10 }),
  pending: fc.boolean(),
});

describe('checkLinearizable vs brute force', () => {
  it('agree on small random histories', () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 1, maxLength: 6 }), (raw) => {
        const history: Operation[] = raw.map((r) => {
          const op: Operation = { client: r.client, kind: r.kind, key: r.key, call: r.call, return: r.pending && r.kind !== 'get' ? null : r.call + r.len + 1 };
          if (r.kind === 'put') op.value = r.value;
          if (r.kind === 'get') op.output = r.output;
          return op;
        });
        expect(checkLinearizable(history).ok).toBe(bruteForce(history));
      }),
      { numRuns: 3000, seed: 42 },
    );
  });
});
