import { existsSync } from 'node:fs';
import type { Project, ServiceConfig } from '../compose/types.js';
import type { ContainerRuntime } from '../runtime/runtime.js';
import type { ImageInfo } from '../runtime/types.js';
import { isEngineNotFound, isRuntimeError } from '../runtime/errors.js';
import { UserError } from '../util/errors.js';
import { parseDuration } from '../compose/units.js';
import { checkClassicBuild } from './build-support.js';
import { LABEL } from './labels.js';
import type { ProgressSink } from './progress.js';
import { noProgress } from './progress.js';
import { serviceImage } from './project-names.js';
import { layerEvent } from './layer-progress.js';
import { registryFailure } from './registry-failure.js';
import { loadRegistryAuth, type RegistryAuthLookup } from '../registry/credentials.js';

export interface ImageOptions {
  /** Build every service that has a build section (up --build, build). */
  build?: boolean;
  /** up --pull: always | missing | never | build (default: the service's pull_policy, else missing). */
  pull?: string;
  noCache?: boolean;
  /** `build --pull`: the engine pulls newer versions of the base images (FROM) first. */
  pullBase?: boolean;
  progress?: ProgressSink;
  /** Build log lines (stream output). */
  onBuildOutput?: (service: string, line: string) => void;
  /** Registry credentials per image; by default those of the Docker CLI's config. */
  auth?: RegistryAuthLookup;
}

export async function buildService(runtime: ContainerRuntime, project: Project, svc: ServiceConfig, opts: ImageOptions = {}): Promise<string> {
  const b = svc.build!;
  const tag = serviceImage(project, svc);
  const progress = opts.progress ?? noProgress;
  if (!/^[a-z]+:\/\//.test(b.context) && !existsSync(b.context)) {
    throw new UserError(`service ${svc.name}: build context ${b.context} does not exist`, { code: 'invalid' });
  }
  progress({ resource: `Image ${tag}`, text: 'Building', status: 'working' });
  const args: Record<string, string> = {};
  for (const [k, v] of Object.entries(b.args ?? {})) if (v !== null) args[k] = v;
  const id = await runtime.buildImage(
    {
      context: b.context,
      ...(b.dockerfile ? { dockerfile: b.dockerfile } : {}),
      ...(b.dockerfile_inline ? { dockerfileInline: b.dockerfile_inline } : {}),
      tags: [tag, ...(b.tags ?? [])],
      args,
      ...(b.target ? { target: b.target } : {}),
      labels: { ...(b.labels ?? {}), [LABEL.project]: project.name, [LABEL.service]: svc.name },
      ...(b.cache_from ? { cacheFrom: b.cache_from } : {}),
      ...(b.no_cache || opts.noCache ? { noCache: true } : {}),
      ...(b.pull || opts.pullBase ? { pull: true } : {}),
      ...(b.network ? { network: b.network } : {}),
      ...(b.shm_size ? { shmSize: b.shm_size } : {}),
      ...(b.extra_hosts ? { extraHosts: Object.entries(b.extra_hosts).flatMap(([h, ips]) => ips.map((ip) => `${h}:${ip}`)) } : {}),
    },
    (p) => {
      if (p.stream && opts.onBuildOutput) for (const l of p.stream.split('\n')) if (l.trim()) opts.onBuildOutput(svc.name, l);
    },
  ).catch((e: unknown) => {
    progress({ resource: `Image ${tag}`, text: 'Error', status: 'error' });
    throw isRuntimeError(e) ? new UserError(`service ${svc.name}: ${e.message}`, { code: 'failed', cause: e }) : e;
  });
  progress({ resource: `Image ${tag}`, text: 'Built', status: 'done' });
  return id;
}

/** The values `up --pull` and `run --pull` accept. */
export const PULL_POLICIES = ['always', 'missing', 'never', 'build'];

/**
 * `pull_policy: daily | weekly | every_<duration>` (Go duration, `every_12h`): how old the local
 * image may be (since the engine last tagged it, as Compose reads it) before it is pulled again;
 * undefined for the other policies. A malformed `every_` is the user's error, before any pull.
 */
export function refreshAfterMs(policy: string, service: string): number | undefined {
  if (policy === 'daily') return 24 * 3600_000;
  if (policy === 'weekly') return 7 * 24 * 3600_000;
  if (!policy.startsWith('every_')) return undefined;
  try {
    const ns = parseDuration(policy.slice('every_'.length));
    if (ns > 0) return ns / 1e6;
  } catch {
    // refused below
  }
  throw new UserError(`service ${service}: pull_policy ${JSON.stringify(policy)}: expected every_ followed by a duration`, { code: 'invalid', hint: 'e.g. every_12h, every_30m; or daily, weekly, always, missing, never, build' });
}

/** Where the pull policy came from, for messages: `--pull always` or `pull_policy: always`. */
function policySource(policy: string, fromFlag: boolean): string {
  return fromFlag ? `--pull ${policy}` : `pull_policy: ${policy}`;
}

/** How a pull under a policy went: pulled, or failed for a service that can be built instead. */
type PullResult = 'pulled' | 'build-instead';

/**
 * Pulls `image` with its registry's credentials, layer by layer under `Image <ref>`. A failure is
 * one line through describeRegistryError; for a service with `build:` it is a warning and the
 * caller builds (or uses the local image), as Compose does. `presentId`: the local image's id,
 * when there is one (a pull --pull always asked for).
 */
async function pull(runtime: ContainerRuntime, svc: ServiceConfig, image: string, opts: ImageOptions, presentId: string | undefined, policy: string): Promise<PullResult> {
  const progress = opts.progress ?? noProgress;
  const resource = `Image ${image}`;
  progress({ resource, text: 'Pulling', status: 'working' });
  try {
    const auth = await (opts.auth ?? ((i: string) => loadRegistryAuth(i)))(image);
    await runtime.pullImage(
      image,
      (p) => {
        const e = layerEvent(resource, p);
        if (e) progress(e);
      },
      auth,
    );
    progress({ resource, text: 'Pulled', status: 'done' });
    return 'pulled';
  } catch (e) {
    const f = registryFailure('pull', svc.name, image, e);
    const detail = f.message.replace(`service ${svc.name}: `, '');
    if (svc.build) {
      progress({ resource, text: 'Warning', status: 'warning', detail: `${detail} (${presentId !== undefined ? 'using the local image' : 'building it'})` });
      return 'build-instead';
    }
    progress({ resource, text: 'Error', status: 'error', detail });
    if (presentId !== undefined) {
      throw new UserError(`${f.message} (${policy} pulls even a local image)`, {
        code: 'failed',
        hint: `${f.hint}\nhint: the image is present locally: --pull missing (or pull_policy: missing) runs it without pulling`,
        cause: e,
      });
    }
    throw new UserError(f.message, { code: 'failed', hint: f.hint, cause: e });
  }
}

/** Per service: the image id (for the config-hash comparison) and the paths it declares as VOLUME. */
export interface ServiceImages {
  ids: Record<string, string>;
  volumes: Record<string, string[]>;
}

/**
 * Makes sure every service's image exists, building or pulling as policy says, before any
 * container is touched; returns each service's image id and declared volumes.
 */
export async function ensureImages(runtime: ContainerRuntime, project: Project, services: string[], opts: ImageOptions = {}): Promise<ServiceImages> {
  if (opts.pull !== undefined && !PULL_POLICIES.includes(opts.pull)) {
    throw new UserError(`invalid --pull value "${opts.pull}"`, { code: 'invalid', hint: `use one of: ${PULL_POLICIES.join(', ')}` });
  }
  const ids: Record<string, string> = {};
  const volumes: Record<string, string[]> = {};
  const record = (name: string, i: ImageInfo): void => {
    ids[name] = i.id;
    if (i.volumes?.length) volumes[name] = i.volumes;
  };
  // Services sharing an image share one inspect.
  const inspections = new Map<string, Promise<ImageInfo | undefined>>();
  const inspectOnce = (image: string): Promise<ImageInfo | undefined> => {
    let p = inspections.get(image);
    if (!p) {
      p = runtime.inspectImage(image).then(
        (i): ImageInfo | undefined => i,
        (e: unknown) => {
          if (!isEngineNotFound(e)) throw e;
          return undefined;
        },
      );
      inspections.set(image, p);
    }
    return p;
  };
  // Builds run one at a time (they compete for the same two cores); inspects run in parallel.
  const toBuild: ServiceConfig[] = [];
  await Promise.all(services.map(async (name) => {
    const svc = project.services[name];
    if (!svc) return;
    const image = serviceImage(project, svc);
    const policy = opts.pull ?? svc.pull_policy ?? 'missing';
    if (svc.build && (opts.build || policy === 'build')) {
      toBuild.push(svc);
      return;
    }
    const source = policySource(policy, opts.pull !== undefined);
    const local = await inspectOnce(image);
    const refresh = refreshAfterMs(policy, svc.name);
    const stale = refresh !== undefined && local !== undefined && (local.lastTagTime ?? 0) < Date.now() - refresh;
    // `always` pulls whatever has an image: name, a buildable service too (built if that fails).
    if ((policy === 'always' || stale) && svc.image) {
      if ((await pull(runtime, svc, image, opts, local?.id, source)) === 'pulled') record(name, await runtime.inspectImage(image));
      else if (local !== undefined) record(name, local);
      else toBuild.push(svc);
    } else if (local !== undefined) {
      record(name, local);
    } else if (svc.build) {
      toBuild.push(svc);
    } else if (policy === 'never') {
      throw new UserError(`service ${svc.name}: image ${image} is not present locally and ${source} forbids pulling it`, {
        code: 'not-found',
        hint: 'build or load the image first (`docker images` lists what is present), or allow a pull with --pull missing',
      });
    } else {
      await pull(runtime, svc, image, opts, undefined, source);
      record(name, await runtime.inspectImage(image));
    }
  }));
  toBuild.sort((a, b) => a.name.localeCompare(b.name));
  checkClassicBuild(toBuild);
  for (const svc of toBuild) {
    const id = await buildService(runtime, project, svc, opts);
    record(svc.name, { ...(await runtime.inspectImage(id)), id });
  }
  return { ids, volumes };
}
