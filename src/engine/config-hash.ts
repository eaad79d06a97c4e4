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
  return createHash('sha256').update(stableJson(hashedConfig(service, contentDigests))).digest('hex');
}

/** What the config hash covers, as an object of top-level keys (see serviceConfigHash). */
function hashedConfig(service: ServiceConfig, contentDigests: Record<string, string>): Record<string, unknown> {
  const { scale: _scale, build: _build, pull_policy: _pull, attach: _attach, deploy, ...rest } = service;
  const hashed: Record<string, unknown> = { ...rest };
  if (deploy) {
    const { replicas: _replicas, ...d } = deploy;
    if (Object.keys(d).length) hashed.deploy = d;
  }
  if (Object.keys(contentDigests).length) hashed[CONTENT_KEY] = contentDigests;
  return hashed;
}

/** The key the secrets' and configs' content digests are hashed under. */
const CONTENT_KEY = '#content';

/**
 * A short hash (12 hex digits) per top-level key the config hash covers, written to the
 * `dev.tscompose.config-hash-fields` label so the next plan can name which keys changed. Twelve
 * digits are plenty to tell two values of one key apart; this is not a security boundary.
 */
export function serviceConfigFields(service: ServiceConfig, contentDigests: Record<string, string> = {}): Record<string, string> {
  const hashed = hashedConfig(service, contentDigests);
  const out: Record<string, string> = {};
  for (const key of Object.keys(hashed).sort()) {
    if (hashed[key] === undefined) continue;
    out[key] = createHash('sha256').update(stableJson(hashed[key])).digest('hex').slice(0, 12);
  }
  return out;
}

/** The keys whose short hashes differ (added or removed keys too), sorted; content digests as `secrets/configs content`. */
export function changedConfigFields(before: Record<string, string>, now: Record<string, string>): string[] {
  const keys = [...new Set([...Object.keys(before), ...Object.keys(now)])].filter((k) => before[k] !== now[k]).sort();
  return keys.map((k) => (k === CONTENT_KEY ? 'secrets/configs content' : k));
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
