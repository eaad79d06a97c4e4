import type { Node, Service, Task } from '../../store/index.js';
import { matchesAll, parseConstraints, type Constraint } from '../scheduler/constraints.js';
import { indexNodes, isLive, occupies, slotKey, type NodeIndex } from '../task-model.js';
import { noActions, reconcileSlot, type OrchestratorActions, type SlotContext } from './slot.js';

/**
 * The orchestrator's decision core (swarmkit's replicated + global orchestrators, restart
 * supervisor and task reaper in one pure function). Input: the services, their tasks, the nodes,
 * the time and an id source; output: tasks to create, desired states to change, tasks to delete.
 * It never writes observed state and never assigns nodes to replicated tasks (the scheduler does).
 */

/** Finished tasks kept per slot when the cluster object does not say (Docker's default). */
export const DEFAULT_TASK_HISTORY = 5;

export interface OrchestrateInput {
  services: readonly Service[];
  tasks: readonly Task[];
  nodes: readonly Node[];
  now: number;
  newId: () => string;
  /** Finished tasks kept per slot (cluster `orchestration.taskHistoryRetentionLimit`). */
  historyLimit?: number;
}

/** Decide for the whole cluster. Services come and go; tasks of a removed service are wound down. */
export function orchestrate(i: OrchestrateInput): OrchestratorActions {
  const out = noActions();
  const nodes = indexNodes(i.nodes);
  const byService = groupBy(i.tasks, (t) => t.serviceId);
  for (const service of i.services) {
    const ctx: SlotContext = { service, nodes, now: i.now, newId: i.newId, historyLimit: i.historyLimit ?? DEFAULT_TASK_HISTORY, out };
    const tasks = byService.get(service.id) ?? [];
    if (service.spec.mode.type === 'replicated') reconcileReplicated(ctx, tasks);
    else reconcileGlobal(ctx, tasks, i.nodes);
    byService.delete(service.id);
  }
  for (const tasks of byService.values()) reconcileRemoved(out, tasks, nodes);
  return out;
}

/**
 * Slots 1..N each keep one live task; slots above N (and slot-0 tasks left from a global mode)
 * are shut down, highest slot first, and deleted once they have stopped.
 */
export function reconcileReplicated(ctx: SlotContext, tasks: readonly Task[]): void {
  if (ctx.service.spec.mode.type !== 'replicated') return;
  const n = ctx.service.spec.mode.replicas;
  const slots = groupBy(tasks, slotKey);
  const keys = new Set<string>(slots.keys());
  for (let s = 1; s <= n; s++) keys.add(`slot:${s}`);
  const order = [...keys].map((k) => ({ k, slot: k.startsWith('slot:') ? Number(k.slice(5)) : 0 })).sort((a, b) => b.slot - a.slot);
  for (const { k, slot } of order) {
    const wanted = slot >= 1 && slot <= n;
    reconcileSlot(ctx, slots.get(k) ?? [], { slot, nodeId: null }, { create: wanted, keep: wanted, history: wanted ? 'keep' : 'none' });
  }
}

/**
 * One task per node that is ready, active and matches the constraints, made with its node set.
 * Paused nodes keep the task they have but get none; drained and down nodes lose theirs (the slot
 * code sees them as lost). Constraints that do not parse match no node: the API refuses them
 * before they reach the store, so this is only a guard.
 */
export function reconcileGlobal(ctx: SlotContext, tasks: readonly Task[], nodeList: readonly Node[]): void {
  let constraints: Constraint[] | null;
  try {
    constraints = parseConstraints(ctx.service.spec.task.placement.constraints);
  } catch {
    constraints = null;
  }
  const byNode = groupBy(tasks, slotKey);
  const keys = new Set<string>(byNode.keys());
  for (const n of nodeList) keys.add(`node:${n.id}`);
  for (const k of [...keys].sort()) {
    const own = byNode.get(k) ?? [];
    const nodeId = k.startsWith('node:') ? k.slice(5) : null;
    const node = nodeId === null ? undefined : ctx.nodes.get(nodeId);
    if (node === undefined || nodeId === null || constraints === null) {
      // A replicated slot left from a mode change, or a node that left the cluster.
      reconcileSlot(ctx, own, { slot: 0, nodeId }, { create: false, keep: false, history: 'none' });
      continue;
    }
    const matches = matchesAll(node, constraints) && node.spec.availability !== 'drain';
    reconcileSlot(ctx, own, { slot: 0, nodeId }, { create: globalWants(node, constraints), keep: matches, history: 'keep' });
  }
}

/** A global service gets a new task on this node: ready, active, matching every constraint. */
export function globalWants(node: Node, constraints: readonly Constraint[]): boolean {
  return node.status.state === 'ready' && node.spec.availability === 'active' && matchesAll(node, constraints);
}

/** A removed service: every live task is shut down; each is deleted once it has stopped. */
export function reconcileRemoved(out: OrchestratorActions, tasks: readonly Task[], nodes: NodeIndex): void {
  for (const t of tasks) {
    if (isLive(t)) out.setDesired.push({ task: t, desiredState: 'shutdown' });
    else if (!occupies(t, nodes)) out.delete.push(t);
  }
}

function groupBy<T>(xs: readonly T[], key: (x: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const x of xs) {
    const k = key(x);
    const l = m.get(k);
    if (l) l.push(x);
    else m.set(k, [x]);
  }
  return m;
}
