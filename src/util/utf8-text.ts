/**
 * Bytes -> text for files that must be UTF-8 text (compose and env files). Node's decoder would
 * turn a bad byte into U+FFFD and carry on, and a NUL byte would reach the parser; both are
 * refused with the file, line and column of the first offending byte.
 */
import { DiagnosticError } from './errors.js';

/** Offset of the first byte that is not part of a well-formed UTF-8 sequence, or -1. */
export function firstInvalidUtf8(buf: Uint8Array): number {
  const n = buf.length;
  let i = 0;
  while (i < n) {
    const b = buf[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let min: number;
    if (b >= 0xc2 && b <= 0xdf) [need, min] = [1, 0x80];
    else if (b >= 0xe0 && b <= 0xef) [need, min] = [2, 0x800];
    else if (b >= 0xf0 && b <= 0xf4) [need, min] = [3, 0x10000];
    else return i;
    if (i + need >= n) return i; // truncated at the end of the file
    let cp = b & (0x3f >> need);
    for (let k = 1; k <= need; k++) {
      const c = buf[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (c & 0x3f);
    }
    // Overlong forms, UTF-16 surrogates and code points past U+10FFFF are not UTF-8.
    if (cp < min || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff) return i;
    i += need + 1;
  }
  return -1;
}

/** 1-based line and column (in characters) of a byte offset in valid UTF-8 up to that offset. */
export function positionOf(buf: Uint8Array, offset: number): { line: number; col: number } {
  let line = 1;
  let col = 1;
  for (let i = 0; i < offset; i++) {
    const b = buf[i]!;
    if (b === 0x0a) {
      line++;
      col = 1;
    } else if ((b & 0xc0) !== 0x80) col++; // continuation bytes belong to the character before
  }
  return { line, col };
}

/** The text of `buf`, or a DiagnosticError at the first invalid UTF-8 byte or NUL. */
export function decodeUtf8Text(buf: Buffer, file: string): string {
  const bad = firstInvalidUtf8(buf);
  const nul = buf.indexOf(0);
  if (bad < 0 && nul < 0) return buf.toString('utf8');
  const at = bad < 0 ? nul : nul < 0 ? bad : Math.min(bad, nul);
  const message = at === nul ? 'NUL byte: the file must be text' : `invalid UTF-8 (byte 0x${buf[at]!.toString(16).padStart(2, '0')}): the file must be UTF-8 text`;
  throw new DiagnosticError([{ file, ...positionOf(buf, at), message }]);
}
