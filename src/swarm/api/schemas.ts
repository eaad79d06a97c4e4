import { z } from 'zod';
import { ApiError } from './errors.js';
import { LIMITS, labelsProblems, type LimitProblem } from '../store/objects/limits.js';

/**
 * Request bodies of the manager API (specs/api.md). Every request is parsed with one of these
 * before a handler sees it; strict objects so a misspelt field is an error, not ignored.
 */

/** `host:port` with a numeric port. */
export const addrSchema = z.string().regex(/^[^\s:]+:\d{1,5}$/, 'expected HOST:PORT');

export const joinRequestSchema = z.strictObject({
  token: z.string().min(1).max(200),
  csr: z.string().min(1).max(10_000),
  hostname: z.string().min(1).max(253),
  /** Host the node is reached at (no port): goes into its certificate's IP SAN. */
  advertiseAddr: z.string().min(1).max(253),
  /** Managers only: raft address host:port. */
  raftAddr: addrSchema.optional(),
});
export type JoinRequest = z.infer<typeof joinRequestSchema>;

export const managerAddrSchema = z.strictObject({ nodeId: z.string(), apiAddr: z.string(), raftAddr: z.string() });
export type ManagerAddr = z.infer<typeof managerAddrSchema>;

export const joinResponseSchema = z.strictObject({
  nodeId: z.string(),
  role: z.enum(['manager', 'worker']),
  clusterId: z.string(),
  certPem: z.string(),
  caPem: z.string(),
  caKeyPem: z.string().optional(),
  managers: z.array(managerAddrSchema),
});
export type JoinResponse = z.infer<typeof joinResponseSchema>;

export const heartbeatRequestSchema = z.strictObject({
  hostname: z.string().min(1).max(253),
  /** CIDRs of the node's interfaces and routes (the allocator avoids them); absent from older agents. */
  networks: z.array(z.string().min(1).max(64)).max(1024).optional(),
});
export const leaveRequestSchema = z.strictObject({ force: z.boolean() });

export const nodeUpdateRequestSchema = z.strictObject({
  availability: z.enum(['active', 'pause', 'drain']).optional(),
  labelAdd: z.record(z.string().min(1), z.string()).superRefine((l, ctx) => {
    for (const p of labelsProblems(l)) ctx.addIssue({ code: 'custom', path: [...p.path], message: p.message });
  }).optional(),
  labelRm: z.array(z.string().min(1).max(LIMITS.labelKeyChars)).max(LIMITS.labels).optional(),
});
export type NodeUpdateRequest = z.infer<typeof nodeUpdateRequestSchema>;

/** A node trading a fresh CSR for a certificate of its current role (renewal, promotion, demotion). */
export const renewRequestSchema = z.strictObject({
  csr: z.string().min(1).max(10_000),
  /** Where this node's raft would listen, used only if the cluster now wants it as a manager. */
  raftAddr: addrSchema.optional(),
});

export const renewResponseSchema = z.strictObject({
  certPem: z.string(),
  role: z.enum(['manager', 'worker']),
  caKeyPem: z.string().optional(),
  managers: z.array(managerAddrSchema),
});
export type RenewResponse = z.infer<typeof renewResponseSchema>;

/** Shortest certificate life a cluster accepts: renewal must fit in with heartbeats to spare. */
export const MIN_CERT_EXPIRY_MS = 30_000;

export const clusterUpdateRequestSchema = z.strictObject({
  certExpiryMs: z
    .int()
    .min(MIN_CERT_EXPIRY_MS, `certificates must live at least ${MIN_CERT_EXPIRY_MS / 1000} s`)
    .max(20 * 365 * 24 * 3600 * 1000)
    .optional(),
});

export const rotateRequestSchema = z.strictObject({ role: z.enum(['worker', 'manager']) });
export const emptySchema = z.strictObject({});

/**
 * `schema` with the bounds of store/objects/limits.ts on top: each problem becomes a zod issue at
 * its path, so `parseBody` names the field (`spec.mode.replicas`) like any other refusal.
 */
export function bounded<S extends z.ZodType>(schema: S, problems: (v: z.infer<S>) => LimitProblem[]): z.ZodType<z.infer<S>, z.input<S>> {
  return schema.superRefine((v, ctx) => {
    for (const p of problems(v)) ctx.addIssue({ code: 'custom', path: [...p.path], message: p.message });
  }) as unknown as z.ZodType<z.infer<S>, z.input<S>>;
}

/** Parses `body` with `schema`; the first issue becomes an `invalid` ApiError naming its field. */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.infer<S> {
  const r = schema.safeParse(body);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const field = issue && issue.path.length > 0 ? issue.path.map(String).join('.') : null;
  throw new ApiError('invalid', `invalid request${field ? ` field ${field}` : ''}: ${issue?.message ?? 'does not match the schema'}`, { field });
}
