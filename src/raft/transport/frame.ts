/**
 * Transport framing: every frame is
 *
 *   u32 length (of the bytes after this field) | u8 version | u8 kind | body
 *
 * A connection starts with a Hello frame naming the sender; then Message frames, and snapshots as
 * SnapshotBegin (the message with empty snapshot data) + SnapshotChunk* + SnapshotEnd, so a large
 * snapshot never needs one huge frame. See specs/raft.md "Transport".
 */
import { BinaryWriter } from '../codec.js';

export const FRAME_VERSION = 1;
/** Frames above this are garbage or an attack: the connection is dropped. */
export const MAX_FRAME_BYTES = 64 * 1024 * 1024;

export const enum FrameKind {
  Hello = 1,
  Message = 2,
  SnapshotBegin = 3,
  SnapshotChunk = 4,
  SnapshotEnd = 5,
}

export class FrameError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FrameError';
  }
}

export interface Frame {
  kind: FrameKind;
  body: Uint8Array;
}

/** Start a frame in `w`; write the body, then {@link endFrame}. Lets callers encode straight into the frame. */
export function beginFrame(w: BinaryWriter, kind: FrameKind): number {
  const at = w.length;
  w.u32(0).u8(FRAME_VERSION).u8(kind);
  return at;
}

export function endFrame(w: BinaryWriter, at: number): void {
  w.patchU32(at, w.length - at - 4);
}

export function encodeFrame(kind: FrameKind, body: Uint8Array): Uint8Array {
  const w = new BinaryWriter(body.length + 6);
  const at = beginFrame(w, kind);
  w.raw(body);
  endFrame(w, at);
  return w.finish();
}

/** Incremental decoder over a byte stream; throws {@link FrameError} on anything malformed. */
export class FrameDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;

  push(chunk: Buffer): Frame[] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const out: Frame[] = [];
    for (;;) {
      if (this.buffered < 4) break;
      const head = this.peek(6);
      const len = head.readUInt32BE(0);
      if (len < 2 || len > MAX_FRAME_BYTES) throw new FrameError(`bad frame length ${len}`);
      if (head.length >= 5 && head[4] !== FRAME_VERSION) throw new FrameError(`unsupported frame version ${head[4]}`);
      if (head.length >= 6) {
        const kind = head[5] as number;
        if (kind < FrameKind.Hello || kind > FrameKind.SnapshotEnd) throw new FrameError(`unknown frame kind ${kind}`);
      }
      if (this.buffered < 4 + len) break;
      const all = this.take(4 + len);
      out.push({ kind: all[5] as FrameKind, body: all.subarray(6) });
    }
    return out;
  }

  private peek(n: number): Buffer {
    const first = this.chunks[0] as Buffer;
    if (first.length >= n || this.chunks.length === 1) return first.subarray(0, n);
    // Copy only the first n bytes: a large frame arriving in many chunks must not be re-joined per chunk.
    const out = Buffer.alloc(Math.min(n, this.buffered));
    let at = 0;
    for (const c of this.chunks) {
      if (at >= out.length) break;
      at += c.copy(out, at, 0, Math.min(c.length, out.length - at));
    }
    return out;
  }

  private take(n: number): Buffer {
    let all = this.chunks.length === 1 ? (this.chunks[0] as Buffer) : Buffer.concat(this.chunks);
    const out = all.subarray(0, n);
    all = all.subarray(n);
    this.chunks = all.length > 0 ? [all] : [];
    this.buffered = all.length;
    return out;
  }
}
