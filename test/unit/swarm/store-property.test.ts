import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MemoryStore, NAMED_KINDS, type StoreObject, type WriteTx } from '../../../src/swarm/store/index.js';
import { InFlightProposer, network, secret, service, steppingClock, task, text } from './store-fixtures.js';

/**
 * Random transactions, proposed while others are in flight (so many are built on stale state and
 * must be refused at apply), committed at random points, against two replicas plus replicas that
 * join from snapshots midway. After every commit all replicas must hold byte-identical state and
 * consistent indexes; at the end a replay of the committed log into a fresh store must agree too.
 */

type Kind = 'service' | 'task' | 'network' | 'secret';
const KINDS: Kind[] = ['service', 'task', 'network', 'secret'];

const changeArb = fc.record({
  action: fc.constantFrom('create', 'update', 'rename', 'move', 'delete'),
  kind: fc.constantFrom(...KINDS),
  id: fc.integer({ min: 0, max: 3 }),
  name: fc.integer({ min: 0, max: 2 }),
  stale: fc.boolean(),
});
const opArb = fc.oneof(
  { weight: 5, arbitrary: fc.record({ type: fc.constant('tx' as const), changes: fc.array(changeArb, { minLength: 1, maxLength: 4 }) }) },
  { weight: 2, arbitrary: fc.record({ type: fc.constant('commit' as const), n: fc.integer({ min: 1, max: 3 }) }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('join' as const) }) },
);

function body(kind: Kind, id: string, name: string, nodeIdx: number) {
  switch (kind) {
    case 'service':
      return service(id, name);
    case 'task':
      return task(id, `service${nodeIdx % 3}`, nodeIdx + 1, `node${nodeIdx % 2}`);
    case 'network':
      return network(id, name);
    case 'secret':
      return secret(id, name);
  }
}

function changed(o: StoreObject, action: string, name: string, n: number): StoreObject {
  const c = structuredClone<StoreObject & { spec: { name?: string; labels?: Record<string, string> } }>(o);
  if (action === 'rename' && 'name' in c.spec) c.spec.name = name;
  else if (action === 'move' && 'nodeId' in c) c.nodeId = `node${n % 3}`;
  else if (c.spec.labels !== undefined) c.spec.labels = { ...c.spec.labels, n: String(n) };
  return c;
}

function checkIndexes(s: MemoryStore): void {
  s.view((tx) => {
    for (const k of NAMED_KINDS) {
      const names = tx.find(k).map((o) => (o as { spec: { name: string } }).spec.name);
      expect(new Set(names).size).toBe(names.length);
      for (const o of tx.find(k)) expect(tx.getByName(k, (o as { spec: { name: string } }).spec.name)?.id).toBe(o.id);
    }
    const tasks = tx.find('task');
    for (const n of ['node0', 'node1', 'node2']) expect(tx.findTasksByNode(n)).toEqual(tasks.filter((t) => t.nodeId === n));
    for (const sv of ['service0', 'service1', 'service2']) expect(tx.findTasksByService(sv)).toEqual(tasks.filter((t) => t.serviceId === sv));
  });
}

describe('store: property — replicas never diverge', () => {
  it('random concurrent batches on replicas, seeded', async () => {
    const outcomes = { ok: 0, refused: 0 };
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 40 }), async (ops) => {
        const proposer = new InFlightProposer();
        const now = steppingClock();
        const a = new MemoryStore({ proposer, now });
        const b = new MemoryStore({ proposer, now });
        const log: [Uint8Array, number][] = [];
        proposer.attach(a).attach(b).attach({ apply: (d: Uint8Array, i: number) => log.push([d, i]) });
        const replicas = [a, b];
        const seen = new Map<string, StoreObject>();
        const pending: Promise<void>[] = [];
        let n = 0;

        const compare = (): void => {
          const want = text(a.snapshot());
          for (const r of replicas) expect(text(r.snapshot())).toBe(want);
        };

        for (const op of ops) {
          if (op.type === 'commit') {
            proposer.commit(op.n);
            compare();
            checkIndexes(a);
            continue;
          }
          if (op.type === 'join') {
            const c = new MemoryStore({ proposer, now });
            c.restore(a.snapshot());
            proposer.attach(c);
            replicas.push(c);
            continue;
          }
          const p = a.update((tx: WriteTx) => {
            for (const ch of op.changes) {
              const id = `${ch.kind}${ch.id}`;
              const key = `${ch.kind}/${id}`;
              n++;
              try {
                if (ch.action === 'create') tx.create(ch.kind, body(ch.kind, id, `name${ch.name}`, n));
                else if (ch.action === 'delete') tx.delete(ch.kind, id);
                else {
                  const base = (ch.stale ? seen.get(key) : undefined) ?? tx.get(ch.kind, id);
                  if (base !== undefined) tx.update(ch.kind, changed(base, ch.action, `name${ch.name}`, n) as never);
                }
              } catch {
                // Refused while building (exists, not-found, early conflict): skip this change.
              }
              const now = tx.get(ch.kind, id);
              if (now !== undefined && now.meta.version > 0) seen.set(key, now);
            }
          });
          pending.push(
            p.then(
              (r) => void (r.index !== null && outcomes.ok++),
              () => void outcomes.refused++,
            ),
          );
        }
        proposer.commitAll();
        await Promise.all(pending);
        compare();
        checkIndexes(a);
        const fresh = new MemoryStore({ proposer: { propose: () => Promise.reject(new Error('read-only')) } });
        for (const [d, i] of log) fresh.apply(d, i);
        expect(text(fresh.snapshot())).toBe(text(a.snapshot()));
      }),
      { seed: 20_261_123, numRuns: 150 },
    );
    // The generator must exercise both paths, or the property says little.
    expect(outcomes.ok).toBeGreaterThan(100);
    expect(outcomes.refused).toBeGreaterThan(20);
  });
});
