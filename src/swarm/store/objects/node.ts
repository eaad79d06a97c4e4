import { z } from 'zod';
import { idSchema, labelsSchema, metaSchema, timeSchema } from './common.js';

export const nodeRoleSchema = z.enum(['worker', 'manager']);
export type NodeRole = z.infer<typeof nodeRoleSchema>;

/** What the operator wants of a node. */
export const nodeSpecSchema = z.strictObject({
  availability: z.enum(['active', 'pause', 'drain']),
  /** Desired role; the certificate role follows it on the next renewal. */
  role: nodeRoleSchema,
  labels: labelsSchema,
});
export type NodeSpec = z.infer<typeof nodeSpecSchema>;

/** What the node reports about itself when its session starts. */
export const nodeDescriptionSchema = z.strictObject({
  hostname: z.string(),
  platform: z.strictObject({ os: z.string(), architecture: z.string() }),
  resources: z.strictObject({ nanoCPUs: z.int().nonnegative(), memoryBytes: z.int().nonnegative() }),
  engine: z.strictObject({ id: z.string(), version: z.string(), labels: labelsSchema }),
  /**
   * CIDRs of the host's interface addresses and routes (IPv4), excluding our own overlay bridges:
   * the allocator keeps overlay subnets off them. Defaults to [] for descriptions written before.
   */
  networks: z.array(z.string().min(1)).default([]),
});
export type NodeDescription = z.infer<typeof nodeDescriptionSchema>;

export const nodeStateSchema = z.enum(['unknown', 'down', 'ready', 'disconnected']);
export type NodeState = z.infer<typeof nodeStateSchema>;

/**
 * At most this many standalone containers per node are published: a bound on the node object's
 * size and on the request that reports them (512 of the largest entries are ~120 KB, under the
 * API's 256 KiB body limit).
 */
export const MAX_NODE_ATTACHMENTS = 512;

/**
 * A standalone container (`docker run --network NAME`, not a service task) on an attachable
 * overlay, as the node running it reported it: the other nodes program its address (fdb and
 * neighbour entries) and answer its name in DNS. Docker's container-name rule, at most 63
 * characters: the name is answered in DNS, where a label is at most that long.
 */
export const nodeAttachmentSchema = z.strictObject({
  networkId: idSchema,
  containerId: z.string().regex(/^[0-9a-f]{64}$/, 'expected a 64-hex-digit container id'),
  name: z.string().max(63).regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/, 'expected a container name ([a-zA-Z0-9][a-zA-Z0-9_.-]*)'),
  address: z.ipv4(),
});
export type NodeAttachment = z.infer<typeof nodeAttachmentSchema>;

export const nodeStatusSchema = z.strictObject({
  state: nodeStateSchema,
  /** Address the node was seen from. */
  addr: z.string(),
  message: z.string(),
  /**
   * Time of the last heartbeat the leader recorded, or null. The dispatcher keeps live heartbeats
   * in memory and writes only state changes, so this is not updated on every beat.
   */
  lastHeartbeat: timeSchema.nullable(),
  /**
   * Standalone containers on attachable overlays, as the node last reported them (written only
   * when they change; emptied when the node goes down or leaves). Defaults to [] for statuses
   * written before.
   */
  attachments: z.array(nodeAttachmentSchema).max(MAX_NODE_ATTACHMENTS).default([]),
});
export type NodeStatus = z.infer<typeof nodeStatusSchema>;

export const managerStatusSchema = z.strictObject({
  raftId: z.string().min(1),
  /** Address other managers reach its raft transport on. */
  addr: z.string(),
  reachability: z.enum(['unknown', 'unreachable', 'reachable']),
  leader: z.boolean(),
});
export type ManagerStatus = z.infer<typeof managerStatusSchema>;

export const nodeCertificateSchema = z.strictObject({
  /** Role written into the current certificate (may lag the spec's role until renewal). */
  role: nodeRoleSchema,
  state: z.enum(['pending', 'issued', 'renew', 'rotate', 'failed']),
  /** notAfter of the current certificate, or null before one is issued. */
  expiry: timeSchema.nullable(),
});

export const nodeBodySchema = z.strictObject({
  id: idSchema,
  spec: nodeSpecSchema,
  /** Null until the node's first session. */
  description: nodeDescriptionSchema.nullable(),
  status: nodeStatusSchema,
  /** Null for workers. */
  managerStatus: managerStatusSchema.nullable(),
  certificate: nodeCertificateSchema,
});
export const nodeSchema = nodeBodySchema.extend({ meta: metaSchema });
export type Node = z.infer<typeof nodeSchema>;
