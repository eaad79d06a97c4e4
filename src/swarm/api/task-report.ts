import { z } from 'zod';
import { taskHealthSchema, taskStateSchema } from '../store/index.js';

/**
 * What an agent reports about its tasks (`POST /v1/dispatcher/status`, specs/api.md). One schema
 * for both ends: the agent builds reports of this type, the manager parses them with it, so the
 * two cannot drift apart.
 */

/** One observed state change: a task's observed state and the facts behind it. */
export const taskReportSchema = z.strictObject({
  taskId: z.string().min(1).max(64),
  state: taskStateSchema,
  message: z.string().max(1024),
  err: z.string().max(4096).nullable(),
  exitCode: z.int().nullable(),
  containerId: z.string().max(128).nullable(),
  /** Null without a healthcheck or when not running (specs/tasks.md). */
  health: taskHealthSchema.nullable(),
});
export type TaskReport = z.infer<typeof taskReportSchema>;

export const taskReportsSchema = z.strictObject({ updates: z.array(taskReportSchema).max(10_000) });

type Observation = Pick<TaskReport, 'state' | 'containerId' | 'exitCode' | 'err' | 'health'>;

/** Whether a report says nothing the stored status does not (the agent sends only the others). */
export function sameObservation(a: Observation, b: Observation): boolean {
  return a.state === b.state && a.containerId === b.containerId && a.exitCode === b.exitCode && a.err === b.err && a.health === b.health;
}
