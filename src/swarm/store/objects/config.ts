import { z } from 'zod';
import { idSchema, labelsSchema, metaSchema, nameSchema } from './common.js';

/** Docker's limit for configs and secrets. */
export const MAX_CONFIG_BYTES = 500 * 1024;

/** A config: like a secret but not confidential, so its payload is stored in the clear. */
export const configSpecSchema = z.strictObject({
  name: nameSchema,
  labels: labelsSchema,
  /** Base64 payload, at most {@link MAX_CONFIG_BYTES} once decoded. */
  data: z.base64().max(Math.ceil(MAX_CONFIG_BYTES / 3) * 4),
});
export type ConfigSpec = z.infer<typeof configSpecSchema>;

export const configBodySchema = z.strictObject({
  id: idSchema,
  spec: configSpecSchema,
});
export const configSchema = configBodySchema.extend({ meta: metaSchema });
export type Config = z.infer<typeof configSchema>;
