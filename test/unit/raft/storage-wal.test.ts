import { mkdtemp, readFile, readdir, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DiskStorage, StorageCorruptError } from '../../../src/raft/storage/index.js';
import type { Entry } from '../../../src/raft/types.js';

function ent(index: number, term: number, text = `v${index}`): Entry {
  return { index, term, type: 0, data: new TextEncoder().encode(text) };
}
const range = (a: number, b: number, term: number): Entry[] => Array.from({ length: b - a + 1 }, (_, i) => ent(a + i, term));

let dir: string;
let warnings: string[];
const logger = { warn: (m: string) => warnings.push(m) };

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'raft-storage-'));
  warnings = [];
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Segments are preallocated with zeros: the written data ends at the last non-zero byte. */
function dataEnd(buf: Uint8Array): number {
  let end = buf.length;
  while (end > 0 && buf[end - 1] === 0) end--;
  return end;
}

async function segments(): Promise<string[]> {
  return (await readdir(join(dir, 'wal'))).filter((n) => n.endsWith('.log')).sort();
}

describe('DiskStorage WAL', () => {
  it('starts fresh, then recovers entries and the hard state it persisted', async () => {
    const s = await DiskStorage.open(dir, { logger, segmentBytes: 256 * 1024 });
    expect(s.recovered.fresh).toBe(true);
    await s.save({ entries: range(1, 3, 1), hardState: { term: 1, vote: 'a', commit: 2 } });
    await s.save({ entries: range(4, 5, 1) });
    await s.close();
    const r = (await DiskStorage.open(dir, { logger, segmentBytes: 256 * 1024 })).recovered;
    expect(r.fresh).toBe(false);
    expect(r.entries.map((e) => e.index)).toEqual([1, 2, 3, 4, 5]);
    expect(new TextDecoder().decode(r.entries[4]!.data)).toBe('v5');
    expect(r.hardState).toEqual({ term: 1, vote: 'a', commit: 2 });
    expect(warnings).toEqual([]);
  });

  it('an overwritten suffix is replaced (truncate record), not appended', async () => {
    const s = await DiskStorage.open(dir, { logger, segmentBytes: 256 * 1024 });
    await s.save({ entries: range(1, 5, 1) });
    await s.save({ entries: [ent(4, 2, 'new4')], hardState: { term: 2, vote: null, commit: 3 } });
    await s.close();
    const r = (await DiskStorage.open(dir, { logger, segmentBytes: 256 * 1024 })).recovered;
    expect(r.entries.map((e) => [e.index, e.term])).toEqual([[1, 1], [2, 1], [3, 1], [4, 2]]);
    expect(new TextDecoder().decode(r.entries[3]!.data)).toBe('new4');
  });

  it('rolls segments and releases the ones a snapshot covers', async () => {
    const s = await DiskStorage.open(dir, { logger, segmentBytes: 600 });
    for (let i = 1; i <= 60; i += 5) await s.save({ entries: range(i, i + 4, 1), hardState: { term: 1, vote: null, commit: i + 4 } });
    const before = (await segments()).length;
    expect(before).toBeGreaterThan(3);
    await s.saveSnapshot({ meta: { index: 50, term: 1, conf: { voters: ['a'], learners: [] } }, data: new Uint8Array([7]) });
    const after = (await segments()).length;
    expect(after).toBeLessThan(before);
    await s.close();
    const r = (await DiskStorage.open(dir, { logger, segmentBytes: 256 * 1024 })).recovered;
    expect(r.snapshot?.meta.index).toBe(50);
    expect(r.snapshot?.data).toEqual(new Uint8Array([7]));
    expect(r.entries.map((e) => e.index)).toEqual(range(51, 60, 1).map((e) => e.index));
    expect(r.hardState.commit).toBe(60);
  });

  it('a snapshot from the leader replaces the log, also after a restart', async () => {
    const s = await DiskStorage.open(dir, { logger, segmentBytes: 256 * 1024 });
    await s.save({ entries: range(1, 20, 1) });
    const snap = { meta: { index: 30, term: 3, conf: { voters: ['a', 'b'], learners: [] } }, data: new Uint8Array([1, 2]) };
    await s.save({ snapshot: snap, entries: [], hardState: { term: 3, vote: null, commit: 30 } });
    await s.save({ entries: [ent(31, 3)] });
    await s.close();
    const r = (await DiskStorage.open(dir, { logger, segmentBytes: 256 * 1024 })).recovered;
    expect(r.snapshot?.meta).toEqual(snap.meta);
    expect(r.entries.map((e) => e.index)).toEqual([31]);
    expect(r.hardState).toEqual({ term: 3, vote: null, commit: 30 });
  });
});

describe('DiskStorage recovery from damage', () => {
  async function fill(): Promise<string> {
    const s = await DiskStorage.open(dir, { logger, segmentBytes: 256 * 1024 });
    for (let i = 1; i <= 10; i++) await s.save({ entries: [ent(i, 1, 'x'.repeat(50))], hardState: { term: 1, vote: 'a', commit: i - 1 } });
    await s.close();
    const segs = await segments();
    expect(segs.length).toBe(1);
    return join(dir, 'wal', segs[0]!);
  }

  it('a torn write (partial last record) is truncated with a warning; earlier records survive', async () => {
    const file = await fill();
    const buf = await readFile(file);
    const end = dataEnd(buf);
    buf.fill(0, end - 7, end); // the last 7 bytes never reached the disk
    await writeFile(file, buf);
    const r = (await DiskStorage.open(dir, { logger, segmentBytes: 256 * 1024 })).recovered;
    // The last batch was entry 10 + hard state commit 9: the hard state record was torn.
    expect(r.entries.map((e) => e.index)).toEqual(range(1, 10, 1).map((e) => e.index));
    expect(r.hardState.commit).toBe(8);
    expect(warnings.join('\n')).toMatch(/torn write at the tail of .*wal-.*\.log \(offset \d+/);
    expect(dataEnd(await readFile(file))).toBeLessThan(end - 7);
    // Appends continue cleanly after the cut.
    const s = await DiskStorage.open(dir, { logger, segmentBytes: 256 * 1024 });
    await s.save({ entries: [ent(11, 1)] });
    await s.close();
    expect((await DiskStorage.open(dir, { logger, segmentBytes: 256 * 1024 })).recovered.entries.length).toBe(11);
  });

  it('a file truncated inside a record header is repaired the same way', async () => {
    const file = await fill();
    const buf = await readFile(file);
    // The file is cut 5 bytes into the header of the last record (a 35-byte hard-state record).
    await truncate(file, dataEnd(buf) - 30);
    const r = (await DiskStorage.open(dir, { logger, segmentBytes: 256 * 1024 })).recovered;
    expect(r.entries.length).toBeGreaterThanOrEqual(9);
    expect(warnings.length).toBe(1);
  });

  it('appended garbage after the last record (a torn, never-synced write) is cut off', async () => {
    const file = await fill();
    const buf = await readFile(file);
    Buffer.from([0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]).copy(buf, dataEnd(buf));
    await writeFile(file, buf);
    const r = (await DiskStorage.open(dir, { logger, segmentBytes: 256 * 1024 })).recovered;
    expect(r.entries.length).toBe(10);
    expect(r.hardState.commit).toBe(9);
    expect(warnings.length).toBe(1);
  });

  it('a flipped bit in the last record is treated as a torn tail: that record is dropped with a warning', async () => {
    const file = await fill();
    const buf = await readFile(file);
    buf[dataEnd(buf) - 3]! ^= 0x10; // inside the final hard-state record
    await writeFile(file, buf);
    const r = (await DiskStorage.open(dir, { logger, segmentBytes: 256 * 1024 })).recovered;
    expect(r.entries.length).toBe(10);
    expect(r.hardState.commit).toBe(8);
    expect(warnings.join('\n')).toMatch(/checksum mismatch\); truncating/);
  });

  it('a flipped bit in the middle refuses to start, naming the file and offset', async () => {
    const file = await fill();
    const buf = await readFile(file);
    const at = Math.floor(dataEnd(buf) / 2);
    buf[at]! ^= 0x01;
    await writeFile(file, buf);
    const err = await DiskStorage.open(dir, { logger, segmentBytes: 256 * 1024 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StorageCorruptError);
    const ce = err as StorageCorruptError;
    expect(ce.file).toBe(file);
    expect(ce.offset).toBeGreaterThan(0);
    expect(ce.offset).toBeLessThanOrEqual(at);
    expect(ce.message).toContain(file);
    expect(ce.message).toMatch(/offset \d+/);
    // Nothing was repaired behind the operator's back.
    expect((await readFile(file)).length).toBe(buf.length);
  });

  it('damage in an older (non-tail) segment refuses to start even at that segment\'s end', async () => {
    const s = await DiskStorage.open(dir, { logger, segmentBytes: 400 });
    for (let i = 1; i <= 20; i++) await s.save({ entries: [ent(i, 1, 'y'.repeat(40))] });
    await s.close();
    const segs = await segments();
    expect(segs.length).toBeGreaterThan(1);
    const first = join(dir, 'wal', segs[0]!);
    const fb = await readFile(first);
    fb[dataEnd(fb) - 3]! ^= 0x04;
    await writeFile(first, fb);
    const err = await DiskStorage.open(dir, { logger, segmentBytes: 256 * 1024 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StorageCorruptError);
    expect((err as StorageCorruptError).file).toBe(first);
  });

  it('a damaged snapshot file refuses to start, naming the file', async () => {
    const s = await DiskStorage.open(dir, { logger, segmentBytes: 256 * 1024 });
    await s.save({ entries: range(1, 5, 1) });
    await s.saveSnapshot({ meta: { index: 5, term: 1, conf: { voters: ['a'], learners: [] } }, data: new Uint8Array(100).fill(3) });
    await s.close();
    const snaps = (await readdir(join(dir, 'snap'))).filter((n) => n.endsWith('.snap'));
    expect(snaps).toEqual(['snap-0000000000000005-0000000000000001.snap']);
    const file = join(dir, 'snap', snaps[0]!);
    const buf = await readFile(file);
    buf[60]! ^= 0xff;
    await writeFile(file, buf);
    const err = await DiskStorage.open(dir, { logger, segmentBytes: 256 * 1024 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StorageCorruptError);
    expect((err as StorageCorruptError).file).toBe(file);
  });

  it('a leftover temp snapshot (crash before rename) is ignored and removed', async () => {
    const s = await DiskStorage.open(dir, { logger, segmentBytes: 256 * 1024 });
    await s.save({ entries: range(1, 3, 1) });
    await s.close();
    await writeFile(join(dir, 'snap', 'snap-0000000000000003-0000000000000001.snap.tmp'), 'partial');
    const r = (await DiskStorage.open(dir, { logger, segmentBytes: 256 * 1024 })).recovered;
    expect(r.snapshot).toBeNull();
    expect(r.entries.length).toBe(3);
    expect(await readdir(join(dir, 'snap'))).toEqual([]);
  });
});
