import { z } from 'zod';
import { idSchema, metaSchema, timeSchema } from './common.js';
import { portConfigSchema } from './service.js';
import { taskSpecSchema } from './task-spec.js';

/**
 * Task states in their only allowed order (swarmkit's task model). Observed state moves forward
 * only; the store does not police transitions (that is the writers' contract, checked where the
 * transition is decided) but the order, and the reading of it below (stateIndex, isBefore,
 * isTerminal), is exported so the manager and the agent share one definition.
 */
export const TASK_STATES = [
  'new',
  'pending',
  'assigned',
  'accepted',
  'preparing',
  'ready',
  'starting',
  'running',
  'complete',
  'shutdown',
  'failed',
  'rejected',
  'remove',
  'orphaned',
] as const;
export const taskStateSchema = z.enum(TASK_STATES);
export type TaskState = z.infer<typeof taskStateSchema>;

const ORDER = new Map<TaskState, number>(TASK_STATES.map((s, i) => [s, i]));

/** Position of a state in the one allowed order; observed state only moves to higher ones. */
export function stateIndex(s: TaskState): number {
  return ORDER.get(s) ?? 0;
}

/** `a` comes strictly before `b` in the task state order. */
export function isBefore(a: TaskState, b: TaskState): boolean {
  return stateIndex(a) < stateIndex(b);
}

/** Observed states after which a task never runs again (complete, shutdown, failed, ...). */
export function isTerminal(s: TaskState): boolean {
  return stateIndex(s) > stateIndex('running');
}

export const taskHealthSchema = z.enum(['starting', 'healthy', 'unhealthy']);
export type TaskHealth = z.infer<typeof taskHealthSchema>;

export const taskStatusSchema = z.strictObject({
  state: taskStateSchema,
  /** When the writer observed this state (proposer-side time). */
  timestamp: timeSchema,
  message: z.string(),
  /** Why the task failed or was rejected; null otherwise. */
  err: z.string().nullable(),
  exitCode: z.int().nullable(),
  containerId: z.string().nullable(),
  /**
   * Health of the container as the agent last saw it: null when the task has no healthcheck (or
   * has not started). Depends_on gating reads it (`service_healthy`). Defaults to null so status
   * objects written before the field existed still decode.
   */
  health: taskHealthSchema.nullable().default(null),
});
export type TaskStatus = z.infer<typeof taskStatusSchema>;

export const taskBodySchema = z.strictObject({
  id: idSchema,
  serviceId: idSchema,
  /** Replica number of a replicated service (1-based); 0 for global tasks, which key by node. */
  slot: z.int().nonnegative(),
  /** Null until the scheduler assigns it. */
  nodeId: idSchema.nullable(),
  desiredState: taskStateSchema,
  status: taskStatusSchema,
  /** Copy of the service's task template when the task was made. */
  spec: taskSpecSchema,
  /** meta.version of the service the spec was copied from. */
  serviceVersion: z.int().nonnegative(),
  /**
   * The service's published ports when the task was made (`spec.endpoint.ports`): what the
   * scheduler checks host ports against and the allocator reads to join the ingress network.
   * Defaults to [] so tasks written before the field existed still decode.
   */
  ports: z.array(portConfigSchema).default([]),
  /** Addresses the allocator gave the task on each network. */
  networks: z.array(z.strictObject({ networkId: idSchema, addresses: z.array(z.string().min(1)) })),
});
export const taskSchema = taskBodySchema.extend({ meta: metaSchema });
export type Task = z.infer<typeof taskSchema>;
