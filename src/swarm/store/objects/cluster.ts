import { z } from 'zod';
import { durationSchema, encryptedBlobSchema, idSchema, labelsSchema, metaSchema, nameSchema } from './common.js';

/**
 * The cluster object: one per swarm, holding cluster-wide settings and the root CA.
 *
 * Join tokens are stored whole, as swarmkit does, not hashed. Why: any manager must be able to
 * print the current token (`tsswarm join-token`) and hashes cannot be printed back; rotation must
 * take effect on every manager at once, which a replicated write gives. A token is a capability to
 * *ask* a reachable manager for a certificate, is revocable by rotation, and is only ever readable
 * by managers (the store is reached over manager-only mutual TLS). The root CA key, which could
 * forge certificates offline and cannot be rotated cheaply, is the material that stays encrypted
 * (`rootCA.key`). Encrypting the raft log at rest would protect tokens on a stolen disk too; it is
 * listed under "Not yet" in specs/security.md.
 */
export const clusterNetworkingSchema = z.strictObject({
  /** CIDRs that automatic overlay subnets are cut from, in order. */
  defaultAddrPools: z.array(z.string().min(1)).min(1),
  /** Prefix length of each automatic subnet. */
  subnetSize: z.int().min(1).max(30),
  /** UDP port of the VXLAN data path. */
  vxlanPort: z.int().min(1).max(65535),
});
export type ClusterNetworking = z.infer<typeof clusterNetworkingSchema>;

/** Swarm's defaults: 10.0.0.0/8 in /24s, VXLAN on 4789. */
export const DEFAULT_CLUSTER_NETWORKING: ClusterNetworking = { defaultAddrPools: ['10.0.0.0/8'], subnetSize: 24, vxlanPort: 4789 };

export const clusterSpecSchema = z.strictObject({
  name: nameSchema,
  labels: labelsSchema,
  raft: z.strictObject({
    /** Applied entries between snapshots. */
    snapshotInterval: z.int().positive(),
    keepOldSnapshots: z.int().nonnegative(),
    /** Entries kept after a snapshot so slow followers catch up from the log. */
    logEntriesForSlowFollowers: z.int().nonnegative(),
    heartbeatTick: z.int().positive(),
    electionTick: z.int().positive(),
  }),
  dispatcher: z.strictObject({
    heartbeatPeriodMs: durationSchema,
  }),
  ca: z.strictObject({
    nodeCertExpiryMs: durationSchema,
  }),
  orchestration: z.strictObject({
    /** Finished tasks kept per slot for `ps` history. */
    taskHistoryRetentionLimit: z.int().nonnegative(),
  }),
  /**
   * Where overlay subnets come from (`init --default-addr-pool`, `--default-addr-pool-mask-len`,
   * `--data-path-port`). Defaults to Swarm's so cluster objects written before it still decode.
   */
  networking: clusterNetworkingSchema.default(DEFAULT_CLUSTER_NETWORKING),
});
export type ClusterSpec = z.infer<typeof clusterSpecSchema>;

export const clusterBodySchema = z.strictObject({
  id: idSchema,
  spec: clusterSpecSchema,
  rootCA: z.strictObject({
    certPem: z.string().min(1),
    /** Root CA private key, sealed; null on a cluster whose key lives outside the store. */
    key: encryptedBlobSchema.nullable(),
    /** SHA-256 of the root certificate DER, base36 (the digest inside join tokens). */
    certDigest: z.string().min(1),
    joinTokens: z.strictObject({ worker: z.string().min(1), manager: z.string().min(1) }),
  }),
});
export const clusterSchema = clusterBodySchema.extend({ meta: metaSchema });
export type Cluster = z.infer<typeof clusterSchema>;
