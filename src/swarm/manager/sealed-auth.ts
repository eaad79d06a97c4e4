import { registryAuthSchema, type RegistryAuth } from '../api/registry-auth.js';
import { seal, unseal, type SecretsKey } from '../secrets/seal.js';
import type { Service } from '../store/index.js';

/**
 * `--with-registry-auth` credentials at rest: sealed with the secrets key like a secret's payload,
 * bound to the service id so a blob copied onto another service does not open.
 */
export type SealedRegistryAuth = NonNullable<Service['registryAuth']>;

function binding(serviceId: string): string {
  return `registry-auth:${serviceId}`;
}

export function sealRegistryAuth(auth: RegistryAuth, serviceId: string, key: SecretsKey): SealedRegistryAuth {
  return { registry: auth.serveraddress, data: seal(Buffer.from(JSON.stringify(auth)), key, binding(serviceId)) };
}

/** The service's credentials, or undefined when it has none. Throws if the blob does not open. */
export function openRegistryAuth(s: Pick<Service, 'id' | 'registryAuth'>, key: () => SecretsKey): RegistryAuth | undefined {
  if (!s.registryAuth) return undefined;
  return registryAuthSchema.parse(JSON.parse(unseal(s.registryAuth.data, key(), binding(s.id)).toString('utf8')));
}
