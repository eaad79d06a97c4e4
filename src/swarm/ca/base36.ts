/** Fixed-width base36 (0-9a-z) of a big-endian byte string, as swarmkit prints digests and secrets. */
export function toBase36(bytes: Uint8Array, width: number): string {
  let hex = '';
  for (const b of bytes) hex += b.toString(16).padStart(2, '0');
  const n = hex === '' ? 0n : BigInt('0x' + hex);
  return n.toString(36).padStart(width, '0');
}

/** Characters needed to print any `byteLength`-byte value in base36. */
export function base36Width(byteLength: number): number {
  return Math.ceil((byteLength * 8) / Math.log2(36));
}
