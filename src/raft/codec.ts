/**
 * Compact binary encoding of the raft types that cross a process boundary: entries (in the WAL
 * and in append messages), hard states, snapshots metadata and whole {@link Message}s.
 *
 * Why binary: entry data are opaque bytes; JSON would force base64 on the hot path (a third more
 * bytes and a copy per entry). Integers are written as float64 so every JS safe integer round-trips
 * exactly without BigInt. Layout is documented in specs/raft.md ("Transport").
 */
import type { ConfState, Entry, HardState, Message, MessageType, Snapshot, SnapshotMeta } from './types.js';

/** Raised when bytes do not decode as the expected structure (truncated, wrong tag, bad length). */
export class CodecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CodecError';
  }
}

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder('utf-8', { fatal: true });

/** Append-only byte builder that grows geometrically (amortised O(1) per write). */
export class BinaryWriter {
  private buf: Uint8Array;
  private view: DataView;
  private pos = 0;

  constructor(initial = 256) {
    this.buf = new Uint8Array(initial);
    this.view = new DataView(this.buf.buffer);
  }

  get length(): number {
    return this.pos;
  }

  private reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.pos + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  u8(v: number): this {
    this.reserve(1);
    this.view.setUint8(this.pos, v);
    this.pos += 1;
    return this;
  }

  u32(v: number): this {
    this.reserve(4);
    this.view.setUint32(this.pos, v);
    this.pos += 4;
    return this;
  }

  /** A non-negative safe integer (indexes, terms, sizes). */
  num(v: number): this {
    this.reserve(8);
    this.view.setFloat64(this.pos, v);
    this.pos += 8;
    return this;
  }

  bytes(b: Uint8Array): this {
    this.u32(b.length);
    this.reserve(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
    return this;
  }

  raw(b: Uint8Array): this {
    this.reserve(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
    return this;
  }

  str(s: string): this {
    return this.bytes(textEncoder.encode(s));
  }

  /** Overwrite a u32 previously written at `at` (used to back-patch lengths). */
  patchU32(at: number, v: number): void {
    this.view.setUint32(at, v);
  }

  /** The written bytes (a view, not a copy: do not keep writing afterwards). */
  finish(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }
}

/** Cursor over bytes; every read checks bounds and throws {@link CodecError} when short. */
export class BinaryReader {
  private readonly view: DataView;
  pos = 0;

  constructor(private readonly buf: Uint8Array) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  get remaining(): number {
    return this.buf.length - this.pos;
  }

  private need(n: number): void {
    if (this.pos + n > this.buf.length) {
      throw new CodecError(`truncated input: need ${n} bytes at offset ${this.pos}, have ${this.buf.length - this.pos}`);
    }
  }

  u8(): number {
    this.need(1);
    return this.view.getUint8(this.pos++);
  }

  u32(): number {
    this.need(4);
    const v = this.view.getUint32(this.pos);
    this.pos += 4;
    return v;
  }

  num(): number {
    this.need(8);
    const v = this.view.getFloat64(this.pos);
    this.pos += 8;
    if (!Number.isSafeInteger(v) || v < 0) throw new CodecError(`bad integer ${v} at offset ${this.pos - 8}`);
    return v;
  }

  /** Length-prefixed bytes, returned as a copy so the caller may keep them after the frame is reused. */
  bytes(): Uint8Array {
    const n = this.u32();
    this.need(n);
    const out = new Uint8Array(this.buf.subarray(this.pos, this.pos + n)); // a real copy, also for Buffers
    this.pos += n;
    return out;
  }

  str(): string {
    const n = this.u32();
    this.need(n);
    try {
      const s = textDecoder.decode(this.buf.subarray(this.pos, this.pos + n));
      this.pos += n;
      return s;
    } catch {
      throw new CodecError(`invalid UTF-8 string at offset ${this.pos}`);
    }
  }
}

// ---- entries, hard state, snapshot metadata ----

export function writeEntry(w: BinaryWriter, e: Entry): void {
  w.num(e.term).num(e.index).u8(e.type).bytes(e.data);
}

export function readEntry(r: BinaryReader): Entry {
  const term = r.num();
  const index = r.num();
  const type = r.u8();
  if (type !== 0 && type !== 1) throw new CodecError(`unknown entry type ${type}`);
  return { term, index, type, data: r.bytes() };
}

export function writeHardState(w: BinaryWriter, hs: HardState): void {
  w.num(hs.term).num(hs.commit);
  if (hs.vote === null) w.u8(0);
  else w.u8(1).str(hs.vote);
}

export function readHardState(r: BinaryReader): HardState {
  const term = r.num();
  const commit = r.num();
  const vote = r.u8() === 1 ? r.str() : null;
  return { term, vote, commit };
}

function writeIds(w: BinaryWriter, ids: readonly string[]): void {
  w.u32(ids.length);
  for (const id of ids) w.str(id);
}

function readIds(r: BinaryReader): string[] {
  const n = r.u32();
  if (n > r.remaining) throw new CodecError(`id list of ${n} longer than input`);
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(r.str());
  return out;
}

export function writeConfState(w: BinaryWriter, c: ConfState): void {
  writeIds(w, c.voters);
  writeIds(w, c.learners);
}

export function readConfState(r: BinaryReader): ConfState {
  return { voters: readIds(r), learners: readIds(r) };
}

export function writeSnapshotMeta(w: BinaryWriter, m: SnapshotMeta): void {
  w.num(m.index).num(m.term);
  writeConfState(w, m.conf);
}

export function readSnapshotMeta(r: BinaryReader): SnapshotMeta {
  const index = r.num();
  const term = r.num();
  return { index, term, conf: readConfState(r) };
}

// ---- messages ----

const MESSAGE_TYPES: readonly MessageType[] = [
  'prevote',
  'prevote-resp',
  'vote',
  'vote-resp',
  'append',
  'append-resp',
  'heartbeat',
  'heartbeat-resp',
  'snapshot',
  'timeout-now',
  'read-index',
  'read-index-resp',
];
const MESSAGE_TYPE_CODE = new Map<MessageType, number>(MESSAGE_TYPES.map((t, i) => [t, i]));

// Presence bits for the optional fields, so absent fields cost one bit, not a byte each.
const F_LOG_TERM = 1 << 0;
const F_INDEX = 1 << 1;
const F_ENTRIES = 1 << 2;
const F_COMMIT = 1 << 3;
const F_REJECT = 1 << 4;
const F_REJECT_HINT = 1 << 5;
const F_SNAPSHOT = 1 << 6;
const F_CONTEXT = 1 << 7;

/**
 * Encode a message. `withSnapshotData: false` writes the snapshot's metadata with empty data: the
 * transport streams the data separately in chunks.
 */
export function writeMessage(w: BinaryWriter, m: Message, withSnapshotData = true): void {
  const code = MESSAGE_TYPE_CODE.get(m.type);
  if (code === undefined) throw new CodecError(`unknown message type ${String(m.type)}`);
  let flags = 0;
  if (m.logTerm !== undefined) flags |= F_LOG_TERM;
  if (m.index !== undefined) flags |= F_INDEX;
  if (m.entries !== undefined) flags |= F_ENTRIES;
  if (m.commit !== undefined) flags |= F_COMMIT;
  if (m.reject !== undefined) flags |= F_REJECT;
  if (m.rejectHint !== undefined) flags |= F_REJECT_HINT;
  if (m.snapshot !== undefined) flags |= F_SNAPSHOT;
  if (m.context !== undefined) flags |= F_CONTEXT;
  w.u8(code).u8(flags).str(m.from).str(m.to).num(m.term);
  if (m.logTerm !== undefined) w.num(m.logTerm);
  if (m.index !== undefined) w.num(m.index);
  if (m.entries !== undefined) {
    w.u32(m.entries.length);
    for (const e of m.entries) writeEntry(w, e);
  }
  if (m.commit !== undefined) w.num(m.commit);
  if (m.reject !== undefined) w.u8(m.reject ? 1 : 0);
  if (m.rejectHint !== undefined) w.num(m.rejectHint);
  if (m.snapshot !== undefined) {
    writeSnapshotMeta(w, m.snapshot.meta);
    w.bytes(withSnapshotData ? m.snapshot.data : new Uint8Array(0));
  }
  if (m.context !== undefined) w.bytes(m.context);
}

export function readMessage(r: BinaryReader): Message {
  const code = r.u8();
  const type = MESSAGE_TYPES[code];
  if (type === undefined) throw new CodecError(`unknown message type code ${code}`);
  const flags = r.u8();
  const m: Message = { type, from: r.str(), to: r.str(), term: r.num() };
  if (flags & F_LOG_TERM) m.logTerm = r.num();
  if (flags & F_INDEX) m.index = r.num();
  if (flags & F_ENTRIES) {
    const n = r.u32();
    // Each entry is at least 21 bytes: reject absurd counts before allocating.
    if (n * 21 > r.remaining) throw new CodecError(`entry count ${n} exceeds input`);
    const entries: Entry[] = [];
    for (let i = 0; i < n; i++) entries.push(readEntry(r));
    m.entries = entries;
  }
  if (flags & F_COMMIT) m.commit = r.num();
  if (flags & F_REJECT) m.reject = r.u8() === 1;
  if (flags & F_REJECT_HINT) m.rejectHint = r.num();
  if (flags & F_SNAPSHOT) {
    const meta = readSnapshotMeta(r);
    m.snapshot = { meta, data: r.bytes() } satisfies Snapshot;
  }
  if (flags & F_CONTEXT) m.context = r.bytes();
  return m;
}

export function encodeMessage(m: Message): Uint8Array {
  const w = new BinaryWriter(128);
  writeMessage(w, m);
  return w.finish();
}

/** Decode exactly one message; trailing bytes are an error (they mean a framing bug or garbage). */
export function decodeMessage(b: Uint8Array): Message {
  const r = new BinaryReader(b);
  const m = readMessage(r);
  if (r.remaining !== 0) throw new CodecError(`${r.remaining} trailing bytes after message`);
  return m;
}
