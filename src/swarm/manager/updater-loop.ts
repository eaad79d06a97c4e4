import { ConflictError, type WriteTx } from '../store/index.js';
import { ReconcileLoop, tryGroup } from './loop-runner.js';
import { boundsProblem, recordProblems, type Problems } from './loop-problems.js';
import type { LoopDeps } from './orchestrator-loop.js';
import { decideUpdate, type UpdateDecision } from './updater/index.js';

/**
 * Leader loop around the rolling-update core: per service, write the new update status (or the
 * rollback's spec swap), shut down old tasks and create start-first ones, all in one group so a
 * service's step lands whole or not at all.
 */
export function updaterLoop(d: LoopDeps): ReconcileLoop {
  return new ReconcileLoop({
    name: 'updater',
    store: d.store,
    kinds: ['service', 'task', 'node'],
    log: d.log,
    now: d.now,
    ...(d.tickMs === undefined ? {} : { tickMs: d.tickMs }),
    step: async () => {
      const now = d.now();
      const problems: Problems = new Map();
      const decisions = d.store.view((tx) => {
        const nodes = tx.find('node');
        // Decided per service already: one that fails (or is out of bounds) is marked and skipped.
        return tx.find('service').flatMap((service) => {
          const bad = boundsProblem(service);
          if (bad !== null) {
            problems.set(service.id, bad);
            return [];
          }
          try {
            return [decideUpdate({ service, tasks: tx.findTasksByService(service.id), nodes, now, newId: d.newId })];
          } catch (e) {
            problems.set(service.id, (e instanceof Error ? e.message : String(e)).slice(0, 500));
            return [];
          }
        });
      });
      let wakeAt: number | null = null;
      const writes = decisions.filter((x) => x.service !== null || x.shutdown.length + x.create.length > 0);
      if (writes.length > 0) await d.store.batch(async (b) => {
        for (const x of writes) await tryGroup(b, (tx) => applyUpdate(tx, x));
      });
      for (const x of decisions) if (x.wakeAt !== null) wakeAt = wakeAt === null ? x.wakeAt : Math.min(wakeAt, x.wakeAt);
      await recordProblems(d.store, 'updater', problems, now);
      return wakeAt;
    },
  });
}

function applyUpdate(tx: WriteTx, x: UpdateDecision): void {
  if (x.service !== null) tx.update('service', x.service); // version-checked: a concurrent API write wins
  for (const t of x.shutdown) {
    const cur = tx.get('task', t.id);
    // The group is all or nothing: a task that moved on invalidates the whole step.
    if (cur?.meta.version !== t.meta.version) throw new ConflictError('version', `task/${t.id} changed since the update step was decided`, { object: `task/${t.id}` });
    if (cur.desiredState !== 'shutdown') tx.update('task', { ...cur, desiredState: 'shutdown' });
  }
  for (const t of x.create) tx.create('task', t);
}
