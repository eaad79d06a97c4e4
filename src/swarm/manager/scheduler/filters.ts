import { isBefore, isTerminal, type Node, type PortConfig, type Task, type TaskSpec } from '../../store/index.js';
import { matchesAll, type Constraint } from './constraints.js';

/**
 * The filter pipeline (swarmkit's scheduler/filter.go + pipeline.go): each filter is a predicate
 * on (task, node, what the node already holds) with the phrase used to explain refusals. A node is
 * charged to the first filter it fails, so the reason adds up to the number of nodes.
 */

/** What a node already carries, kept up to date while a batch is being placed. */
export interface NodeLoad {
  /** Sum of reservations of tasks on the node that have not ended. */
  nanoCPUs: number;
  memoryBytes: number;
  /** Tasks on the node that have not ended, all services. */
  total: number;
  /** The same per service id. */
  byService: Map<string, number>;
  /** Host-mode ports bound there by tasks that have not ended, as `8080/tcp`. */
  hostPorts: Set<string>;
}

export function emptyLoad(): NodeLoad {
  return { nanoCPUs: 0, memoryBytes: 0, total: 0, byService: new Map(), hostPorts: new Set() };
}

/** The host-mode ports with a number a task binds on its node (`8080/tcp`); the engine picks the others. */
export function hostPortsOf(ports: readonly PortConfig[]): string[] {
  return ports.filter((p) => p.publishMode === 'host' && p.publishedPort !== null).map((p) => `${p.publishedPort}/${p.protocol}`);
}

export interface FilterInput {
  serviceId: string;
  spec: TaskSpec;
  /** The task's published ports (`task.ports`). */
  ports: readonly PortConfig[];
  constraints: readonly Constraint[];
  node: Node;
  load: NodeLoad;
}

export interface Filter {
  name: string;
  /** Explains a refusal of the task on `n` nodes: "insufficient memory on 3 nodes", "1 node not available". */
  explain(n: number, ports: readonly PortConfig[]): string;
  check(i: FilterInput): boolean;
}

const nodes = (n: number): string => (n === 1 ? '1 node' : `${n} nodes`);

export const FILTERS: readonly Filter[] = [
  {
    // Paused and drained nodes take no new tasks; down or unknown nodes cannot run them.
    name: 'ready',
    explain: (n) => `${nodes(n)} not available`,
    check: ({ node }) => node.status.state === 'ready' && node.spec.availability === 'active',
  },
  {
    name: 'constraints',
    explain: (n) => `scheduling constraints not satisfied on ${nodes(n)}`,
    check: ({ node, constraints }) => matchesAll(node, constraints),
  },
  {
    name: 'memory',
    explain: (n) => `insufficient memory on ${nodes(n)}`,
    check: ({ node, load, spec }) => fits(spec.resources.reservations.memoryBytes, load.memoryBytes, node.description?.resources.memoryBytes ?? 0),
  },
  {
    name: 'cpu',
    explain: (n) => `insufficient cpu on ${nodes(n)}`,
    check: ({ node, load, spec }) => fits(spec.resources.reservations.nanoCPUs, load.nanoCPUs, node.description?.resources.nanoCPUs ?? 0),
  },
  {
    name: 'max-replicas',
    explain: (n) => `max replicas per node limit exceed on ${nodes(n)}`,
    check: ({ serviceId, load, spec }) => spec.placement.maxReplicasPerNode === 0 || (load.byService.get(serviceId) ?? 0) < spec.placement.maxReplicasPerNode,
  },
  {
    // A node's engine binds a host port once, whichever service asks.
    name: 'host-port',
    explain: (n, ports) => {
      const hp = hostPortsOf(ports);
      return `${hp.length > 1 ? `one of host ports ${hp.join(', ')}` : `host port ${hp[0] ?? '?'}`} in use on ${nodes(n)}`;
    },
    check: ({ load, ports }) => hostPortsOf(ports).every((p) => !load.hostPorts.has(p)),
  },
];

/** A reservation of 0 always fits (Docker's rule: unreserved tasks are not resource-checked). */
function fits(want: number, used: number, capacity: number): boolean {
  return want === 0 || used + want <= capacity;
}

/** Name of the first filter the node fails, or null when it passes them all. */
export function firstFailure(i: FilterInput): Filter | null {
  for (const f of FILTERS) if (!f.check(i)) return f;
  return null;
}

/**
 * Swarm's wording: "no suitable node (insufficient memory on 3 nodes; 1 node not available)":
 * the filter that refused most nodes first (as swarmkit's Pipeline.Explain), ties in pipeline order.
 */
export function explain(failures: ReadonlyMap<Filter, number>, ports: readonly PortConfig[] = []): string {
  if (failures.size === 0) return 'no suitable node (no nodes in the cluster)';
  const count = (f: Filter): number => failures.get(f) ?? 0;
  const parts = FILTERS.filter((f) => failures.has(f))
    .sort((a, b) => count(b) - count(a) || FILTERS.indexOf(a) - FILTERS.indexOf(b))
    .map((f) => f.explain(count(f), ports));
  return `no suitable node (${parts.join('; ')})`;
}

/**
 * Whether a task consumes what it reserved on its node: assigned and not ended. A pending global
 * task already names its node but is charged only once placed, or it would count against itself.
 */
export function holdsResources(t: Task): boolean {
  return t.nodeId !== null && !isBefore(t.status.state, 'assigned') && !isTerminal(t.status.state);
}
