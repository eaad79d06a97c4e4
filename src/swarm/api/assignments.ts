import { z } from 'zod';
import type { Task } from '../store/index.js';
import type { RegistryAuth } from './registry-auth.js';

/**
 * What the dispatcher hands a node (`POST /v1/dispatcher/assignments`, specs/api.md). Here, not in
 * the manager or the agent, because both sides speak it and neither may import the other.
 */

/** A secret or config payload (base64), sent by the dispatcher only to a node running a task that mounts it. */
export interface TaskFile {
  kind: 'secret' | 'config';
  id: string;
  data: string;
}

/** A task as the dispatcher hands it to its node: the task plus what the node needs beside it. */
export interface AssignedTask {
  task: Task;
  serviceName: string;
  /** Payloads of the secrets and configs it mounts (only while it should run). */
  files?: TaskFile[];
  /** Its service's `--with-registry-auth` credentials, for the pull (only while it should run). */
  registryAuth?: RegistryAuth;
}

/** `POST /v1/dispatcher/assignments` body: the store index of the last answer the agent holds. */
export const assignmentsRequestSchema = z.strictObject({ since: z.int().nonnegative().optional() });

/**
 * Incremental assignments: `ids` is every task the node must act on now (a task absent from it is
 * one whose container the agent removes), `tasks` only those changed after `since` (all without
 * it), `index` what to send as `since` next time. Store versions are raft indexes, identical on
 * every manager, so an agent may ask any manager.
 */
export interface Assignments {
  index: number;
  ids: string[];
  tasks: AssignedTask[];
}
