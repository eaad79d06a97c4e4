/**
 * Progress renderers for engine events: `plain` (one line per event, a layer's only per phase, for pipes and CI), `tty` (a
 * live view like Compose v2: one line per resource with its state and elapsed time), `json` (one
 * object per line), `quiet` (nothing but warnings and errors). `auto` picks tty on a terminal.
 */
import type { ProgressEvent, ProgressSink } from '../../src/engine/progress.js';
import { applyEvent, emptyView, redraw, renderFrame, type ProgressView } from './progress-view.js';

export interface ProgressRenderer {
  sink: ProgressSink;
  /** Final redraw; call once when the command's engine work is done. */
  done(): void;
}

export function progressRenderer(mode: string | undefined, out: NodeJS.WriteStream = process.stderr): ProgressRenderer {
  const m = mode === 'auto' || !mode ? (out.isTTY && !process.env.CI ? 'tty' : 'plain') : mode;
  if (m === 'json') return { sink: (e) => out.write(JSON.stringify({ ...e, time: new Date().toISOString() }) + '\n'), done: () => undefined };
  if (m === 'quiet') return { sink: (e) => { if (e.status === 'warning' || e.status === 'error') plainLine(out, e); }, done: () => undefined };
  if (m === 'tty') return ttyRenderer(out);
  return plainRenderer(out);
}

/**
 * One line per event; a layer (an event with a parent) only when its phase changes, not for
 * every byte count of `Downloading`, so logs of a pull stay readable.
 */
export function plainRenderer(out: NodeJS.WriteStream = process.stderr): ProgressRenderer {
  const phase = new Map<string, string>();
  return {
    sink: (e) => {
      if (e.parent !== undefined) {
        const key = `${e.parent}\0${e.resource}`;
        if (phase.get(key) === e.text) return;
        phase.set(key, e.text);
        out.write(` ${e.resource}  ${e.text}\n`);
        return;
      }
      plainLine(out, e);
    },
    done: () => undefined,
  };
}

/**
 * For `-q` (pull, push, build --push): only warnings, such as an ignored failure. A failure that
 * ends the command is its final error line, so its progress event would say it twice.
 */
export function quietRenderer(out: NodeJS.WriteStream = process.stderr): ProgressRenderer {
  return { sink: (e) => { if (e.status === 'warning') plainLine(out, e); }, done: () => undefined };
}

function plainLine(out: NodeJS.WriteStream, e: ProgressEvent): void {
  if (e.status === 'warning' && e.resource === 'Warning') out.write(`WARN: ${e.text}\n`);
  else out.write(` ${e.resource}  ${e.text}${e.detail ? ` (${e.detail})` : ''}\n`);
}

/**
 * The live view's driver: folds events into the view (progress-view.ts), redraws in place on every
 * event and every 100 ms while something is working (spinner and elapsed times move), and prints
 * the plan's warnings under the final frame. Clock and width are injectable for tests.
 */
export function ttyRenderer(
  out: NodeJS.WriteStream,
  opts: { now?: () => number; width?: () => number; colour?: boolean; tick?: boolean } = {},
): ProgressRenderer {
  const now = opts.now ?? Date.now;
  const width = opts.width ?? (() => out.columns || 80);
  const colour = opts.colour ?? !process.env.NO_COLOR;
  let view: ProgressView = emptyView;
  let drawn = 0;
  let timer: NodeJS.Timeout | undefined;
  const draw = (): void => {
    const lines = renderFrame(view, now(), { width: width(), colour });
    if (!lines.length) return;
    out.write(redraw(drawn, lines));
    drawn = lines.length;
  };
  return {
    sink: (e) => {
      view = applyEvent(view, e, now());
      if (e.resource === 'Warning') return;
      if (opts.tick !== false) {
        timer ??= setInterval(draw, 100);
        timer.unref?.();
      }
      draw();
    },
    done: () => {
      if (timer) clearInterval(timer);
      timer = undefined;
      draw();
      for (const w of view.warnings) out.write(`${colour ? '\x1b[33mWARN\x1b[0m' : 'WARN'} ${w}\n`);
    },
  };
}

/**
 * --dry-run: every line of the command says it was not done, Compose's ` DRY-RUN MODE - ` prefix
 * (lines that already carry it, from a plan report, and warnings are left as they are).
 */
export function dryRunRenderer(inner: ProgressRenderer): ProgressRenderer {
  const prefix = 'DRY-RUN MODE - ';
  return {
    sink: (e) => inner.sink(e.resource === 'Warning' || e.resource.startsWith(prefix) ? e : { ...e, resource: prefix + e.resource }),
    done: () => inner.done(),
  };
}
