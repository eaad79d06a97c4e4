import { z } from 'zod';

/**
 * Registry credentials as the client sends them with `--with-registry-auth` and the dispatcher
 * hands them to a node (both over mutual TLS): the engine's X-Registry-Auth fields. In the store
 * they exist only sealed (specs/security.md, "Registry credentials").
 */
export const registryAuthSchema = z.strictObject({
  serveraddress: z.string().min(1).max(512),
  username: z.string().max(512).optional(),
  password: z.string().max(8192).optional(),
  identitytoken: z.string().max(8192).optional(),
});
export type RegistryAuth = z.infer<typeof registryAuthSchema>;

/** `--resolve-image`: when the manager asks the registry for the digest a tag points at. */
export const resolveImageModeSchema = z.enum(['always', 'changed', 'never']);
export type ResolveImageMode = z.infer<typeof resolveImageModeSchema>;
