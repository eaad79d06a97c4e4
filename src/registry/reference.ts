/**
 * Image references as the Docker engine reads them (distribution's "normalized named" rules), so
 * that the registry we ask credentials for is the one the engine will talk to: `busybox` is
 * `docker.io/library/busybox`, `team/app` is `docker.io/team/app`, and a first component that is
 * `localhost`, has a `.` or a `:port`, or has upper-case letters names a registry host.
 */
import { UserError } from '../util/errors.js';

/** Docker Hub's canonical registry name in references. */
export const DOCKER_HUB = 'docker.io';
/** The key the Docker CLI files Docker Hub credentials under (config.json, credential helpers). */
export const DOCKER_HUB_AUTH_KEY = 'https://index.docker.io/v1/';

export interface ImageReference {
  /** Registry host, with `:port` when given: `docker.io`, `localhost:5000`, `10.0.0.2:5000`. */
  registry: string;
  /** Path in the registry, always with its namespace on Docker Hub: `library/busybox`. */
  repository: string;
  tag?: string;
  /** `sha256:<64 hex>` (or another algorithm's `algo:hex`). */
  digest?: string;
}

// distribution/reference's grammar, written out: path components, tags and digests.
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$/;
const HOST = /^(?:(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*|\[[0-9a-fA-F:.]+\])(?::\d+)?$/;
const ID_LIKE = /^[a-f0-9]{64}$/;
/** Longest name the engine accepts (distribution's NameTotalLengthMax). */
const MAX_NAME = 255;

function invalid(ref: string, why: string, hint = 'write it as [HOST[:PORT]/]PATH[:TAG][@sha256:DIGEST], e.g. localhost:5000/team/app:1.0'): UserError {
  return new UserError(`invalid image reference "${ref}": ${why}`, { code: 'invalid', hint });
}

/** Splits a name into registry and remainder the way the engine does (splitDockerDomain). */
function splitRegistry(name: string): { registry: string; rest: string } {
  const slash = name.indexOf('/');
  const first = slash < 0 ? '' : name.slice(0, slash);
  const isHost = slash >= 0 && (/[.:]/.test(first) || first === 'localhost' || first.toLowerCase() !== first);
  let registry = isHost ? first : DOCKER_HUB;
  let rest = isHost ? name.slice(slash + 1) : name;
  if (registry === 'index.docker.io') registry = DOCKER_HUB;
  if (registry === DOCKER_HUB && !rest.includes('/')) rest = `library/${rest}`;
  return { registry, rest };
}

/**
 * Parses and normalizes an image reference. Throws a {@link UserError} naming the reference and
 * what is wrong with it when the engine would refuse it.
 */
export function parseReference(ref: string): ImageReference {
  if (!ref) throw invalid(ref, 'it is empty');
  let name = ref;
  let digest: string | undefined;
  const at = name.indexOf('@');
  if (at >= 0) {
    digest = name.slice(at + 1);
    name = name.slice(0, at);
    if (!DIGEST.test(digest)) throw invalid(ref, `"${digest}" is not a digest (algorithm:hex, e.g. sha256:<64 hex digits>)`);
  }
  let tag: string | undefined;
  const colon = name.lastIndexOf(':');
  if (colon > name.lastIndexOf('/')) {
    tag = name.slice(colon + 1);
    name = name.slice(0, colon);
    if (!TAG.test(tag)) throw invalid(ref, `"${tag}" is not a valid tag (letters, digits, _ . -, at most 128, not starting with . or -)`);
  }
  if (ID_LIKE.test(name)) throw invalid(ref, 'a 64-hex-digit name is an image id, not a repository', 'refer to a local image by id without a registry, or give the repository name');
  if (name.length > MAX_NAME) throw invalid(ref, `the name is longer than ${MAX_NAME} characters`);
  const { registry, rest } = splitRegistry(name);
  if (registry !== DOCKER_HUB && !HOST.test(registry)) throw invalid(ref, `"${registry}" is not a registry host[:port]`);
  for (const part of rest.split('/')) {
    if (part !== part.toLowerCase()) throw invalid(ref, 'repository names must be lowercase', 'only the registry host may have upper-case letters');
    if (!PATH_COMPONENT.test(part)) throw invalid(ref, `"${part}" is not a valid path component (lowercase letters, digits, separated by . _ __ or -)`);
  }
  return { registry, repository: rest, ...(tag !== undefined ? { tag } : {}), ...(digest !== undefined ? { digest } : {}) };
}

/** The repository as users write it: Docker Hub's `docker.io/` and `library/` left out. */
export function familiarName(r: Pick<ImageReference, 'registry' | 'repository'>): string {
  if (r.registry !== DOCKER_HUB) return `${r.registry}/${r.repository}`;
  return r.repository.startsWith('library/') ? r.repository.slice('library/'.length) : r.repository;
}

/** The reference in familiar form: `busybox:1.36`, `localhost:5000/app@sha256:...`. */
export function formatReference(r: ImageReference): string {
  return `${familiarName(r)}${r.tag !== undefined ? `:${r.tag}` : ''}${r.digest !== undefined ? `@${r.digest}` : ''}`;
}

/**
 * The key credentials for `registry` are filed under in the Docker CLI's config.json and asked of
 * credential helpers: Docker Hub's historical index URL, otherwise the host[:port] itself.
 */
export function authConfigKey(registry: string): string {
  return registry === DOCKER_HUB || registry === 'index.docker.io' ? DOCKER_HUB_AUTH_KEY : registry;
}

/**
 * Pins a reference to a digest, keeping its tag (`latest` when it had none) for people reading it:
 * `busybox` + `sha256:ab...` is `busybox:latest@sha256:ab...`. A digest already there is replaced.
 */
export function withDigest(ref: string, digest: string): string {
  if (!DIGEST.test(digest)) {
    throw new UserError(`invalid digest "${digest}" for ${ref}`, { code: 'invalid', hint: 'a digest is algorithm:hex, e.g. sha256:<64 hex digits>' });
  }
  const r = parseReference(ref);
  return formatReference({ registry: r.registry, repository: r.repository, tag: r.tag ?? 'latest', digest });
}
