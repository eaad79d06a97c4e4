/**
 * The engine's pull and push streams, one line per layer and phase, as progress events under the
 * image's resource, in Compose v2's words: `Pulling fs layer`, `Downloading` (1.2MB/3.4MB),
 * `Verifying Checksum`, `Download complete`, `Extracting`, `Pull complete`, `Already exists`;
 * `Preparing`, `Waiting`, `Pushing`, `Pushed`, `Layer already exists`, `Mounted from x`. Pure.
 */
import type { ImageProgress } from '../runtime/types.js';
import { humanSize } from './ops/images.js';
import type { ProgressEvent } from './progress.js';

/** Phases after which a layer has nothing left to do. */
const FINAL = /^(Pull complete|Already exists|Pushed|Layer already exists|Mounted from\b)/;

/**
 * The event for one stream line under `parent`, or undefined for lines that are not about a
 * layer (the pull's `Pulling from repo` line carries the tag as id; digests and summaries none).
 */
export function layerEvent(parent: string, p: ImageProgress): ProgressEvent | undefined {
  if (!p.id || !p.status || p.status.startsWith('Pulling from ')) return undefined;
  const current = p.progressDetail?.current;
  const total = p.progressDetail?.total;
  let detail: string | undefined;
  // The engine's push counts can pass the total it announced (compression): then bytes alone.
  if (current !== undefined && current > 0) detail = total !== undefined && total >= current ? `${humanSize(current)}/${humanSize(total)}` : humanSize(current);
  return { resource: p.id, parent, text: p.status, status: FINAL.test(p.status) ? 'done' : 'working', ...(detail ? { detail } : {}) };
}
