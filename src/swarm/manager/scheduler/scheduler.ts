import type { Node, Task } from '../../store/index.js';
import { isLive } from '../task-model.js';
import { ConstraintError, nodeValue, parseConstraints, type Constraint } from './constraints.js';
import { emptyLoad, explain, firstFailure, holdsResources, hostPortsOf, type Filter, type NodeLoad } from './filters.js';

/**
 * The scheduler's decision core: place a whole batch of pending tasks at once. Pure and
 * deterministic (ties break by node id), so 30 replicas on 3 equal nodes always land 10/10/10 and
 * a replay on another manager decides the same. See specs/tasks.md, "Scheduling".
 */

export interface ScheduleInput {
  /** Tasks to place. Only `pending` tasks that are still wanted are considered; global tasks arrive with their node set. */
  tasks: readonly Task[];
  nodes: readonly Node[];
  /** Every task in the cluster: what nodes already carry (reservations and counts). */
  allTasks: readonly Task[];
  /** The proposer's clock, for how recent a rejection is; without it rejections are not weighed. */
  now?: number;
}

/** A node that rejected a task of the service this recently is tried last (swarmkit's monitorFailures). */
export const REJECTION_MEMORY_MS = 5 * 60_000;

export interface Placement {
  taskId: string;
  nodeId: string;
}

export interface Unplaced {
  taskId: string;
  /** Swarm's wording, e.g. "no suitable node (insufficient memory on 3 nodes; 1 node not available)". */
  reason: string;
}

export interface ScheduleDecision {
  placements: Placement[];
  unplaced: Unplaced[];
}

/** Tasks the scheduler is responsible for: pending and still wanted. */
export function isSchedulable(t: Task): boolean {
  return t.status.state === 'pending' && isLive(t);
}

export function schedule(input: ScheduleInput): ScheduleDecision {
  const nodes = [...input.nodes].sort((a, b) => cmp(a.id, b.id));
  const loads = new Map<string, NodeLoad>(nodes.map((n) => [n.id, emptyLoad()]));
  for (const t of input.allTasks) if (holdsResources(t)) charge(loads, t.nodeId as string, t.serviceId, t);

  const placements: Placement[] = [];
  const unplaced: Unplaced[] = [];
  // Slot order makes the outcome independent of the order tasks were read in.
  const todo = input.tasks.filter(isSchedulable).sort((a, b) => cmp(a.serviceId, b.serviceId) || a.slot - b.slot || cmp(a.nodeId ?? '', b.nodeId ?? '') || cmp(a.id, b.id));
  const parsed = new Map<string, Constraint[] | ConstraintError>();
  const rejected = recentRejections(input.allTasks, input.now);

  for (const t of todo) {
    const constraints = constraintsOf(t, parsed);
    if (constraints instanceof ConstraintError) {
      unplaced.push({ taskId: t.id, reason: `no suitable node (${constraints.message})` });
      continue;
    }
    const pool = t.nodeId === null ? nodes : nodes.filter((n) => n.id === t.nodeId);
    if (pool.length === 0 && t.nodeId !== null) {
      // A global task whose node left; the orchestrator removes it, this only keeps the reason true.
      unplaced.push({ taskId: t.id, reason: `no suitable node (node ${t.nodeId} is not in the cluster)` });
      continue;
    }
    const failures = new Map<Filter, number>();
    const candidates: Node[] = [];
    for (const node of pool) {
      const f = firstFailure({ serviceId: t.serviceId, spec: t.spec, ports: t.ports, constraints, node, load: loads.get(node.id) ?? emptyLoad() });
      if (f === null) candidates.push(node);
      else failures.set(f, (failures.get(f) ?? 0) + 1);
    }
    // A node that could not run the service's task (its image would not pull there, say) goes
    // last, so the replacement lands elsewhere when another node can take it.
    const avoid = rejected.get(t.serviceId);
    const fresh = avoid ? candidates.filter((n) => !avoid.has(n.id)) : candidates;
    const chosen = pick(t, fresh.length > 0 ? fresh : candidates, loads);
    if (chosen === undefined) {
      unplaced.push({ taskId: t.id, reason: explain(failures, t.ports) });
      continue;
    }
    placements.push({ taskId: t.id, nodeId: chosen.id });
    charge(loads, chosen.id, t.serviceId, t);
  }
  return { placements, unplaced };
}

/** Per service, the nodes that rejected one of its tasks within REJECTION_MEMORY_MS of `now`. */
function recentRejections(tasks: readonly Task[], now: number | undefined): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  if (now === undefined) return out;
  for (const t of tasks) {
    if (t.status.state !== 'rejected' || t.nodeId === null || now - t.status.timestamp > REJECTION_MEMORY_MS) continue;
    let s = out.get(t.serviceId);
    if (!s) out.set(t.serviceId, (s = new Set()));
    s.add(t.nodeId);
  }
  return out;
}

function constraintsOf(t: Task, cache: Map<string, Constraint[] | ConstraintError>): Constraint[] | ConstraintError {
  const key = t.spec.placement.constraints.join('\n');
  let c = cache.get(key);
  if (c === undefined) {
    try {
      c = parseConstraints(t.spec.placement.constraints);
    } catch (e) {
      if (!(e instanceof ConstraintError)) throw e;
      c = e;
    }
    cache.set(key, c);
  }
  return c;
}

/**
 * Spread: each placement preference (`node.labels.zone`) narrows the candidates to the label value
 * holding the fewest tasks of this service (nodes without the label form their own group, as in
 * swarmkit); then the node with the fewest tasks of this service, then the fewest tasks overall,
 * then the smallest id.
 */
function pick(t: Task, candidates: readonly Node[], loads: ReadonlyMap<string, NodeLoad>): Node | undefined {
  const of = (n: Node): NodeLoad => loads.get(n.id) ?? emptyLoad();
  let pool = candidates;
  for (const pref of t.spec.placement.preferences) {
    const groups = new Map<string, Node[]>();
    for (const n of pool) {
      const v = nodeValue(n, pref.spread) ?? '';
      groups.set(v, [...(groups.get(v) ?? []), n]);
    }
    let best: [string, Node[], number] | undefined;
    for (const [v, ns] of groups) {
      const count = ns.reduce((s, n) => s + (of(n).byService.get(t.serviceId) ?? 0), 0);
      if (best === undefined || count < best[2] || (count === best[2] && v < best[0])) best = [v, ns, count];
    }
    if (best !== undefined) pool = best[1];
  }
  let chosen: Node | undefined;
  for (const n of pool) {
    if (chosen === undefined || less(of(n), n.id, of(chosen), chosen.id, t.serviceId)) chosen = n;
  }
  return chosen;
}

function less(a: NodeLoad, aId: string, b: NodeLoad, bId: string, serviceId: string): boolean {
  const sa = a.byService.get(serviceId) ?? 0;
  const sb = b.byService.get(serviceId) ?? 0;
  if (sa !== sb) return sa < sb;
  if (a.total !== b.total) return a.total < b.total;
  return aId < bId;
}

function charge(loads: Map<string, NodeLoad>, nodeId: string, serviceId: string, t: Task): void {
  const l = loads.get(nodeId);
  if (l === undefined) return; // a task on a node that no longer exists reserves nothing
  l.nanoCPUs += t.spec.resources.reservations.nanoCPUs;
  l.memoryBytes += t.spec.resources.reservations.memoryBytes;
  l.total += 1;
  l.byService.set(serviceId, (l.byService.get(serviceId) ?? 0) + 1);
  for (const p of hostPortsOf(t.ports)) l.hostPorts.add(p);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
