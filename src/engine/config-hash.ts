import { createHash } from 'node:crypto';
import type { NetworkConfig, ServiceConfig } from '../compose/types.js';

/**
 * The hash stored in `com.docker.compose.config-hash`. It covers the canonical service config minus
 * what does not change the container itself: how many (scale, deploy.replicas), how the image is
 * obtained (build, pull_policy) and whether logs are attached. Keys are sorted so the hash does not
 * depend on the order the loader produced them.
 *
 * `contentDigests` are digests of the secrets and configs the service mounts (see
 * content-digest.ts), so a changed file, environment value or inline content recreates the
 * service; only digests go in, never the content. A service without secrets or configs hashes as
 * it always did.
 */
export function serviceConfigHash(service: ServiceConfig, contentDigests: Record<string, string> = {}): string {
  const { scale: _scale, build: _build, pull_policy: _pull, attach: _attach, deploy, ...rest } = service;
  const hashed: Record<string, unknown> = { ...rest };
  if (deploy) {
    const { replicas: _replicas, ...d } = deploy;
    if (Object.keys(d).length) hashed.deploy = d;
  }
  if (Object.keys(contentDigests).length) hashed['#content'] = contentDigests;
  return createHash('sha256').update(stableJson(hashed)).digest('hex');
}

/**
 * The hash stored on a network we create (`com.docker.compose.config-hash`): its whole compose
 * definition except whether it is external. `up` recreates a project network whose label differs.
 */
export function networkConfigHash(network: NetworkConfig | undefined): string {
  const { external: _external, ...rest } = network ?? ({} as Partial<NetworkConfig>);
  return createHash('sha256').update(stableJson(rest)).digest('hex');
}

export function stableJson(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o)
    .filter((k) => o[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${stableJson(o[k])}`)
    .join(',')}}`;
}
