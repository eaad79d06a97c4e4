/**
 * Progress renderers for engine events: `plain` (one line per event, for pipes and CI), `tty` (a
 * live view like Compose v2: one line per resource with its state and elapsed time), `json` (one
 * object per line), `quiet` (nothing but warnings and errors). `auto` picks tty on a terminal.
 */
import type { ProgressEvent, ProgressSink } from '../../src/engine/progress.js';

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
  return { sink: (e) => plainLine(out, e), done: () => undefined };
}

function plainLine(out: NodeJS.WriteStream, e: ProgressEvent): void {
  if (e.status === 'warning' && e.resource === 'Warning') out.write(`WARN: ${e.text}\n`);
  else out.write(` ${e.resource}  ${e.text}${e.detail ? ` (${e.detail})` : ''}\n`);
}

function ttyRenderer(out: NodeJS.WriteStream): ProgressRenderer {
  interface Row { e: ProgressEvent; start: number; end?: number }
  const rows = new Map<string, Row>();
  const warnings: string[] = [];
  let drawn = 0;
  let timer: NodeJS.Timeout | undefined;
  const t0 = Date.now();
  const draw = (): void => {
    const lines: string[] = [];
    const all = [...rows.values()];
    const working = all.filter((r) => r.e.status === 'working').length;
    lines.push(`[+] Running ${all.length - working}/${all.length}`);
    const width = Math.max(0, ...all.map((r) => r.e.resource.length));
    for (const r of all) {
      const mark = r.e.status === 'done' ? '\x1b[32m✔\x1b[0m' : r.e.status === 'error' ? '\x1b[31m✘\x1b[0m' : r.e.status === 'warning' ? '\x1b[33m!\x1b[0m' : spinner();
      const elapsed = (((r.end ?? Date.now()) - r.start) / 1000).toFixed(1);
      lines.push(` ${mark} ${r.e.resource.padEnd(width)}  ${r.e.text.padEnd(10)} ${'\x1b[2m'}${elapsed}s\x1b[0m`);
    }
    let s = drawn ? `\x1b[${drawn}A` : '';
    for (const l of lines) s += `\x1b[2K${l}\n`;
    out.write(s);
    drawn = lines.length;
  };
  const spinner = (): string => '⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏'[Math.floor((Date.now() - t0) / 80) % 10]!;
  return {
    sink: (e) => {
      if (e.resource === 'Warning') {
        warnings.push(e.text);
        return;
      }
      const prev = rows.get(e.resource);
      const row: Row = { e, start: prev?.start ?? Date.now() };
      if (e.status !== 'working') row.end = Date.now();
      rows.set(e.resource, row);
      timer ??= setInterval(draw, 100);
      draw();
    },
    done: () => {
      if (timer) clearInterval(timer);
      if (rows.size) draw();
      for (const w of warnings) out.write(`\x1b[33mWARN\x1b[0m ${w}\n`);
    },
  };
}
