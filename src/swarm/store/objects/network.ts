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
  ipam: z.strictObject({ configs: z.array(ipamConfigSchema) }),
  internal: z.boolean(),
  attachable: z.boolean(),
  /** The routing-mesh network; at most one per cluster (the control plane's rule). */
  ingress: z.boolean(),
});
export type NetworkSpec = z.infer<typeof networkSpecSchema>;

export const networkBodySchema = z.strictObject({
  id: idSchema,
  spec: networkSpecSchema,
  /** What the allocator decided; null until it has run. */
  allocation: z
    .strictObject({
      vni: z.int().min(1).max(16_777_215),
      subnets: z.array(z.strictObject({ subnet: z.string().min(1), gateway: z.string().min(1) })),
    })
    .nullable(),
});
export const networkSchema = networkBodySchema.extend({ meta: metaSchema });
export type Network = z.infer<typeof networkSchema>;
