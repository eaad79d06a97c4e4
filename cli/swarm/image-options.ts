import { loadRegistryAuth } from '../../src/registry/credentials.js';
import type { RegistryAuth, ResolveImageMode } from '../../src/swarm/api/registry-auth.js';

/** `--with-registry-auth` and `--resolve-image`, as service create/update and stack deploy take them. */
export interface ImageFlags {
  withRegistryAuth?: boolean;
  resolveImage?: ResolveImageMode;
}

/** The request fields for an image: the caller's credentials for its registry when asked for. */
export async function imageRequestFields(image: string, f: ImageFlags): Promise<{ registryAuth?: RegistryAuth; resolveImage?: ResolveImageMode }> {
  const out: { registryAuth?: RegistryAuth; resolveImage?: ResolveImageMode } = {};
  if (f.resolveImage) out.resolveImage = f.resolveImage;
  if (!f.withRegistryAuth) return out;
  const auth = await loadRegistryAuth(image);
  if (auth) out.registryAuth = auth;
  else process.stderr.write(`warning: --with-registry-auth: no credentials for the registry of ${image} in the Docker config (docker login, or DOCKER_CONFIG); the nodes will pull without any\n`);
  return out;
}

/** What the managers said beside the answer (an image they could not pin to a digest). */
export function printWarnings(r: { warnings?: string[] }): void {
  for (const w of r.warnings ?? []) process.stderr.write(`warning: ${w}\n`);
}
