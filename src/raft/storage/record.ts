/**
 * The WAL record frame, shared by every record type:
 *
 *   u32 length (of type+payload) | u32 ~length | u32 crc32(type+payload) | u8 type | payload
 *
 * All integers big-endian. The inverted length lets recovery tell a damaged length field from a
 * long record without trusting it; the CRC covers everything after the header. See specs/raft.md
 * "On-disk format".
 */
import { crc32 } from 'node:zlib';
import type { BinaryWriter } from '../codec.js';

export const RECORD_HEADER_BYTES = 12;
/** Larger lengths are treated as damage, never allocated. */
export const MAX_RECORD_BYTES = 512 * 1024 * 1024;

export const enum RecordType {
  /** First record of every segment: magic, format version, segment sequence, first index. */
  Header = 1,
  /** A batch of contiguous entries. */
  Entries = 2,
  /** term, vote, commit: the latest one wins on replay. */
  HardState = 3,
  /** Discard every entry with index >= the given index (a later leader overwrote that suffix). */
  Truncate = 4,
  /** A snapshot file at (index, term) is durable; entries <= index are no longer needed. */
  Snapshot = 5,
}

/** Start a record in `w`; write the payload after it, then call {@link endRecord}. */
export function beginRecord(w: BinaryWriter, type: RecordType): number {
  const start = w.length;
  w.u32(0).u32(0).u32(0).u8(type);
  return start;
}

/** Back-patch the header of the record started at `start` now that its payload is written. */
export function endRecord(w: BinaryWriter, start: number): void {
  const all = w.finish();
  const body = all.subarray(start + RECORD_HEADER_BYTES);
  w.patchU32(start, body.length);
  w.patchU32(start + 4, ~body.length >>> 0);
  w.patchU32(start + 8, crc32(body));
}

export interface ScannedRecord {
  type: number;
  payload: Uint8Array;
  offset: number;
}

export type RecordCheck =
  | { ok: true; type: number; payload: Uint8Array; end: number }
  | { ok: false; reason: string; /** true when the record runs past the end of the buffer */ short: boolean };

/** Validate the record that starts at `offset`. */
export function checkRecord(buf: Uint8Array, offset: number): RecordCheck {
  if (offset + RECORD_HEADER_BYTES > buf.length) return { ok: false, reason: 'partial record header', short: true };
  const view = new DataView(buf.buffer, buf.byteOffset + offset, RECORD_HEADER_BYTES);
  const len = view.getUint32(0);
  const inv = view.getUint32(4);
  if ((~len >>> 0) !== inv) return { ok: false, reason: 'damaged record length', short: false };
  if (len < 1 || len > MAX_RECORD_BYTES) return { ok: false, reason: `implausible record length ${len}`, short: false };
  const end = offset + RECORD_HEADER_BYTES + len;
  if (end > buf.length) return { ok: false, reason: `record of ${len} bytes runs past end of file`, short: true };
  const body = buf.subarray(offset + RECORD_HEADER_BYTES, end);
  if (crc32(body) !== view.getUint32(8)) return { ok: false, reason: 'checksum mismatch', short: false };
  return { ok: true, type: body[0] as number, payload: body.subarray(1), end };
}

/**
 * Whether any valid record starts strictly after `from`. Used to tell a torn tail (nothing valid
 * follows the damage) from corruption in the middle (valid records follow it). Bounded by the
 * buffer length; the length check rejects almost every position before a CRC is computed.
 */
export function validRecordAfter(buf: Uint8Array, from: number): number {
  // Preallocated segments end in zeros, which never hold a record: scan only up to the last non-zero byte.
  let end = buf.length;
  while (end > from && buf[end - 1] === 0) end--;
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  for (let p = from + 1; p + RECORD_HEADER_BYTES <= end; p++) {
    // Cheap pre-check (length and its inverse) before the full check with its CRC.
    if ((~view.getUint32(p) >>> 0) !== view.getUint32(p + 4)) continue;
    const c = checkRecord(buf, p);
    if (c.ok) return p;
  }
  return -1;
}

/** True when every byte from `from` on is zero: the unused, preallocated end of a segment. */
export function zeroTail(buf: Uint8Array, from: number): boolean {
  for (let p = from; p < buf.length; p++) if (buf[p] !== 0) return false;
  return true;
}
