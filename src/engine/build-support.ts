/**
 * What the engine's classic builder (the /build API tscompose drives) can do. Keys that need
 * BuildKit are refused before the first build, the way docker compose refuses them without
 * BuildKit, instead of being dropped: a build that ignored `secrets` or `platforms` would produce
 * an image other than the one the file describes.
 */
import type { BuildConfig, ServiceConfig } from '../compose/types.js';
import { UserError } from '../util/errors.js';

const NEEDS_BUILDKIT: Array<[keyof BuildConfig, (b: BuildConfig) => boolean]> = [
  ['additional_contexts', (b) => Object.keys(b.additional_contexts ?? {}).length > 0],
  ['ssh', (b) => (b.ssh?.length ?? 0) > 0],
  ['secrets', (b) => (b.secrets?.length ?? 0) > 0],
  ['cache_to', (b) => (b.cache_to?.length ?? 0) > 0],
  ['platforms', (b) => (b.platforms?.length ?? 0) > 0],
  ['privileged', (b) => b.privileged === true],
  ['entitlements', (b) => (b.entitlements?.length ?? 0) > 0],
  ['provenance', (b) => b.provenance !== undefined && b.provenance !== 'false'],
  ['sbom', (b) => b.sbom !== undefined && b.sbom !== 'false'],
  ['no_cache_filter', (b) => (b.no_cache_filter?.length ?? 0) > 0],
  ['ulimits', (b) => Object.keys(b.ulimits ?? {}).length > 0],
  ['isolation', (b) => b.isolation !== undefined && b.isolation !== 'default'],
];

/** Throws for the first service whose build uses what the classic builder cannot do. */
export function checkClassicBuild(services: readonly ServiceConfig[]): void {
  for (const svc of services) {
    const b = svc.build;
    if (!b) continue;
    const keys = NEEDS_BUILDKIT.filter(([, used]) => used(b)).map(([k]) => `build.${k}`);
    if (keys.length === 0) continue;
    throw new UserError(`service ${svc.name}: ${keys.join(', ')} ${keys.length > 1 ? 'need' : 'needs'} BuildKit, and tscompose builds with the engine's classic builder`, {
      code: 'unsupported',
      hint: `remove ${keys.length > 1 ? 'them' : 'it'}, or build the image with docker buildx and refer to it by image:`,
    });
  }
}
