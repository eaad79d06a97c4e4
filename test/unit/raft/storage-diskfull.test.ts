import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DiskStorage, StorageWriteError } from '../../../src/raft/storage/index.js';
import type { Entry } from '../../../src/raft/types.js';

// A 2 MiB tmpfs gives a real ENOSPC quickly. Needs root (mount); skipped otherwise.
const canMount = process.getuid?.() === 0;
let mnt = '';
let mounted = false;

beforeAll(async () => {
  if (!canMount) return;
  mnt = await mkdtemp(join(tmpdir(), 'raft-enospc-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', mnt]);
  mounted = true;
});
afterAll(async () => {
  if (mounted) execFileSync('umount', ['-l', mnt]);
  if (mnt) await rm(mnt, { recursive: true, force: true });
});

describe.skipIf(!canMount)('DiskStorage on a full disk', () => {
  it('returns ENOSPC, stops accepting writes, and keeps every acknowledged entry intact', async () => {
    const dir = join(mnt, 'node');
    const s = await DiskStorage.open(dir, { logger: { warn: () => undefined }, segmentBytes: 512 * 1024 });
    const value = new Uint8Array(16 * 1024).fill(0x5a);
    let acked = 0;
    let failure: unknown = null;
    for (let i = 1; i <= 1000; i++) {
      const e: Entry = { index: i, term: 1, type: 0, data: value };
      try {
        await s.save({ entries: [e], hardState: { term: 1, vote: null, commit: i - 1 } });
        acked = i;
      } catch (err) {
        failure = err;
        break;
      }
    }
    expect(failure).toBeInstanceOf(StorageWriteError);
    expect((failure as StorageWriteError).code).toBe('ENOSPC');
    expect(acked).toBeGreaterThan(10);
    // Further writes are refused with the same error, even small ones that would fit.
    const again = await s.save({ entries: [], hardState: { term: 2, vote: null, commit: 0 } }).catch((e: unknown) => e);
    expect(again).toBeInstanceOf(StorageWriteError);
    expect(s.failure?.code).toBe('ENOSPC');
    await s.close();

    const warnings: string[] = [];
    const r = (await DiskStorage.open(dir, { logger: { warn: (m) => warnings.push(m) } })).recovered;
    expect(r.entries.length).toBe(acked);
    expect(r.entries.every((e, i) => e.index === i + 1 && e.data.length === value.length && e.data[100] === 0x5a)).toBe(true);
    expect(r.hardState.commit).toBe(acked - 1);
  });
});
