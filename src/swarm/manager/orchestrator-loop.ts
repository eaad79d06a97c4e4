import type { MemoryStore } from '../store/index.js';
import { orchestrate, DEFAULT_TASK_HISTORY, type OrchestratorActions } from './orchestrator/index.js';
import { ReconcileLoop, tryGroup } from './loop-runner.js';
import { isolateServices, recordProblems } from './loop-problems.js';

export interface LoopDeps {
  store: MemoryStore;
  log: (m: string) => void;
  now: () => number;
  newId: () => string;
  tickMs?: number;
}

/**
 * Leader loop around the orchestrator core: on service, task, node or cluster changes, read one
 * view, decide, and write task creations, desired-state changes and history deletions.
 */
export function orchestratorLoop(d: LoopDeps): ReconcileLoop {
  return new ReconcileLoop({
    name: 'orchestrator',
    store: d.store,
    kinds: ['service', 'task', 'node', 'cluster'],
    log: d.log,
    now: d.now,
    ...(d.tickMs === undefined ? {} : { tickMs: d.tickMs }),
    step: async () => {
      const now = d.now();
      const { result: actions, problems } = d.store.view((tx) => {
        const nodes = tx.find('node');
        const historyLimit = tx.find('cluster')[0]?.spec.orchestration.taskHistoryRetentionLimit ?? DEFAULT_TASK_HISTORY;
        // A service the core cannot decide for (or out of bounds) is set aside, not the whole pass.
        return isolateServices(tx.find('service'), tx.find('task'), (services, tasks) => orchestrate({ services, tasks, nodes, now, newId: d.newId, historyLimit }));
      });
      await writeOrchestration(d.store, actions);
      await recordProblems(d.store, 'orchestrator', problems, now);
      return actions.wakeAt;
    },
  });
}

/**
 * Each change is its own group, checked against the version the decision read: a task that
 * changed meanwhile is left alone, and the event of that change brings a fresh decision.
 */
export async function writeOrchestration(store: MemoryStore, a: OrchestratorActions): Promise<void> {
  if (a.create.length + a.setDesired.length + a.delete.length === 0) return;
  await store.batch(async (b) => {
    for (const { task, desiredState } of a.setDesired) {
      await tryGroup(b, (tx) => {
        const cur = tx.get('task', task.id);
        if (cur?.meta.version === task.meta.version && cur.desiredState !== desiredState) tx.update('task', { ...cur, desiredState });
      });
    }
    for (const t of a.create) await tryGroup(b, (tx) => void tx.create('task', t));
    for (const t of a.delete) {
      await tryGroup(b, (tx) => {
        if (tx.get('task', t.id)?.meta.version === t.meta.version) tx.delete('task', t.id);
      });
    }
  });
}
