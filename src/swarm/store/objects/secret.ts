import { z } from 'zod';
import { encryptedBlobSchema, idSchema, labelsSchema, metaSchema, nameSchema } from './common.js';

/**
 * A secret. `data` is sealed before it reaches the store; the plaintext exists only on the client
 * that created it and, decrypted by a manager, on the worker running a task that uses it.
 */
export const secretSpecSchema = z.strictObject({
  name: nameSchema,
  labels: labelsSchema,
  data: encryptedBlobSchema,
});
export type SecretSpec = z.infer<typeof secretSpecSchema>;

export const secretBodySchema = z.strictObject({
  id: idSchema,
  spec: secretSpecSchema,
});
export const secretSchema = secretBodySchema.extend({ meta: metaSchema });
export type Secret = z.infer<typeof secretSchema>;
