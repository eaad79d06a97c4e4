/**
 * `tscompose watch` and `up --watch` once the services are up: the driver around the pure cores
 * (rules.ts, plan.ts, debounce.ts). File events from chokidar go through the debouncer; each
 * batch is planned, then applied with the engine: rebuild (build + recreate, as `up --build
 * --force-recreate --no-deps SERVICE`), sync into every running container of the service (sync.ts),
 * restart (as `restart SERVICE`, `restart: true` dependents included, as Compose), exec of
 * sync+exec commands in every running container. Batches run one at a time; paths changed
 * meanwhile make the next batch. A batch that fails is reported and watching goes on, as in
 * Compose. Ends when the signal aborts.
 */
import { readFile, realpath } from 'node:fs/promises';
import * as path from 'node:path';
import { watch as chokidarWatch } from 'chokidar';
import type { Project, ServiceConfig } from '../../compose/types.js';
import type { ContainerRuntime } from '../../runtime/runtime.js';
import { withDependencies } from '../dependencies.js';
import { hookExec } from '../hooks.js';
import { LABEL } from '../labels.js';
import { lifecycleCommand } from '../ops/lifecycle.js';
import { selectContainers } from '../ops/select-containers.js';
import type { ProgressSink } from '../progress.js';
import { up } from '../up.js';
import { Debouncer, type Timers } from './debounce.js';
import { isEmptyPlan, planBatch, WATCH_MESSAGES, type WatchPlan } from './plan.js';
import { noWatchError, parseDockerignore, relativeInside, watchRules, type WatchRule } from './rules.js';
import { collectSync, syncContainers } from './sync.js';
import type { PathMapping } from './rules.js';

export interface WatchOutput {
  /** A watch message (Compose's "Syncing service ..."), for stdout. */
  log(line: string): void;
  /** A failure or warning, for stderr. */
  err(line: string): void;
  /** Engine progress of a rebuild or restart: a sink, closed by `done` when the step is over. */
  progress(): { sink: ProgressSink; done(): void };
  /** Build output lines (absent: --quiet). */
  buildOutput?: (service: string, line: string) => void;
}

export interface PreparedWatch {
  /** The project as watched: develop paths with symbolic links resolved, watched builds forced. */
  project: Project;
  services: string[];
  rules: WatchRule[];
  /** One line per rule left out (Compose's warning for a sync path under a bind mount). */
  warnings: string[];
}

/**
 * Checks the selected services' develop.watch (and their dependencies', as Compose selects them)
 * before anything is started. Reads each build context's .dockerignore (`<Dockerfile>.dockerignore`
 * first, as Compose does) and resolves symbolic links in the watched paths.
 */
export async function prepareWatch(project: Project, named: readonly string[]): Promise<PreparedWatch> {
  const services = named.length ? withDependencies(project, [...named]) : Object.keys(project.services);
  const copy: Project = { ...project, services: { ...project.services } };
  const ignores = new Map<string, string[] | undefined>();
  for (const name of services) {
    const svc = project.services[name];
    if (!svc?.develop?.watch?.length) continue;
    const watch = await Promise.all(svc.develop.watch.map(async (t) => ({ ...t, path: await realpath(t.path).catch(() => t.path) })));
    // Compose builds, rather than pulls, the images of the services it watches.
    copy.services[name] = { ...svc, develop: { ...svc.develop, watch }, ...(svc.build ? { pull_policy: 'build' } : {}) };
    if (svc.build) ignores.set(name, await readDockerignore(svc));
  }
  const all = watchRules(copy, services, (svc) => ignores.get(svc.name));
  if (!all.length) throw noWatchError(named);
  const warnings: string[] = [];
  const rules = all.filter((r) => {
    // As Compose (isSync): sync and sync+restart rules under a bind mount would copy onto themselves.
    const bind = r.action === 'sync' || r.action === 'sync+restart' ? boundSource(copy.services[r.service]!, r.path) : undefined;
    if (bind) warnings.push(`path '${r.path}' also declared by a bind mount volume, this path won't be monitored!`);
    return !bind;
  });
  return { project: copy, services, rules, warnings };
}

async function readDockerignore(svc: ServiceConfig): Promise<string[] | undefined> {
  const ctx = svc.build!.context;
  if (/^[a-z]+:\/\//.test(ctx)) return undefined;
  const dockerfile = svc.build!.dockerfile ?? 'Dockerfile';
  for (const f of [path.resolve(ctx, `${dockerfile}.dockerignore`), path.join(ctx, '.dockerignore')]) {
    const text = await readFile(f, 'utf8').catch(() => undefined);
    if (text !== undefined) return parseDockerignore(text);
  }
  return undefined;
}

/** The bind mount source a watched path lies in, if any. */
function boundSource(svc: ServiceConfig, watched: string): string | undefined {
  return svc.volumes.find((v) => v.type === 'bind' && v.source && relativeInside(v.source, watched) !== undefined)?.source;
}

export interface WatchRunOptions {
  signal: AbortSignal;
  out: WatchOutput;
  /** --prune: remove the project's dangling images after a rebuild (Compose's default). */
  prune: boolean;
  timers?: Timers;
  /** Called once the watcher is ready, before "Watch enabled" (tests, benchmarks). */
  onReady?: () => void;
}

/** Runs until `signal` aborts; resolves once the watcher is closed and the batch in flight is done. */
export async function runWatch(runtime: ContainerRuntime, w: PreparedWatch, opts: WatchRunOptions): Promise<void> {
  const { out } = opts;
  for (const line of w.warnings) out.err(line);
  await initialSync(runtime, w, out);
  const roots = [...new Set(w.rules.map((r) => r.path))];
  const skip = (p: string): boolean => w.rules.every((r) => r.skipsDir(p));
  const watcher = chokidarWatch(roots, {
    ignoreInitial: true,
    followSymlinks: false,
    // Directories no rule can care about (.git, ignored ones) are not watched at all.
    ignored: (p, stats) => stats?.isDirectory() === true && skip(p),
  });
  let pending: string[] = [];
  let running: Promise<void> | undefined;
  const drain = async (): Promise<void> => {
    while (pending.length && !opts.signal.aborted) {
      const batch = pending;
      pending = [];
      try {
        await applyPlan(runtime, w, planBatch(w.rules, batch), opts);
      } catch (e) {
        out.err(`Error handling changed files: ${(e as Error).message}`);
      }
    }
    running = undefined;
  };
  const debouncer = new Debouncer(
    (batch) => {
      pending.push(...batch);
      running ??= drain();
    },
    opts.timers ? { timers: opts.timers } : {},
  );
  const onPath = (p: string): void => debouncer.add(p);
  for (const ev of ['add', 'change', 'unlink', 'addDir', 'unlinkDir'] as const) watcher.on(ev, onPath);
  watcher.on('error', (e) => out.err(`watch error: ${(e as Error).message}`));
  await new Promise<void>((resolve) => watcher.once('ready', () => resolve()));
  opts.onReady?.();
  out.log(WATCH_MESSAGES.enabled);
  await new Promise<void>((resolve) => {
    if (opts.signal.aborted) resolve();
    opts.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  debouncer.close();
  await watcher.close();
  await running;
  out.log(WATCH_MESSAGES.disabled);
}

/** Running, non-one-off containers of a service. */
async function runningContainers(runtime: ContainerRuntime, project: Project, service: string): Promise<Array<{ id: string; name: string }>> {
  const cs = await selectContainers(runtime, { name: project.name, project }, { services: [service], all: false });
  return cs.filter((c) => c.status === 'running').map((c) => ({ id: c.id, name: c.name }));
}

/** The rules of a service decide what goes along when a directory is synced. */
function keeper(rules: readonly WatchRule[], service: string): (hostPath: string, containerPath: string) => boolean {
  const own = rules.filter((r) => r.service === service && r.action.startsWith('sync'));
  return (h, c) => own.some((r) => r.map(h)?.containerPath === c);
}

async function syncService(runtime: ContainerRuntime, w: PreparedWatch, service: string, mappings: PathMapping[], out: WatchOutput): Promise<void> {
  const split = await collectSync(mappings, keeper(w.rules, service));
  const containers = await runningContainers(runtime, w.project, service);
  for (const e of await syncContainers(runtime, containers, split)) out.err(`Error syncing service "${service}": ${e}`);
}

/** initial_sync: the whole path of sync and sync+restart rules copied in once, before watching (as Compose). */
async function initialSync(runtime: ContainerRuntime, w: PreparedWatch, out: WatchOutput): Promise<void> {
  for (const r of w.rules) {
    if (!r.initialSync || (r.action !== 'sync' && r.action !== 'sync+restart')) continue;
    const m = r.map(r.path);
    if (m?.containerPath !== undefined) await syncService(runtime, w, r.service, [m], out);
  }
}

async function applyPlan(runtime: ContainerRuntime, w: PreparedWatch, plan: WatchPlan, opts: WatchRunOptions): Promise<void> {
  if (isEmptyPlan(plan)) return;
  const { out } = opts;
  if (plan.rebuild.length && !(await rebuild(runtime, w, plan.rebuild, opts))) return;
  for (const { service, mappings } of plan.sync) {
    out.log(WATCH_MESSAGES.syncing(service, mappings.length));
    await syncService(runtime, w, service, mappings, out);
  }
  if (plan.restart.length) {
    const p = out.progress();
    try {
      await lifecycleCommand(runtime, { name: w.project.name, project: w.project }, 'restart', { services: plan.restart }, p.sink);
    } finally {
      p.done();
    }
    out.log(WATCH_MESSAGES.restarted(plan.restart));
  }
  for (const x of plan.exec) {
    const spec = hookExec(x.hook);
    for (const c of await runningContainers(runtime, w.project, x.service)) {
      const r = await runtime.exec(c.id, spec);
      for (const l of r.stdout.split('\n').filter(Boolean)) out.log(l);
      for (const l of r.stderr.split('\n').filter(Boolean)) out.err(l);
      if (r.exitCode !== 0) out.err(`services.${x.service}.develop.watch[${x.index}].exec: ${x.hook.command.join(' ')} exited with code ${r.exitCode} in ${c.name}`);
    }
  }
}

/** Build and recreate; false when the build or the recreate failed (reported; the batch ends there). */
async function rebuild(runtime: ContainerRuntime, w: PreparedWatch, services: string[], opts: WatchRunOptions): Promise<boolean> {
  const { out } = opts;
  out.log(WATCH_MESSAGES.rebuilding(services));
  const p = out.progress();
  let images: Record<string, string>;
  try {
    const r = await up(runtime, w.project, {
      services,
      noDeps: true,
      build: true,
      forceRecreate: true,
      progress: p.sink,
      signal: opts.signal,
      ...(out.buildOutput ? { onBuildOutput: out.buildOutput } : {}),
    });
    images = r.images;
  } catch (e) {
    out.err(`Build failed. Error: ${(e as Error).message}`);
    return false;
  } finally {
    p.done();
  }
  out.log(WATCH_MESSAGES.built(services));
  if (opts.prune) await pruneDangling(runtime, w.project.name, new Set(Object.values(images)));
  return true;
}

/** --prune: the project's images left without a tag by a rebuild (those still in use stay). */
async function pruneDangling(runtime: ContainerRuntime, project: string, keep: Set<string>): Promise<void> {
  const images = await runtime.listImages({ labels: { [LABEL.project]: project } }).catch(() => []);
  for (const i of images) {
    const dangling = i.tags.length === 0 || i.tags.every((t) => t === '<none>:<none>');
    // An image still used by a container is refused by the engine (no force): it stays.
    if (dangling && !keep.has(i.id)) await runtime.removeImage(i.id).catch(() => undefined);
  }
}
