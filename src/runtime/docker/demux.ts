import type { LogLine } from '../types.js';

/**
 * Splits the engine's multiplexed stdout/stderr framing (8-byte header: stream, 0,0,0, u32 size)
 * into lines, keeping the interleaving order. With a TTY the engine sends raw bytes instead;
 * `raw` handles that case.
 */
export class LineDemuxer {
  private buf: Buffer = Buffer.alloc(0);
  private partial: Record<'stdout' | 'stderr', string> = { stdout: '', stderr: '' };
  constructor(private readonly raw: boolean) {}

  push(chunk: Buffer): LogLine[] {
    if (this.raw) return this.lines('stdout', chunk.toString('utf8'));
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const out: LogLine[] = [];
    while (this.buf.length >= 8) {
      const size = this.buf.readUInt32BE(4);
      if (this.buf.length < 8 + size) break;
      const stream = this.buf[0] === 2 ? 'stderr' : 'stdout';
      out.push(...this.lines(stream, this.buf.subarray(8, 8 + size).toString('utf8')));
      this.buf = this.buf.subarray(8 + size);
    }
    return out;
  }

  /** Whatever is left without a final newline. */
  end(): LogLine[] {
    const out: LogLine[] = [];
    for (const stream of ['stdout', 'stderr'] as const) {
      if (this.partial[stream]) out.push({ stream, text: this.partial[stream] });
      this.partial[stream] = '';
    }
    return out;
  }

  private lines(stream: 'stdout' | 'stderr', text: string): LogLine[] {
    const parts = (this.partial[stream] + text).split('\n');
    this.partial[stream] = parts.pop() ?? '';
    return parts.map((t) => ({ stream, text: t.endsWith('\r') ? t.slice(0, -1) : t }));
  }
}

/** Splits a multiplexed buffer into stdout and stderr text (for collected exec output). */
export function demuxAll(buf: Buffer, raw: boolean): { stdout: string; stderr: string } {
  if (raw) return { stdout: buf.toString('utf8'), stderr: '' };
  let stdout = '';
  let stderr = '';
  let off = 0;
  while (off + 8 <= buf.length) {
    const size = buf.readUInt32BE(off + 4);
    const text = buf.subarray(off + 8, off + 8 + size).toString('utf8');
    if (buf[off] === 2) stderr += text;
    else stdout += text;
    off += 8 + size;
  }
  return { stdout, stderr };
}
