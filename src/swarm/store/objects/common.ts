import { z } from 'zod';

/**
 * Building blocks shared by every stored object. Timestamps are integer milliseconds since the
 * epoch chosen by the proposer, never read from a clock inside apply, so replicas agree.
 */

/** Object ids: made by the proposer side (see `generateNodeId` in swarm/ca for nodes). */
export const idSchema = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'ids are letters, digits, "_", "." and "-", starting with a letter or digit');

/** Names that are unique within a kind (services, networks, secrets, configs, the cluster). */
export const nameSchema = z
  .string()
  .min(1)
  .max(63)
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'names are letters, digits, "_", "." and "-", starting with a letter or digit');

export const labelsSchema = z.record(z.string().min(1), z.string());

/** Epoch milliseconds. */
export const timeSchema = z.int().nonnegative();

/** Durations in milliseconds. */
export const durationSchema = z.int().nonnegative();

export const metaSchema = z.strictObject({
  /** Raft index of the command that last wrote the object: the optimistic-concurrency token. */
  version: z.int().positive(),
  createdAt: timeSchema,
  updatedAt: timeSchema,
});
export type Meta = z.infer<typeof metaSchema>;

/**
 * Data the store must hold but must never be able to read: secret payloads, the root CA key.
 * Encryption and decryption happen outside the store (managers hold the key-encryption key), so
 * the replicated log, snapshots and watch events only ever carry ciphertext.
 */
export const encryptedBlobSchema = z.strictObject({
  /** Authenticated cipher; a union so other algorithms can be added without a format bump. */
  alg: z.enum(['aes-256-gcm']),
  /** Which data-encryption key sealed it, so keys can be rotated while old blobs stay readable. */
  keyId: z.string().min(1).max(128),
  /** Base64 nonce (12 bytes for AES-GCM). */
  nonce: z.base64().min(1),
  /** Base64 ciphertext followed by the authentication tag. */
  ciphertext: z.base64(),
});
export type EncryptedBlob = z.infer<typeof encryptedBlobSchema>;
