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
