import type { MemoryStore, Node, Service, Task } from '../store/index.js';
import { gate, type GateResult } from './gating/index.js';
import { ReconcileLoop, tryGroup } from './loop-runner.js';
import { isolateServices, recordProblems, type Problems } from './loop-problems.js';
import type { LoopDeps } from './orchestrator-loop.js';
import { isSchedulable, schedule, type ScheduleDecision } from './scheduler/index.js';

/** What one scheduler pass writes. */
export interface SchedulerWrites {
  /** Pending tasks held back by depends_on gating, with the waiting reason. */
  gated: { task: Task; reason: string }[];
  decision: ScheduleDecision;
}

/**
 * Leader loop around the scheduler core: pending tasks whose service's dependencies are met are
 * placed as one batch; gated ones stay pending with the waiting reason as their message; ones no
 * node can take stay pending with Swarm's "no suitable node (...)" as their error.
 */
export function schedulerLoop(d: LoopDeps): ReconcileLoop {
  return new ReconcileLoop({
    name: 'scheduler',
    store: d.store,
    kinds: ['service', 'task', 'node'],
    log: d.log,
    now: d.now,
    ...(d.tickMs === undefined ? {} : { tickMs: d.tickMs }),
    step: async () => {
      const w = d.store.view((tx) => {
        const all = tx.find('task');
        if (!all.some(isSchedulable)) return null;
        const nodes = tx.find('node');
        // Placement is decided for all services at once; one the core cannot place for is set aside.
        return isolateServices(tx.find('service'), all, (services, tasks) => decideScheduling(services, tasks, nodes, (id) => tx.findTasksByService(id), d.now()));
      });
      if (w !== null) await writeScheduling(d.store, w.result, d.now());
      await recordProblems(d.store, 'scheduler', w?.problems ?? (new Map() as Problems), d.now());
      return null;
    },
  });
}

/** Gating, then placement, for the pending tasks among `tasks`. */
function decideScheduling(services: readonly Service[], tasks: readonly Task[], nodes: readonly Node[], tasksOf: (serviceId: string) => Task[], now: number): SchedulerWrites {
  const pending = tasks.filter(isSchedulable);
  const byId = new Map(services.map((s) => [s.id, s]));
  const gates = new Map<string, GateResult>();
  const gated: SchedulerWrites['gated'] = [];
  const ready: Task[] = [];
  for (const t of pending) {
    const service = byId.get(t.serviceId);
    if (service === undefined) continue; // being removed (or set aside); the orchestrator winds it down
    let g = gates.get(service.id);
    if (g === undefined) gates.set(service.id, (g = gate({ service, services, tasksOf })));
    if (g.open) ready.push(t);
    else gated.push({ task: t, reason: g.reason });
  }
  return { gated, decision: schedule({ tasks: ready, nodes, allTasks: tasks, now }) };
}

export async function writeScheduling(store: MemoryStore, w: SchedulerWrites, now: number): Promise<void> {
  await store.batch(async (b) => {
    // Placements first: they are what the agents are waiting for.
    for (const p of w.decision.placements) {
      await tryGroup(b, (tx) => {
        const cur = tx.get('task', p.taskId);
        if (cur === undefined || !isSchedulable(cur)) return;
        tx.update('task', { ...cur, nodeId: p.nodeId, status: { ...cur.status, state: 'assigned', timestamp: now, message: 'scheduler assigned task to node', err: null } });
      });
    }
    // Reasons are written only when they change, so a cluster that cannot place a task does not
    // write on every tick.
    for (const u of w.decision.unplaced) {
      await tryGroup(b, (tx) => {
        const cur = tx.get('task', u.taskId);
        if (cur === undefined || !isSchedulable(cur) || cur.status.err === u.reason) return;
        tx.update('task', { ...cur, status: { ...cur.status, timestamp: now, message: 'pending task scheduling', err: u.reason } });
      });
    }
    for (const g of w.gated) {
      await tryGroup(b, (tx) => {
        const cur = tx.get('task', g.task.id);
        if (cur === undefined || !isSchedulable(cur) || (cur.status.message === g.reason && cur.status.err === null)) return;
        tx.update('task', { ...cur, status: { ...cur.status, timestamp: now, message: g.reason, err: null } });
      });
    }
  });
}
