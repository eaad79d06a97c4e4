import { z } from 'zod';
import { durationSchema, encryptedBlobSchema, idSchema, labelsSchema, metaSchema, nameSchema, timeSchema } from './common.js';
import { taskSpecSchema } from './task-spec.js';

export const serviceModeSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('replicated'), replicas: z.int().nonnegative() }),
  z.strictObject({ type: z.literal('global') }),
]);
export type ServiceMode = z.infer<typeof serviceModeSchema>;

/** How a rolling update (or rollback) proceeds. */
export const updateConfigSchema = z.strictObject({
  /** Tasks replaced at once; 0 means all. */
  parallelism: z.int().nonnegative(),
  delayMs: durationSchema,
  failureAction: z.enum(['pause', 'continue', 'rollback']),
  /** How long a new task is watched for failure after it starts. */
  monitorMs: durationSchema,
  maxFailureRatio: z.number().min(0).max(1),
  order: z.enum(['stop-first', 'start-first']),
});
export type UpdateConfig = z.infer<typeof updateConfigSchema>;

export const portConfigSchema = z.strictObject({
  name: z.string(),
  protocol: z.enum(['tcp', 'udp', 'sctp']),
  targetPort: z.int().min(1).max(65535),
  /** Null asks the allocator to pick one (ingress mode). */
  publishedPort: z.int().min(1).max(65535).nullable(),
  publishMode: z.enum(['ingress', 'host']),
  /**
   * Masquerade at the entry node instead of keeping the client's address (an ingress-mode port
   * only: a host-mode port is answered on the task's own node). Swarm always masquerades; ours
   * keeps the address unless asked. Defaults to false so specs written before it still decode.
   */
  snat: z.boolean().default(false),
});
export type PortConfig = z.infer<typeof portConfigSchema>;

export const endpointSpecSchema = z.strictObject({
  mode: z.enum(['vip', 'dnsrr']),
  ports: z.array(portConfigSchema),
});

/**
 * A compose `depends_on` entry carried into the cluster: tasks of the service start only once the
 * dependency meets the condition (rule in specs/tasks.md, decided by manager/gating).
 */
export const serviceDependencySchema = z.strictObject({
  /** Service id or name; the id wins when both match (names can be reused after a removal). */
  service: z.string().min(1),
  condition: z.enum(['service_started', 'service_healthy', 'service_completed_successfully']),
});
export type ServiceDependency = z.infer<typeof serviceDependencySchema>;

export const serviceSpecSchema = z.strictObject({
  name: nameSchema,
  labels: labelsSchema,
  mode: serviceModeSchema,
  task: taskSpecSchema,
  update: updateConfigSchema.nullable(),
  rollback: updateConfigSchema.nullable(),
  endpoint: endpointSpecSchema,
  /**
   * Defaults to [] so commands and snapshots written before the field existed still decode; the
   * stored form always carries it (validation output is what is stored).
   */
  dependsOn: z.array(serviceDependencySchema).default([]),
});
export type ServiceSpec = z.infer<typeof serviceSpecSchema>;

export const serviceProblemSchema = z.strictObject({
  /** The loop that set it: orchestrator, scheduler, allocator, updater. */
  loop: z.string().min(1).max(64),
  message: z.string().max(1024),
  since: timeSchema,
});
export type ServiceProblem = z.infer<typeof serviceProblemSchema>;

export const updateStatusSchema = z.strictObject({
  state: z.enum(['updating', 'paused', 'completed', 'rollback-started', 'rollback-paused', 'rollback-completed']),
  startedAt: timeSchema,
  completedAt: timeSchema.nullable(),
  message: z.string(),
});
export type UpdateStatus = z.infer<typeof updateStatusSchema>;

/** What the allocator decided for the service's endpoint. */
export const endpointSchema = z.strictObject({
  /** Ports with published ports filled in. */
  ports: z.array(portConfigSchema),
  virtualIPs: z.array(z.strictObject({ networkId: idSchema, addr: z.string().min(1) })),
});

export const serviceBodySchema = z.strictObject({
  id: idSchema,
  spec: serviceSpecSchema,
  /** The spec before the last update, kept so a rollback knows where to go. */
  previousSpec: serviceSpecSchema.nullable(),
  updateStatus: updateStatusSchema.nullable(),
  /** Null until the allocator has run. */
  endpoint: endpointSchema.nullable(),
  /**
   * `--with-registry-auth`: the caller's credentials for the image's registry, sealed like a
   * secret's payload (bound to the service id); handed only to nodes running its tasks. Defaults
   * to null so services written before it still decode.
   */
  registryAuth: z.strictObject({ registry: z.string().min(1).max(512), data: encryptedBlobSchema }).nullable().default(null),
  /**
   * Set by a control loop that set the service aside (manager/loop-problems.ts): its spec is out of
   * bounds or the loop's core failed on it. Cleared by that loop when a pass goes well again.
   * Defaults to null so services written before it still decode.
   */
  problem: serviceProblemSchema.nullable().default(null),
});
export const serviceSchema = serviceBodySchema.extend({ meta: metaSchema });
export type Service = z.infer<typeof serviceSchema>;
