/**
 * Snapshot files: `snap-<index:16 hex>-<term:16 hex>.snap`, written atomically (temp file, fsync,
 * rename, fsync directory), so a crash leaves either the old set of files or the new one.
 *
 * Layout: "TSRSNAP1" (8 bytes) | u32 metaLength | SnapshotMeta (codec) | u32 dataLength | data |
 * u32 crc32 of all preceding bytes.
 */
import { crc32 } from 'node:zlib';
import { open, readFile, readdir, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { BinaryReader, BinaryWriter, CodecError, readSnapshotMeta, writeSnapshotMeta } from '../codec.js';
import type { Snapshot } from '../types.js';
import { StorageCorruptError } from './errors.js';
import { fsyncDir } from './fsutil.js';

const MAGIC = new TextEncoder().encode('TSRSNAP1');
const NAME_RE = /^snap-([0-9a-f]{16})-([0-9a-f]{16})\.snap$/;

export function snapshotFileName(index: number, term: number): string {
  return `snap-${index.toString(16).padStart(16, '0')}-${term.toString(16).padStart(16, '0')}.snap`;
}

export function encodeSnapshotFile(s: Snapshot): Uint8Array {
  const meta = new BinaryWriter(64);
  writeSnapshotMeta(meta, s.meta);
  const w = new BinaryWriter(MAGIC.length + 16 + meta.length + s.data.length);
  w.raw(MAGIC).bytes(meta.finish()).bytes(s.data);
  const body = w.finish();
  w.u32(crc32(body));
  return w.finish();
}

/** Decode a snapshot file's bytes; throws {@link StorageCorruptError} naming `file` on any damage. */
export function decodeSnapshotFile(file: string, buf: Uint8Array): Snapshot {
  if (buf.length < MAGIC.length + 12) throw new StorageCorruptError(file, 0, 'snapshot file too short');
  for (let i = 0; i < MAGIC.length; i++) {
    if (buf[i] !== MAGIC[i]) throw new StorageCorruptError(file, 0, 'bad snapshot magic');
  }
  const crcAt = buf.length - 4;
  const want = new DataView(buf.buffer, buf.byteOffset + crcAt, 4).getUint32(0);
  if (crc32(buf.subarray(0, crcAt)) !== want) throw new StorageCorruptError(file, crcAt, 'snapshot checksum mismatch');
  try {
    const r = new BinaryReader(buf.subarray(MAGIC.length, crcAt));
    const meta = readSnapshotMeta(new BinaryReader(r.bytes()));
    const data = r.bytes();
    return { meta, data };
  } catch (e) {
    if (e instanceof CodecError) throw new StorageCorruptError(file, MAGIC.length, e.message);
    throw e;
  }
}

/** Write `s` into `dir` atomically and durably. Returns the file name. */
export async function writeSnapshotFile(dir: string, s: Snapshot): Promise<string> {
  const name = snapshotFileName(s.meta.index, s.meta.term);
  const tmp = join(dir, `${name}.tmp`);
  const fh = await open(tmp, 'w');
  try {
    await fh.writeFile(encodeSnapshotFile(s));
    await fh.sync();
  } catch (e) {
    await fh.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
  await fh.close();
  await rename(tmp, join(dir, name));
  await fsyncDir(dir);
  return name;
}

/** Snapshot file names in `dir`, oldest first. Leftover temp files (a crash mid-write) are removed. */
export async function listSnapshotFiles(dir: string): Promise<string[]> {
  const names = await readdir(dir);
  for (const n of names) {
    if (n.startsWith('snap-') && n.endsWith('.snap.tmp')) await unlink(join(dir, n)).catch(() => undefined);
  }
  return names.filter((n) => NAME_RE.test(n)).sort();
}

export async function readSnapshotFile(dir: string, name: string): Promise<Snapshot> {
  const file = join(dir, name);
  return decodeSnapshotFile(file, await readFile(file));
}
