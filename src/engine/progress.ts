/**
 * Progress events: what the executor reports per resource. Renderers (plain lines, a live TTY view,
 * JSON, quiet) live in cli/compose/progress.ts; the engine only emits.
 */
export type ProgressStatus = 'working' | 'done' | 'error' | 'warning';

export interface ProgressEvent {
  /** "Container proj-web-1", "Network proj_default", "Volume proj_data", "Image x". */
  resource: string;
  /** Compose v2's words: Creating, Created, Starting, Started, Waiting, Healthy, Stopping, ... */
  text: string;
  status: ProgressStatus;
  detail?: string;
  /** The resource this one is part of: a layer's image ("Image x" or the service pulling it). */
  parent?: string;
}

export type ProgressSink = (e: ProgressEvent) => void;

export const noProgress: ProgressSink = () => undefined;

/**
 * `--quiet-pull`: the sink without pulls' progress (the image lines and their layers); a failed or
 * skipped pull's error or warning still shows.
 */
export function withoutPullProgress(sink: ProgressSink): ProgressSink {
  return (e) => {
    const pullLine = e.parent !== undefined || (e.resource.startsWith('Image ') && /^Pull/.test(e.text));
    if (pullLine && e.status !== 'error' && e.status !== 'warning') return;
    sink(e);
  };
}
