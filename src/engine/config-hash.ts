import { createHash } from 'node:crypto';
import type { ServiceConfig } from '../compose/types.js';

/**
 * The hash stored in `com.docker.compose.config-hash`. It covers the canonical service config minus
 * what does not change the container itself: how many (scale, deploy.replicas), how the image is
 * obtained (build, pull_policy) and whether logs are attached. Keys are sorted so the hash does not
 * depend on the order the loader produced them.
 */
export function serviceConfigHash(service: ServiceConfig): string {
  const { scale: _scale, build: _build, pull_policy: _pull, attach: _attach, deploy, ...rest } = service;
  const hashed: Record<string, unknown> = { ...rest };
  if (deploy) {
    const { replicas: _replicas, ...d } = deploy;
    if (Object.keys(d).length) hashed.deploy = d;
  }
  return createHash('sha256').update(stableJson(hashed)).digest('hex');
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
