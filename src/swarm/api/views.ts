/**
 * What the manager API answers about cluster objects and the CLI renders (specs/api.md): rows of
 * `node ls`, `service ls`, `service ps`, `secret|config ls`. Shapes for display, not the store's
 * objects, so the store can change without changing what clients read.
 */
import type { PortConfig } from '../store/index.js';

/** One row of `node ls`. */
export interface NodeView {
  id: string;
  hostname: string;
  role: 'manager' | 'worker';
  status: string;
  availability: string;
  managerStatus: 'leader' | 'reachable' | 'unreachable' | null;
  addr: string;
  labels: Record<string, string>;
}

/** One row of `service ls`. */
export interface ServiceView {
  id: string;
  name: string;
  mode: 'replicated' | 'global';
  desired: number;
  running: number;
  image: string;
  /** The PORTS column: ingress-mode ports as Docker writes them (`*:30000->80/tcp`). */
  ports: string[];
  /** Every published port with the number the service holds (null: not allocated yet, or a host port the engine picks). */
  publishedPorts: PortConfig[];
  updateState: string | null;
  updateMessage: string | null;
  /** Why a control loop set the service aside (`loop: message`), or null (manager/loop-problems.ts). */
  problem: string | null;
  /** The service's labels (stacks find their services by `com.docker.stack.namespace`). */
  labels: Record<string, string>;
}

/** One row of `service ps`. */
export interface TaskView {
  id: string;
  name: string;
  image: string;
  node: string;
  /** The node's address (its node API serves the task's logs there). */
  nodeAddr: string;
  desiredState: string;
  state: string;
  since: number;
  error: string;
  exitCode: number | null;
  health: string | null;
}

/** What `secret ls|inspect` and `config ls|inspect` show: never the payload. */
export interface FileObjectView {
  id: string;
  name: string;
  labels: Record<string, string>;
  createdAt: number;
  updatedAt: number;
  /** Services whose tasks mount it. */
  usedBy: string[];
}
