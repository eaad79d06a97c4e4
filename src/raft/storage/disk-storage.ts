/**
 * Durable raft storage on a local directory: `<dir>/wal/` (segments) and `<dir>/snap/` (snapshot
 * files). It persists exactly what a core Ready asks for and recovers the core's InitialState.
 *
 * Ordering (why): a snapshot file is made durable before the WAL records that refer to it, so a
 * crash in between leaves a snapshot without a mark, which recovery reconciles (below); never a
 * mark without its snapshot.
 */
import { mkdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Entry, HardState, Snapshot } from '../types.js';
import { StorageCorruptError, StorageWriteError, errnoCode } from './errors.js';
import { fsyncDir } from './fsutil.js';
import { listSnapshotFiles, readSnapshotFile, writeSnapshotFile } from './snapshot-file.js';
import { Wal, type StorageLogger } from './wal.js';

export interface DiskStorageOptions {
  /** Segment size before rolling to a new file. Default 64 MiB. */
  segmentBytes?: number;
  logger?: StorageLogger;
}

/** What recovery found: feed it to the core as its InitialState (plus the membership at index 0). */
export interface RecoveredState {
  hardState: HardState;
  snapshot: Snapshot | null;
  /** Entries strictly after the snapshot (or from index 1), contiguous. */
  entries: Entry[];
  /** True when the directory held no raft state at all (a brand-new member). */
  fresh: boolean;
}

export interface PersistBatch {
  hardState?: HardState;
  entries: readonly Entry[];
  snapshot?: Snapshot;
  /** false: skip the fsync (only when nothing but the commit index changed). Default true. */
  sync?: boolean;
}

export class DiskStorage {
  private failed: StorageWriteError | null = null;
  /** Serialises writers: the WAL and snapshot files must change in the order calls were made. */
  private chain: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly snapDir: string,
    private readonly wal: Wal,
    readonly recovered: RecoveredState,
  ) {}

  static async open(dir: string, opts: DiskStorageOptions = {}): Promise<DiskStorage> {
    const walDir = join(dir, 'wal');
    const snapDir = join(dir, 'snap');
    await mkdir(walDir, { recursive: true });
    await mkdir(snapDir, { recursive: true });
    const snapNames = await listSnapshotFiles(snapDir);
    const newest = snapNames[snapNames.length - 1];
    const snapshot = newest === undefined ? null : await readSnapshotFile(snapDir, newest);
    const { wal, replay } = await Wal.open(walDir, opts);
    const fresh = snapshot === null && replay.hardState === null && replay.entries.length === 0 && replay.mark === null;

    const markIndex = replay.mark?.index ?? 0;
    if (markIndex > 0 && (snapshot === null || snapshot.meta.index < markIndex)) {
      throw new StorageCorruptError(
        join(snapDir, `snap-*-*.snap`),
        0,
        `the WAL refers to a snapshot at index ${markIndex} but the newest snapshot file is ${newest ?? 'missing'}`,
      );
    }
    let entries = replay.entries;
    if (snapshot) {
      // Keep the WAL's entries after the snapshot only if the WAL agrees with the snapshot at its
      // index (same term); otherwise the snapshot replaced the log (a leader sent it and we crashed
      // before the WAL's reset mark was durable).
      const si = snapshot.meta.index;
      let termAtSnap: number | null = null;
      if (replay.mark && replay.mark.index === si) termAtSnap = replay.mark.term;
      else {
        const e = entries.find((x) => x.index === si);
        if (e) termAtSnap = e.term;
      }
      entries = termAtSnap === snapshot.meta.term ? entries.filter((e) => e.index > si) : [];
    }
    const hs = replay.hardState ?? { term: 0, vote: null, commit: 0 };
    const snapIndex = snapshot?.meta.index ?? 0;
    const lastIndex = entries.length > 0 ? (entries[entries.length - 1] as Entry).index : snapIndex;
    // A snapshot's contents are committed by definition; the commit can never exceed the log.
    const hardState: HardState = { ...hs, commit: Math.min(Math.max(hs.commit, snapIndex), lastIndex) };
    return new DiskStorage(snapDir, wal, { hardState, snapshot, entries, fresh });
  }

  /** Persist one Ready's durable part (snapshot, entries, hard state) with one fsync of the WAL. */
  save(b: PersistBatch): Promise<void> {
    return this.serialise(async () => {
      if (b.snapshot) {
        await this.writeSnapshot(b.snapshot);
        await this.wal.append({
          mark: { index: b.snapshot.meta.index, term: b.snapshot.meta.term, reset: true },
          entries: b.entries,
          ...(b.hardState ? { hardState: b.hardState } : {}),
        });
        await this.releaseBefore(b.snapshot);
      } else {
        await this.wal.append({ entries: b.entries, ...(b.hardState ? { hardState: b.hardState } : {}), sync: b.sync !== false || b.entries.length > 0 });
      }
    });
  }

  /** Persist a snapshot the application took of its own state (log compaction); the log after it stays. */
  saveSnapshot(s: Snapshot): Promise<void> {
    return this.serialise(async () => {
      await this.writeSnapshot(s);
      await this.wal.append({ mark: { index: s.meta.index, term: s.meta.term, reset: false }, entries: [] });
      await this.releaseBefore(s);
    });
  }

  /** The write error that stopped this storage, if any. */
  get failure(): StorageWriteError | null {
    return this.failed;
  }

  get walSegments(): number {
    return this.wal.segmentCount;
  }

  async close(): Promise<void> {
    await this.chain.catch(() => undefined);
    await this.wal.close();
  }

  private serialise(fn: () => Promise<void>): Promise<void> {
    const run = async (): Promise<void> => {
      if (this.failed) throw this.failed;
      try {
        await fn();
      } catch (e) {
        if (e instanceof StorageWriteError) this.failed = e;
        throw e;
      }
    };
    const p = this.chain.then(run, run);
    this.chain = p.catch(() => undefined);
    return p;
  }

  private async writeSnapshot(s: Snapshot): Promise<void> {
    try {
      await writeSnapshotFile(this.snapDir, s);
    } catch (e) {
      const code = errnoCode(e);
      throw new StorageWriteError(`raft snapshot write failed (${code}); this member stops accepting writes`, code, e);
    }
  }

  /** Drop snapshot files older than `s` and WAL segments it covers. Failures here lose nothing. */
  private async releaseBefore(s: Snapshot): Promise<void> {
    const names = await listSnapshotFiles(this.snapDir);
    let removed = false;
    for (const n of names.slice(0, -1)) {
      await unlink(join(this.snapDir, n)).catch(() => undefined);
      removed = true;
    }
    if (removed) await fsyncDir(this.snapDir).catch(() => undefined);
    await this.wal.release(s.meta.index).catch(() => undefined);
  }
}
