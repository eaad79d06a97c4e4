/**
 * `logs`: the output of a project's containers, each line prefixed with its container's short name,
 * optionally followed until the containers stop or the caller aborts (Ctrl-C).
 */
import type { ContainerRuntime } from '../../runtime/runtime.js';
import type { LogLine } from '../../runtime/types.js';
import { logPrefixes } from './log-prefix.js';
import type { Scope } from './scope.js';
import { displayName, noContainers, selectContainers, type ProjectContainer } from './select-containers.js';

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
}

/** Where formatted lines go: stdout for the containers' stdout, stderr for theirs. */
export interface LogSink {
  stdout(line: string): void;
  stderr(line: string): void;
}

export async function logsCommand(runtime: ContainerRuntime, scope: Scope, opts: LogsOptions, sink: LogSink): Promise<void> {
  let containers = await selectContainers(runtime, scope, { services: opts.services });
  if (opts.index !== undefined) containers = containers.filter((c) => c.number === opts.index);
  if (!containers.length) throw noContainers(scope, opts.services);
  const names = containers.map((c) => displayName(c, scope.name));
  const prefixes = logPrefixes(names, { colour: opts.colour });
  await Promise.all(
    containers.map((c, i) => pump(runtime, c, opts, (l) => {
      const text = (opts.prefix ? prefixes.get(names[i]!)! : '') + l.text;
      if (l.stream === 'stderr') sink.stderr(text);
      else sink.stdout(text);
    })),
  );
}

async function pump(runtime: ContainerRuntime, c: ProjectContainer, opts: LogsOptions, emit: (l: LogLine) => void): Promise<void> {
  try {
    for await (const line of runtime.logs(c.id, {
      follow: opts.follow ?? false,
      ...(opts.tail !== undefined ? { tail: opts.tail } : {}),
      ...(opts.since !== undefined ? { since: Math.floor(opts.since) } : {}),
      ...(opts.until !== undefined ? { until: Math.ceil(opts.until) } : {}),
      timestamps: opts.timestamps ?? false,
      ...(opts.signal ? { signal: opts.signal } : {}),
    })) {
      emit(line);
    }
  } catch (e) {
    // Ctrl-C ends every stream; that is the normal way out of `logs -f`.
    if (opts.signal?.aborted) return;
    throw e;
  }
}
