/**
 * `logs`: the output of a project's containers, each line prefixed with its container's short name.
 * With `follow`, like Compose, containers that (re)start while we watch are followed too (from
 * their start), and the command ends once none of the selected containers is running or
 * restarting, or when the caller aborts (Ctrl-C).
 */
import type { ContainerRuntime } from '../../runtime/runtime.js';
import type { LogLine } from '../../runtime/types.js';
import { LABEL } from '../labels.js';
import { logPrefixes } from './log-prefix.js';
import type { Scope } from './scope.js';
import { displayName, selectContainers, type ProjectContainer } from './select-containers.js';

export interface LogsOptions {
  services: string[];
  follow?: boolean;
  tail?: number | 'all';
  /** Unix seconds. */
  since?: number;
  until?: number;
  timestamps?: boolean;
  prefix: boolean;
  colour: boolean;
  index?: number;
  signal?: AbortSignal;
  /** Follow: a container's stream has ended (its run is over and every line of it was emitted). */
  onStreamEnd?: (containerId: string) => void;
}

/** Where formatted lines go: stdout for the containers' stdout, stderr for theirs. */
export interface LogSink {
  stdout(line: string): void;
  stderr(line: string): void;
}

export async function logsCommand(runtime: ContainerRuntime, scope: Scope, opts: LogsOptions, sink: LogSink): Promise<void> {
  const selected = (c: ProjectContainer): boolean =>
    !c.oneOff && (!opts.services.length || opts.services.includes(c.service)) && (opts.index === undefined || c.number === opts.index);
  const initial = (await selectContainers(runtime, scope, { services: opts.services })).filter(selected);
  // Prefix width follows the names known now; a container that appears later gets the same width.
  const names = initial.map((c) => displayName(c, scope.name));
  const prefixes = logPrefixes(names, { colour: opts.colour });
  const prefixOf = (name: string): string => {
    if (!prefixes.has(name)) {
      // Known names keep their prefix (and colour); the newcomer takes the next colour.
      names.push(name);
      prefixes.set(name, logPrefixes(names, { colour: opts.colour }).get(name)!);
    }
    return prefixes.get(name)!;
  };
  const emitFor = (c: ProjectContainer) => {
    const name = displayName(c, scope.name);
    return (l: LogLine): void => {
      const text = (opts.prefix ? prefixOf(name) : '') + l.text;
      if (l.stream === 'stderr') sink.stderr(text);
      else sink.stdout(text);
    };
  };
  if (!opts.follow) {
    await Promise.all(initial.map((c) => pump(runtime, c, opts, emitFor(c))));
    return;
  }
  await follow(runtime, scope, opts, initial, selected, emitFor);
}

async function follow(
  runtime: ContainerRuntime,
  scope: Scope,
  opts: LogsOptions,
  initial: ProjectContainer[],
  selected: (c: ProjectContainer) => boolean,
  emitFor: (c: ProjectContainer) => (l: LogLine) => void,
): Promise<void> {
  const watching = new AbortController();
  opts.signal?.addEventListener('abort', () => watching.abort(), { once: true });
  const active = new Set<string>();
  const pumps: Array<Promise<void>> = [];
  let finished!: () => void;
  const done = new Promise<void>((r) => (finished = r));
  // A restart can be announced before the stream of the previous run has ended; it waits here.
  const pending = new Map<string, { c: ProjectContainer; after: string | undefined }>();
  // The timestamp of the last line shown per container: a restarted container's stream resumes
  // strictly after it, so no line is shown twice.
  const lastSeen = new Map<string, string>();
  const start = (c: ProjectContainer, after?: string): void => {
    if (active.has(c.id)) {
      pending.set(c.id, { c, after });
      return;
    }
    active.add(c.id);
    const bound = lastSeen.get(c.id) ?? after;
    const emit = emitFor(c);
    const p = pump(runtime, c, opts, emit, bound, (ts) => lastSeen.set(c.id, ts)).finally(async () => {
      active.delete(c.id);
      opts.onStreamEnd?.(c.id);
      const next = pending.get(c.id);
      if (next && !watching.signal.aborted) {
        pending.delete(c.id);
        start(next.c, next.after);
      } else if (!active.size) await settleIfIdle();
    });
    pumps.push(p);
  };
  // Ends the command when nothing selected is running or about to run again (restart policy).
  const settleIfIdle = async (): Promise<void> => {
    const now = (await selectContainers(runtime, scope, { services: opts.services }).catch(() => [])).filter(selected);
    if (!active.size && !now.some((c) => c.status === 'running' || c.status === 'restarting')) {
      watching.abort();
      finished();
    }
  };
  // Subscribe before the first pumps so that no start is missed in between.
  const events = (async () => {
    try {
      for await (const e of runtime.events({ labels: { [LABEL.project]: scope.name }, types: ['container'], signal: watching.signal })) {
        if (e.action !== 'start') continue;
        const list = await selectContainers(runtime, scope, { services: opts.services }).catch(() => []);
        const c = list.find((x) => x.id === e.id);
        if (!c || !selected(c)) continue;
        // The new run's lines come after the previous run finished (StartedAt is recorded only
        // after the process may already have written, so it cannot be the bound).
        const info = await runtime.inspectContainer(c.id).catch(() => undefined);
        const finished = info?.finishedAt && !info.finishedAt.startsWith('0001-') ? info.finishedAt : undefined;
        start(c, finished);
      }
    } catch (e) {
      if (!watching.signal.aborted) throw e;
    }
  })();
  for (const c of initial) start(c);
  // A log stream can end a moment before the engine records the container as stopped, and a
  // restart policy decides a moment after: re-check while nothing is streaming.
  const idleCheck = setInterval(() => {
    if (!active.size) void settleIfIdle();
  }, 300);
  opts.signal?.addEventListener('abort', () => finished(), { once: true });
  try {
    await Promise.race([done, events.then(() => done)]);
  } finally {
    clearInterval(idleCheck);
    watching.abort();
  }
  await Promise.allSettled(pumps);
}

/**
 * The engine's fixed-width log timestamp (UTC, 9 fraction digits) for an RFC 3339 time such as
 * inspect's StartedAt, whose fraction has its trailing zeros trimmed.
 */
export function fixedTimestamp(rfc3339: string): string {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?Z$/.exec(rfc3339);
  if (m) return `${m[1]}.${(m[2] ?? '').padEnd(9, '0').slice(0, 9)}Z`;
  const d = new Date(rfc3339);
  return `${d.toISOString().slice(0, 19)}.${String(d.getUTCMilliseconds()).padStart(3, '0')}000000Z`;
}

/**
 * Streams one container's log. Without `follow` it is one read. Following, lines are read with
 * timestamps so that each is emitted once: the live stream first, then a catch-up read of what the
 * engine wrote after the last line seen (its follow stream can end a moment early around a
 * restart). `after` (exclusive) skips what an earlier run already showed; the engine's `since` has
 * one-second granularity, so the rest of that second is dropped by comparing timestamps.
 */
async function pump(
  runtime: ContainerRuntime,
  c: ProjectContainer,
  opts: LogsOptions,
  emit: (l: LogLine) => void,
  after?: string,
  seen?: (ts: string) => void,
): Promise<void> {
  const base = {
    ...(opts.until !== undefined ? { until: Math.ceil(opts.until) } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
  };
  try {
    if (!opts.follow) {
      for await (const line of runtime.logs(c.id, {
        ...base,
        ...(opts.tail !== undefined ? { tail: opts.tail } : {}),
        ...(opts.since !== undefined ? { since: Math.floor(opts.since) } : {}),
        timestamps: opts.timestamps ?? false,
      })) {
        emit(line);
      }
      return;
    }
    let last = after !== undefined ? fixedTimestamp(after) : '';
    const accept = (line: LogLine): void => {
      const ts = line.text.slice(0, line.text.indexOf(' '));
      if (last && ts <= last) return;
      last = ts;
      seen?.(ts);
      emit(opts.timestamps ? line : { ...line, text: line.text.slice(ts.length + 1) });
    };
    const secondOf = (ts: string): number => Math.floor(Date.parse(ts) / 1000);
    const first = {
      ...base,
      follow: true,
      timestamps: true,
      ...(last
        ? { since: secondOf(last) }
        : { ...(opts.tail !== undefined ? { tail: opts.tail } : {}), ...(opts.since !== undefined ? { since: Math.floor(opts.since) } : {}) }),
    };
    for await (const line of runtime.logs(c.id, first)) accept(line);
    if (opts.signal?.aborted) return;
    const resume = last ? { since: secondOf(last) } : first.since !== undefined ? { since: first.since } : opts.tail !== undefined ? { tail: opts.tail } : {};
    const catchUp = { ...base, timestamps: true, ...resume };
    for await (const line of runtime.logs(c.id, catchUp)) accept(line);
  } catch (e) {
    // Ctrl-C ends every stream; that is the normal way out of `logs -f`.
    if (opts.signal?.aborted) return;
    throw e;
  }
}
