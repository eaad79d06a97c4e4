import { z } from 'zod';
import { idSchema, labelsSchema, metaSchema, nameSchema } from './common.js';

export const ipamConfigSchema = z.strictObject({
  subnet: z.string().min(1),
  /** Null lets the allocator choose. */
  gateway: z.string().nullable(),
  ipRange: z.string().nullable(),
});

export const networkSpecSchema = z.strictObject({
  name: nameSchema,
  labels: labelsSchema,
  driver: z.enum(['overlay']),
  driverOptions: z.record(z.string(), z.string()),
  /** One config at most: the allocator gives a network one subnet (refused here, with the reason). */
  ipam: z.strictObject({ configs: z.array(ipamConfigSchema).max(1, 'only one ipam config (one subnet) per network is supported') }),
  internal: z.boolean(),
  attachable: z.boolean(),
  /** The routing-mesh network; at most one per cluster (the control plane's rule). */
  ingress: z.boolean(),
});
export type NetworkSpec = z.infer<typeof networkSpecSchema>;

/**
 * A node's own address on a network: the bridge (gateway) address on that host; and on an
 * attachable network, its attachment range: an aligned block of the subnet (`10.0.9.240/28`)
 * the node's engine hands out to standalone containers by itself, which the allocator never
 * gives to a task, VIP or gateway. Null when the network is not attachable, or when no block was
 * free (the node's engine then refuses standalone containers). Defaults to null so entries
 * written before the field existed still decode.
 */
export const networkNodeAddressSchema = z.strictObject({
  nodeId: idSchema,
  address: z.string().min(1),
  attachRange: z.string().min(1).nullable().default(null),
});

/** What the allocator decided for a network (specs/networking.md "Addressing and allocation"). */
export const networkAllocationSchema = z.strictObject({
  vni: z.int().min(1).max(16_777_215),
  /** Addresses without a prefix length; the subnet carries it. */
  subnets: z.array(z.strictObject({ subnet: z.string().min(1), gateway: z.string().min(1) })),
  /**
   * Per-node gateway addresses (and attachment ranges), handed out as nodes first run a task of
   * the network (an attachable network: as soon as they are ready) and kept until the node
   * leaves the store. Defaults to [] so allocations written before the field
   * existed still decode.
   */
  nodes: z.array(networkNodeAddressSchema).default([]),
});
export type NetworkAllocation = z.infer<typeof networkAllocationSchema>;

export const networkBodySchema = z.strictObject({
  id: idSchema,
  spec: networkSpecSchema,
  /** What the allocator decided; null until it has run. */
  allocation: networkAllocationSchema.nullable(),
});
export const networkSchema = networkBodySchema.extend({ meta: metaSchema });
export type Network = z.infer<typeof networkSchema>;
