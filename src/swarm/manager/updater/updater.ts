import type { Node, ObjectBody, Service, Task, UpdateConfig, UpdateStatus } from '../../store/index.js';
import { globalWants } from '../orchestrator/orchestrator.js';
import { restartDecision } from '../orchestrator/restart.js';
import { parseConstraints, type Constraint } from '../scheduler/constraints.js';
import { endingOf, indexNodes, isCurrent, isLive, makeTask, newestFirst, slotKey, type NodeIndex } from '../task-model.js';

/**
 * The rolling-update core (swarmkit's orchestrator/update): given a service and its tasks, decide
 * the next step. It keeps no memory between calls; progress is read from the tasks themselves:
 * a replica whose live task has an older spec is still to do, one whose new task is not yet up is
 * in progress, one whose new task is up is done. See specs/tasks.md, "Rolling updates".
 *
 * Division of labour: for stop-first the updater only shuts the old task down; the orchestrator
 * fills the emptied slot from the current spec once the old container has stopped. For
 * start-first the updater creates the new task itself and shuts the old one once the new one is up.
 */

/** Docker's defaults for `--update-*` when the service has no update config. */
export const DEFAULT_UPDATE_CONFIG: UpdateConfig = {
  parallelism: 1,
  delayMs: 0,
  failureAction: 'pause',
  monitorMs: 5000,
  maxFailureRatio: 0,
  order: 'stop-first',
};

export interface UpdateInput {
  service: Service;
  /** The service's tasks (any state). */
  tasks: readonly Task[];
  nodes: readonly Node[];
  now: number;
  newId: () => string;
}

export interface UpdateDecision {
  /** The service to write back (new updateStatus, or a rollback's spec swap), or null. */
  service: Service | null;
  /** Tasks to set to desiredState shutdown. */
  shutdown: Task[];
  /** New tasks (start-first only). */
  create: ObjectBody<'task'>[];
  /** When the next step is due (a delay or monitor period ending), or null. */
  wakeAt: number | null;
}

type Phase = 'todo' | 'starting' | 'swap' | 'refill' | 'done';

interface Replica {
  key: string;
  slot: number;
  nodeId: string | null;
  phase: Phase;
  old: Task[];
  fresh: Task[];
}

/** A new task counts as up once running and, if it reports health, healthy. */
export function isUp(t: Task): boolean {
  return t.status.state === 'running' && (t.status.health === null || t.status.health === 'healthy');
}

const inRollback = (s: UpdateStatus | null): boolean => s !== null && s.state.startsWith('rollback');

/** The config that paces the current operation: rollback config during a rollback. */
export function configFor(service: Service): UpdateConfig {
  const s = service.spec;
  return (inRollback(service.updateStatus) ? (s.rollback ?? s.update) : s.update) ?? DEFAULT_UPDATE_CONFIG;
}

export function decideUpdate(i: UpdateInput): UpdateDecision {
  const nodes = indexNodes(i.nodes);
  const out: UpdateDecision = { service: null, shutdown: [], create: [], wakeAt: null };
  let service = i.service;
  const replicas = replicasOf(service, i.tasks, nodes, i.now);
  const todo = replicas.filter((r) => r.phase === 'todo');
  let status = service.updateStatus;

  if (status === null || status.state === 'completed' || status.state === 'rollback-completed') {
    if (todo.length === 0) return out;
    // The spec changed under running tasks: a new update starts now.
    status = { state: 'updating', startedAt: i.now, completedAt: null, message: 'update in progress' };
    service = { ...service, updateStatus: status };
    out.service = service;
  }
  if (status.state === 'paused' || status.state === 'rollback-paused') return out;

  const rollingBack = inRollback(status);
  const cfg = configFor(service);
  const startedAt = status.startedAt;
  const made = i.tasks.filter((t) => isCurrent(t, service) && t.meta.createdAt >= startedAt);

  // Failures: tasks this update made that failed before it completed.
  const failed = made.filter((t) => endingOf(t, nodes) === 'failed').sort(newestFirst);
  if (failed.length > 0 && failed.length > cfg.maxFailureRatio * Math.max(1, replicas.length)) {
    const culprit = failed[0] as Task;
    if (cfg.failureAction === 'pause' || (cfg.failureAction === 'rollback' && (rollingBack || service.previousSpec === null))) {
      out.service = { ...service, updateStatus: { ...status, state: rollingBack ? 'rollback-paused' : 'paused', message: `${rollingBack ? 'rollback' : 'update'} paused due to failure or early termination of task ${culprit.id}` } };
      return out;
    }
    if (cfg.failureAction === 'rollback' && service.previousSpec !== null) {
      out.service = {
        ...service,
        spec: service.previousSpec,
        previousSpec: service.spec,
        updateStatus: { state: 'rollback-started', startedAt: i.now, completedAt: null, message: `update rolled back due to failure or early termination of task ${culprit.id}` },
      };
      return out;
    }
    // continue: failures are tolerated; go on.
  }

  // Start-first replicas whose new task is up: the old one goes now (does not use parallelism).
  for (const r of replicas) if (r.phase === 'swap') out.shutdown.push(...r.old);
  const inProgress = replicas.filter((r) => r.phase === 'starting' || r.phase === 'swap').length;
  const lastUp = Math.max(startedAt, ...made.filter(isUp).map((t) => t.status.timestamp));

  const refilling = replicas.some((r) => r.phase === 'refill');
  if (todo.length === 0 && inProgress === 0 && !refilling) {
    // Done once the last new task has been up for the monitor period (its failures still count).
    const due = lastUp + cfg.monitorMs;
    if (i.now >= due) {
      out.service = { ...service, updateStatus: { ...status, state: rollingBack ? 'rollback-completed' : 'completed', completedAt: i.now, message: rollingBack ? 'rollback completed' : 'update completed' } };
    } else out.wakeAt = due;
    return out;
  }
  if (todo.length === 0 || inProgress > 0) return out;

  // The next batch: after the previous one is up and the delay has passed.
  const first = made.length === 0;
  const due = first ? i.now : lastUp + cfg.delayMs;
  if (i.now < due) {
    out.wakeAt = due;
    return out;
  }
  const batch = todo.slice(0, cfg.parallelism === 0 ? todo.length : cfg.parallelism);
  for (const r of batch) {
    if (cfg.order === 'start-first') out.create.push(makeTask({ service, id: i.newId(), now: i.now, slot: r.slot, nodeId: r.nodeId }));
    else out.shutdown.push(...r.old);
  }
  return out;
}

/**
 * The replicas an update walks over, in slot (or node id) order. Replicated slots above the
 * replica count and global nodes without live tasks are the orchestrator's business.
 */
function replicasOf(service: Service, tasks: readonly Task[], nodes: NodeIndex, now: number): Replica[] {
  const bySlot = new Map<string, Task[]>();
  for (const t of tasks) bySlot.set(slotKey(t), [...(bySlot.get(slotKey(t)) ?? []), t]);
  const out: Replica[] = [];
  const replicated = service.spec.mode.type === 'replicated';
  const n = service.spec.mode.type === 'replicated' ? service.spec.mode.replicas : 0;
  let constraints: Constraint[] | null;
  try {
    constraints = parseConstraints(service.spec.task.placement.constraints);
  } catch {
    constraints = null;
  }
  for (const [key, ts] of bySlot) {
    const slot = ts[0]?.slot ?? 0;
    const nodeId = replicated ? null : (ts[0]?.nodeId ?? null);
    if (replicated ? slot < 1 || slot > n : slot !== 0) continue;
    const live = ts.filter((t) => isLive(t) && endingOf(t, nodes) === 'running');
    const old = live.filter((t) => !isCurrent(t, service));
    const fresh = live.filter((t) => isCurrent(t, service));
    let phase: Phase;
    if (old.length > 0) phase = fresh.length === 0 ? 'todo' : fresh.some(isUp) ? 'swap' : 'starting';
    else if (fresh.length > 0) phase = fresh.some(isUp) ? 'done' : 'starting';
    else {
      // No live task: the orchestrator will refill the slot from the current spec (a stop-first
      // gap, or a restart after a failure) unless the restart policy says never. Until then a
      // slot whose newest task has an older spec is still in progress, so an update (or a
      // rollback) does not complete with slots waiting for their restart delay.
      const newest = [...ts].sort(newestFirst)[0];
      if (newest === undefined) continue;
      // A global service refills only nodes that can take a new task.
      const node = nodeId === null ? undefined : nodes.get(nodeId);
      if (!replicated && (node === undefined || constraints === null || !globalWants(node, constraints))) continue;
      // A new-spec task that failed and waits for its restart does not hold up the next batch
      // (failures are judged by the ratio), but the update is not complete without it.
      const refill = restartDecision(service.spec.task.restartPolicy, newest, ts, nodes, now).kind !== 'never';
      phase = !refill ? 'done' : isCurrent(newest, service) ? 'refill' : 'starting';
    }
    out.push({ key, slot, nodeId, phase, old, fresh });
  }
  return out.sort((a, b) => a.slot - b.slot || (a.nodeId ?? '').localeCompare(b.nodeId ?? ''));
}
