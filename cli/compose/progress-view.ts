/**
 * The live TTY progress view as pure functions: events fold into a view (one row per resource, in
 * order of first appearance, with when it started and finished), and a view renders to a frame (the
 * lines to draw) for a given time and terminal width. No clock, no terminal: the driver in
 * progress.ts supplies both, so frames are unit-tested.
 *
 * A frame looks like Compose v2's:
 *
 * ```
 * [+] Running 2/3
 *  ✔ Network app_default  Created                     0.1s
 *  ⠙ Container app-db-1   Waiting                     1.2s
 *  ✘ Container app-web-1  Error (port is allocated)   0.3s
 * ```
 *
 * Events with a `parent` (an image's layers) are rows of their own, indented under the parent's
 * row, in order of first appearance, as `   ⠙ 82df129d2b13 Downloading 1.2MB/3.4MB  0.4s`; the
 * header counts only the top-level rows.
 *
 * Every line fits the terminal width (long names and details are cut with `…`), so the driver can
 * move the cursor up by the number of lines it drew and redraw in place.
 */
import type { ProgressEvent, ProgressStatus } from '../../src/engine/progress.js';

export interface ProgressRow {
  resource: string;
  /** The row this one sits under (a layer's image). */
  parent?: string;
  text: string;
  status: ProgressStatus;
  detail?: string;
  /** ms: first event of the resource. */
  start: number;
  /** ms: when it reached a final state (done, error, warning); absent while working. */
  end?: number;
}

export interface ProgressView {
  rows: readonly ProgressRow[];
  /** Plan-level warnings (resource "Warning"), printed under the view at the end. */
  warnings: readonly string[];
  /** ms: the first event (drives the spinner). */
  origin?: number;
}

export const emptyView: ProgressView = { rows: [], warnings: [] };

/** The view after one event at time `now` (ms). A resource that starts working again keeps its start. */
export function applyEvent(view: ProgressView, e: ProgressEvent, now: number): ProgressView {
  const origin = view.origin ?? now;
  if (e.resource === 'Warning') return { ...view, origin, warnings: [...view.warnings, e.text] };
  // A layer is keyed by its image too: two images pulling the same layer each show it.
  const i = view.rows.findIndex((r) => r.resource === e.resource && r.parent === e.parent);
  const prev = i >= 0 ? view.rows[i] : undefined;
  const row: ProgressRow = {
    resource: e.resource,
    ...(e.parent !== undefined ? { parent: e.parent } : {}),
    text: e.text,
    status: e.status,
    ...(e.detail ? { detail: e.detail } : {}),
    start: prev?.start ?? now,
    ...(e.status !== 'working' ? { end: now } : {}),
  };
  if (i >= 0) return { ...view, origin, rows: view.rows.map((r, j) => (j === i ? row : r)) };
  return { ...view, origin, rows: insertRow(view.rows, row) };
}

/** A new top-level row goes last; a new child after its parent's last child (last when the parent is unknown). */
function insertRow(rows: readonly ProgressRow[], row: ProgressRow): ProgressRow[] {
  if (row.parent === undefined) return [...rows, row];
  let at = -1;
  rows.forEach((r, j) => {
    if ((r.parent === undefined && r.resource === row.parent) || r.parent === row.parent) at = j;
  });
  return at < 0 ? [...rows, row] : [...rows.slice(0, at + 1), row, ...rows.slice(at + 1)];
}

export interface FrameOptions {
  /** Terminal columns; lines never exceed it (a floor of 20 applies). */
  width: number;
  colour: boolean;
}

const SPINNER = '⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏';

/** The spinner frame at `now`: one step per 80 ms since the view's first event. */
export function spinnerAt(view: ProgressView, now: number): string {
  return SPINNER[Math.floor(Math.max(0, now - (view.origin ?? now)) / 80) % SPINNER.length]!;
}

/** Seconds with one decimal, as Compose prints them: `0.4s`, `12.0s`. */
export function elapsed(row: ProgressRow, now: number): string {
  return `${(Math.max(0, (row.end ?? now) - row.start) / 1000).toFixed(1)}s`;
}

/** Cuts `s` to `n` characters, ending in `…` when cut. */
function fit(s: string, n: number): string {
  if (n <= 0) return '';
  return s.length <= n ? s : `${s.slice(0, n - 1)}…`;
}

/** The lines of one frame: a header, then a row per resource. Empty for an empty view. */
export function renderFrame(view: ProgressView, now: number, opts: FrameOptions): string[] {
  if (!view.rows.length) return [];
  const width = Math.max(20, opts.width);
  const paint = (code: string, s: string): string => (opts.colour ? `\x1b[${code}m${s}\x1b[0m` : s);
  const top = view.rows.filter((r) => r.parent === undefined);
  const finished = top.filter((r) => r.status !== 'working').length;
  const lines = [paint('34', fit(`[+] Running ${finished}/${top.length}`, width))];
  const nameWidth = Math.max(0, ...top.map((r) => r.resource.length));
  const textWidth = Math.max(0, ...top.map((r) => r.text.length));
  for (const r of view.rows) {
    const mark = r.status === 'done' ? paint('32', '✔') : r.status === 'error' ? paint('31', '✘') : r.status === 'warning' ? paint('33', '!') : paint('36', spinnerAt(view, now));
    const time = elapsed(r, now);
    // " ✔ " + body + " " + time, right-aligned to the width; a child row is indented two more.
    const indent = r.parent === undefined ? ' ' : '   ';
    const room = width - indent.length - 2 - 1 - time.length;
    const words = r.parent === undefined
      ? `${r.resource.padEnd(nameWidth)}  ${r.detail ? `${r.text} (${r.detail})` : r.text.padEnd(textWidth)}`
      : `${r.resource} ${r.text}${r.detail ? ` ${r.detail}` : ''}`;
    const body = fit(words.trimEnd(), room);
    const text = r.status === 'error' ? paint('31', body) : body;
    lines.push(`${indent}${mark} ${text}${' '.repeat(Math.max(1, room - body.length + 1))}${paint('2', time)}`);
  }
  return lines;
}

/**
 * What the driver writes to replace a frame of `previous` lines with `lines`: cursor up over the
 * old frame, then each line cleared and rewritten (a shorter frame never happens: rows only grow).
 */
export function redraw(previous: number, lines: readonly string[]): string {
  let s = previous ? `\x1b[${previous}A` : '';
  for (const l of lines) s += `\x1b[2K${l}\n`;
  return s;
}
