import { canonicalJson } from '../store/canonical-json.js';
import { isBefore, type Node, type ObjectBody, type PortConfig, type Service, type Task, type TaskSpec, type TaskState } from '../store/index.js';

/**
 * The task model shared by the manager's decision cores (orchestrator, scheduler, updater,
 * gating): what counts as live or finished, and how a task is made from a service. The state
 * order itself (stateIndex, isBefore, isTerminal) is the store's, beside TASK_STATES, shared with
 * the agent. Pure: no clock, no ids, no store. See specs/tasks.md.
 */

/**
 * A task the orchestrator still wants running: desiredState is `running` or earlier (`ready` is
 * "prepare but do not start"). Everything else is history or on its way out.
 */
export function isLive(t: Task): boolean {
  return !isBefore('running', t.desiredState);
}

/**
 * Canonical bytes per spec object. Stored objects are frozen and live as long as their version,
 * so every loop pass compares each task's spec without re-encoding it.
 */
const specBytes = new WeakMap<TaskSpec, string>();
function bytesOf(s: TaskSpec): string {
  let b = specBytes.get(s);
  if (b === undefined) specBytes.set(s, (b = canonicalJson(s)));
  return b;
}

/** Task spec equality by canonical bytes (key order cannot make two equal specs differ). */
export function sameSpec(a: TaskSpec, b: TaskSpec): boolean {
  return a === b || bytesOf(a) === bytesOf(b);
}

/**
 * What of a task's published ports its container depends on: the host-mode ports (the engine
 * binds them on the task's node) and whether it joins the ingress network at all. An ingress
 * port's published number lives only in the dataplane (every node DNATs it to the task's
 * ingress address), so changing it restarts nothing.
 */
const portBytes = new WeakMap<readonly PortConfig[], string>();
function portsProjection(ports: readonly PortConfig[]): string {
  let b = portBytes.get(ports);
  if (b === undefined) {
    const host = ports
      .filter((p) => p.publishMode === 'host')
      .map((p) => `${p.protocol}/${p.targetPort}/${p.publishedPort ?? ''}`)
      .sort();
    b = JSON.stringify({ host, ingress: ports.some((p) => p.publishMode === 'ingress') });
    portBytes.set(ports, b);
  }
  return b;
}

/** Two port lists ask the same of a task's container (see portsProjection). */
export function samePorts(a: readonly PortConfig[], b: readonly PortConfig[]): boolean {
  return a === b || portsProjection(a) === portsProjection(b);
}

/**
 * A task made from what the service asks now: the same task spec, and published ports that ask
 * the same of its container. Anything else is an older version for the updater to replace.
 */
export function isCurrent(t: Pick<Task, 'spec' | 'ports'>, service: Service): boolean {
  return sameSpec(t.spec, service.spec.task) && samePorts(t.ports, service.spec.endpoint.ports);
}

/** Nodes by id, for the questions below. */
export type NodeIndex = ReadonlyMap<string, Node>;

export function indexNodes(nodes: readonly Node[]): Map<string, Node> {
  return new Map(nodes.map((n) => [n.id, n]));
}

/**
 * A task whose node can no longer run it: the node is gone, down, or drained. Such a task is
 * replaced at once (it did not fail; its node did) and does not hold its slot.
 */
export function onLostNode(t: Task, nodes: NodeIndex): boolean {
  if (t.nodeId === null) return false;
  const n = nodes.get(t.nodeId);
  return n === undefined || n.status.state === 'down' || n.spec.availability === 'drain';
}

/**
 * How a task ended, as the restart policy sees it:
 * - `running`: not ended (still progressing or running on a usable node);
 * - `lost`: its node is gone, down or drained;
 * - `complete`: exited 0;
 * - `failed`: failed, rejected, orphaned (counts against maxAttempts);
 * - `stopped`: stopped because it was asked to (observed shutdown/remove, or never started and
 *   no longer wanted).
 */
export type Ending = 'running' | 'lost' | 'complete' | 'failed' | 'stopped';

export function endingOf(t: Task, nodes: NodeIndex): Ending {
  const s = t.status.state;
  // An agent should report a non-zero exit as failed; read it that way if one says complete.
  if (s === 'complete') return t.status.exitCode !== null && t.status.exitCode !== 0 ? 'failed' : 'complete';
  if (s === 'failed' || s === 'rejected' || s === 'orphaned') return 'failed';
  if (s === 'shutdown' || s === 'remove') return 'stopped';
  if (onLostNode(t, nodes)) return 'lost';
  // Not started yet (no node) and no longer wanted: nothing runs, nothing to wait for.
  if (!isLive(t) && isBefore(s, 'assigned')) return 'stopped';
  return 'running';
}

/**
 * Still holds its slot: a container may exist that has not stopped yet. A new task for the slot
 * waits for it, which is what makes stop-first updates and scale-down-then-up stop before start.
 */
export function occupies(t: Task, nodes: NodeIndex): boolean {
  return endingOf(t, nodes) === 'running';
}

/**
 * Key of the replica a task belongs to: its slot for replicated services, its node for global
 * ones (slot 0). Unassigned global tasks cannot exist (the orchestrator creates them on a node).
 */
export function slotKey(t: Pick<Task, 'slot' | 'nodeId'>): string {
  return t.slot > 0 ? `slot:${t.slot}` : `node:${t.nodeId ?? ''}`;
}

/** Newest first: by creation time, then id (ids order tasks made in one command). */
export function newestFirst(a: Task, b: Task): number {
  return b.meta.createdAt - a.meta.createdAt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
}

/** What the cores need to make a task. */
export interface NewTaskInput {
  service: Service;
  id: string;
  now: number;
  slot: number;
  nodeId: string | null;
  desiredState?: TaskState;
  message?: string;
}

/** Message of a task waiting for the allocator (its state is `new`). */
export const ALLOCATING_MESSAGE = 'allocating network addresses';

/**
 * A new task copying the service's current task spec. It starts `new`: the allocator gives it its
 * network addresses and moves it to `pending`, the scheduler's input (specs/tasks.md).
 */
export function makeTask(i: NewTaskInput): ObjectBody<'task'> {
  return {
    id: i.id,
    serviceId: i.service.id,
    slot: i.slot,
    nodeId: i.nodeId,
    desiredState: i.desiredState ?? 'running',
    status: { state: 'new', timestamp: i.now, message: i.message ?? ALLOCATING_MESSAGE, err: null, exitCode: null, containerId: null, health: null },
    spec: i.service.spec.task,
    ports: i.service.spec.endpoint.ports,
    serviceVersion: i.service.meta.version,
    networks: [],
  };
}

/** A task with a new desired state (the orchestrator's and updater's only edit of a task). */
export function withDesired(t: Task, desiredState: TaskState): Task {
  return { ...t, desiredState };
}
