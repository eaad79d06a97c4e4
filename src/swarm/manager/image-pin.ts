import type { RegistryAuth, ResolveImageMode } from '../api/registry-auth.js';
import { hasDigest, withoutDigest } from '../image-digest.js';

/**
 * Pinning a service's image to a digest at create and update (specs/tasks.md, "Images"), so every
 * node runs the same bytes whatever the tag points at later. The manager asks its own engine
 * (`GET /distribution/NAME/json`), which talks to the registry with the caller's credentials.
 */

/** The part of the engine the manager needs; the daemon hands it the node's runtime. */
export interface ImageResolver {
  resolveDigest(ref: string, auth?: RegistryAuth): Promise<string>;
  /** The manager's engine has the image and it came from no registry (built or loaded there). */
  isLocalOnly?(ref: string): Promise<boolean>;
}

export interface PinInput {
  /** The image the new spec names. */
  image: string;
  /** The service's image before this write (null on create). */
  current: string | null;
  mode: ResolveImageMode;
  resolver: ImageResolver | undefined;
  auth: RegistryAuth | undefined;
  timeoutMs?: number;
}

export interface Pinned {
  image: string;
  /** Docker's warning when the registry could not be asked: nodes may then run different bytes. */
  warning?: string;
}

/**
 * An image that already names a digest stays as it is (pinned by the user, or unchanged from the
 * stored spec); `never` keeps the tag; `changed` keeps the stored digest while the name and tag
 * are the same; an image the manager's engine holds without a repo digest is used by its tag;
 * otherwise the registry is asked. A registry that cannot answer is a warning, not
 * a refusal, as in Docker: an image built on every node needs no registry.
 */
export async function pinImage(p: PinInput): Promise<Pinned> {
  if (hasDigest(p.image) || p.mode === 'never') return { image: p.image };
  if (p.mode === 'changed' && p.current !== null && withoutDigest(p.current) === p.image) return { image: p.current };
  if (!p.resolver) return { image: p.image, warning: unpinned(p.image, 'this manager has no engine to ask') };
  // An image built or loaded here was never in a registry under that name: asking one would at
  // best fail slowly (offline clusters), at worst find someone else's image of the same name.
  if (await p.resolver.isLocalOnly?.(p.image).catch(() => false)) return { image: p.image };
  try {
    const digest = await withTimeout(p.resolver.resolveDigest(p.image, p.auth), p.timeoutMs ?? RESOLVE_TIMEOUT_MS);
    if (!/^sha256:[0-9a-f]{64}$/.test(digest)) return { image: p.image, warning: unpinned(p.image, `the registry answered ${JSON.stringify(digest)}`) };
    return { image: `${p.image}@${digest}` };
  } catch (e) {
    return { image: p.image, warning: unpinned(p.image, firstLine(e)) };
  }
}

/** How long a create or update waits for the registry before going on without a digest: well inside one attempt of the CLI's request (10 s, specs/api.md "Retries"). */
export const RESOLVE_TIMEOUT_MS = 8_000;

function unpinned(image: string, why: string): string {
  return `image ${image} could not be accessed on a registry to record its digest (${why}); each node will access ${image} independently, possibly leading to different nodes running different versions of the image`;
}

function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0]!;
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms / 1000} s`)), ms);
    timer.unref();
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}
