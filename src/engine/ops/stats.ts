/**
 * `stats`: resource usage of the project's containers, one snapshot or a live series of them.
 * The numbers come from stats-row.ts; this file picks the containers and drives the engine calls.
 * One-off containers are included (Compose filters on the project label only), as `top` does.
 */
import type { ContainerRuntime } from '../../runtime/runtime.js';
import { UserError } from '../../util/errors.js';
import type { Scope } from './scope.js';
import { selectContainers, type ProjectContainer } from './select-containers.js';
import { NO_STATS, statsRow, statsValues, type StatsRow, type StatsValues } from './stats-row.js';

export interface StatsOptions {
  services: readonly string[];
  /** Stopped containers too (their row is zeros, as Docker prints them). */
  all?: boolean;
  noTrunc?: boolean;
}

const live = (c: ProjectContainer): boolean => c.status === 'running' || c.status === 'paused' || c.status === 'restarting';

/** The containers to report on; none is an error saying how to get some. */
export async function statsContainers(runtime: ContainerRuntime, scope: Scope, opts: StatsOptions): Promise<ProjectContainer[]> {
  const list = await selectContainers(runtime, scope, { services: opts.services, oneOff: 'include' });
  const chosen = opts.all ? list : list.filter(live);
  if (chosen.length) return chosen;
  const what = opts.services.length ? `services ${opts.services.join(', ')} of project ${scope.name}` : `project ${scope.name}`;
  if (list.length) throw new UserError(`no running containers found for ${what}`, { code: 'conflict', hint: `start them with: tscompose start${opts.services.length ? ' ' + opts.services.join(' ') : ''} (or list stopped ones with stats -a)` });
  throw new UserError(`no containers found for ${what}`, { code: 'not-found', hint: `create them with: tscompose up -d${opts.services.length ? ' ' + opts.services.join(' ') : ''}` });
}

/** One row per container from one engine sample each (the engine fills precpu for it). */
export async function statsSnapshot(runtime: ContainerRuntime, containers: readonly ProjectContainer[], opts: { noTrunc?: boolean } = {}): Promise<StatsRow[]> {
  return Promise.all(
    containers.map(async (c) => {
      if (!live(c)) return statsRow(c, NO_STATS, opts);
      let values: StatsValues = NO_STATS;
      for await (const s of runtime.stats(c.id, { stream: false })) values = statsValues(s);
      return statsRow(c, values, opts);
    }),
  );
}

/**
 * Live rows: one stream per running container, the latest sample of each kept; `onFrame` gets all
 * rows every `intervalMs` (the engine samples about every second) until `signal` aborts. A
 * container whose stream ends (it stopped or was removed) keeps its last row.
 */
export async function statsLive(
  runtime: ContainerRuntime,
  containers: readonly ProjectContainer[],
  opts: { noTrunc?: boolean; signal: AbortSignal; intervalMs?: number; onFrame: (rows: StatsRow[]) => void },
): Promise<void> {
  const latest = new Map<string, StatsValues>(containers.map((c) => [c.id, NO_STATS]));
  const failures: unknown[] = [];
  const running = containers.filter(live);
  let waiting = running.length;
  let firstSamples: () => void = () => undefined;
  const allSampled = new Promise<void>((resolve) => (firstSamples = resolve));
  const settle = (): void => {
    if (--waiting <= 0) firstSamples();
  };
  if (!waiting) firstSamples();
  const streams = running.map(async (c) => {
    let first = true;
    try {
      for await (const s of runtime.stats(c.id, { stream: true, signal: opts.signal })) {
        latest.set(c.id, statsValues(s));
        if (first) settle();
        first = false;
      }
    } catch (e) {
      if (!opts.signal.aborted) failures.push(e);
    } finally {
      if (first) settle();
    }
  });
  const frame = (): void => opts.onFrame(containers.map((c) => statsRow(c, latest.get(c.id) ?? NO_STATS, opts)));
  const interval = opts.intervalMs ?? 1000;
  // The first frame waits for every stream's first sample (a few intervals at most), so it does
  // not show zeros for containers the engine has not answered for yet.
  await Promise.race([allSampled, sleep(3 * interval, opts.signal)]);
  while (!opts.signal.aborted) {
    if (failures.length && failures.length === streams.length) throw failures[0];
    frame();
    await sleep(interval, opts.signal);
  }
  await Promise.all(streams);
}

/** Resolves after `ms`, or at once when `signal` aborts; leaves no listener behind. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = (): void => {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
