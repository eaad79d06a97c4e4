import type { ContainerRuntime } from '../runtime/runtime.js';
import type { LogLine } from '../runtime/types.js';

export interface LogSource {
  /** Prefix name shown to the user (service-n). */
  name: string;
  id: string;
}

export interface FollowOptions {
  follow?: boolean;
  tail?: number | 'all';
  since?: number;
  until?: number;
  timestamps?: boolean;
  signal?: AbortSignal;
}

/**
 * Streams the logs of several containers at once; `onLine` gets each line as it arrives. Resolves
 * when every stream has ended (the containers stopped, or the signal fired).
 */
export async function streamLogs(runtime: ContainerRuntime, sources: LogSource[], opts: FollowOptions, onLine: (src: LogSource, line: LogLine) => void): Promise<void> {
  await Promise.all(sources.map(async (src) => {
    try {
      for await (const line of runtime.logs(src.id, opts)) onLine(src, line);
    } catch (e) {
      if (!opts.signal?.aborted) throw e;
    }
  }));
}
