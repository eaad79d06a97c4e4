import { stateIndex, type ObjectBody, type Service, type Task, type TaskState } from '../../store/index.js';
import { endingOf, isCurrent, isLive, makeTask, newestFirst, occupies, type NodeIndex } from '../task-model.js';
import { historyToKeep, restartDecision } from './restart.js';

/** What the orchestrator writes; the loop turns it into store changes. */
export interface OrchestratorActions {
  create: ObjectBody<'task'>[];
  /** Tasks whose desiredState changes (the orchestrator never writes observed state). */
  setDesired: { task: Task; desiredState: TaskState }[];
  /** Finished tasks past the history limit, or of removed services and slots. */
  delete: Task[];
  /** Earliest time a pending decision becomes due (a restart delay), or null. */
  wakeAt: number | null;
}

export function noActions(): OrchestratorActions {
  return { create: [], setDesired: [], delete: [], wakeAt: null };
}

export interface SlotContext {
  service: Service;
  nodes: NodeIndex;
  now: number;
  newId: () => string;
  historyLimit: number;
  out: OrchestratorActions;
}

/**
 * One replica: a slot of a replicated service, or a node of a global one.
 * - `create`: the replica should exist; a new task is made when none is live and nothing still
 *   holds the slot, subject to the restart policy.
 * - `keep`: live tasks may stay (false: shut them all down; a global service on a paused node has
 *   keep without create).
 * - `history`: `keep` bounds finished tasks by the retention limit; `none` deletes them as soon as
 *   they stop holding the slot (slots above the replica count, nodes that left).
 */
export function reconcileSlot(ctx: SlotContext, tasks: readonly Task[], at: { slot: number; nodeId: string | null }, want: { create: boolean; keep: boolean; history: 'keep' | 'none' }): void {
  const { out, nodes, service } = ctx;
  const shut = new Set<string>();
  const shutdown = (t: Task): void => {
    shut.add(t.id);
    out.setDesired.push({ task: t, desiredState: 'shutdown' });
  };

  // Live tasks that ended (or whose node was lost) become history: desired shutdown, as Docker
  // shows them ("Shutdown / Failed"). Whether the slot gets a new task is decided below.
  let live = tasks.filter(isLive);
  for (const t of live) if (endingOf(t, nodes) !== 'running') shutdown(t);
  live = live.filter((t) => !shut.has(t.id));

  if (!want.keep) {
    for (const t of live) shutdown(t);
    live = [];
  }
  // Tasks of an older spec belong to the updater; of the current spec one live task is enough
  // (keep the one furthest along, then the newest).
  const current = live.filter((t) => isCurrent(t, service)).sort((a, b) => stateIndex(b.status.state) - stateIndex(a.status.state) || newestFirst(a, b));
  for (const t of current.slice(1)) shutdown(t);

  if (want.create && live.length === 0) {
    const holding = tasks.some((t) => !shut.has(t.id) && !isLive(t) && occupies(t, nodes));
    if (!holding) {
      const last = [...tasks].sort(newestFirst)[0];
      const d = last === undefined ? ({ kind: 'now' } as const) : restartDecision(service.spec.task.restartPolicy, last, tasks, nodes, ctx.now);
      if (d.kind === 'now') out.create.push(makeTask({ service, id: ctx.newId(), now: ctx.now, slot: at.slot, nodeId: at.nodeId }));
      else if (d.kind === 'at') out.wakeAt = out.wakeAt === null ? d.at : Math.min(out.wakeAt, d.at);
    }
  }

  // History: finished tasks that no longer hold the slot, newest first; the oldest beyond the
  // limit are deleted. Tasks shut down just now are trimmed on a later pass, once they stopped.
  const finished = tasks.filter((t) => !isLive(t) && !occupies(t, nodes)).sort(newestFirst);
  const keep = want.history === 'none' ? 0 : historyToKeep(ctx.historyLimit, service.spec.task.restartPolicy);
  for (const t of finished.slice(keep)) out.delete.push(t);
}
