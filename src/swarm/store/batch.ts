import { StoreError } from './errors.js';
import type { MemoryStore } from './memory-store.js';
import { OverlayWriteTx, type WriteTx } from './write-tx.js';

/** Handed to a `store.batch` callback. */
export interface Batch {
  /**
   * Record one group of changes; they land in a single command, atomically. Groups are packed into
   * commands until the size bounds, then proposed. Await each call before the next. Rejects if a
   * flush of earlier groups fails (that command's changes are not applied).
   */
  update(fn: (tx: WriteTx) => void): Promise<void>;
}

export interface BatchResult {
  /** Commands proposed. */
  commands: number;
  /** Changes they carried. */
  changes: number;
}

/**
 * Folds `b.update` groups into one open transaction and proposes it when it reaches
 * `maxChangesPerCommand` or half of `maxCommandBytes` (so the next group cannot push it over).
 * A group whose callback throws is dropped whole and the error rethrown. After a flush, the next
 * group reads the freshly applied state.
 */
export async function runBatch(store: MemoryStore, fn: (b: Batch) => Promise<void> | void): Promise<BatchResult> {
  let open: OverlayWriteTx | undefined;
  let bytes = 0;
  let busy = false;
  const result: BatchResult = { commands: 0, changes: 0 };

  const flush = async (): Promise<void> => {
    const tx = open;
    open = undefined;
    bytes = 0;
    if (tx === undefined || tx.size === 0) return;
    result.commands += 1;
    result.changes += tx.size;
    await store.commit(tx);
  };

  const batch: Batch = {
    async update(group) {
      if (busy) throw new StoreError('async-callback', 'batch.update() called before the previous call finished; await each call');
      busy = true;
      try {
        const tx = open ?? (open = store.beginTx());
        // A child transaction over the open one, so a throwing group leaves the open one untouched.
        const child = new OverlayWriteTx(tx, tx.ts);
        const r: unknown = group(child);
        if (r !== null && typeof r === 'object' && typeof (r as { then?: unknown }).then === 'function') {
          throw new StoreError('async-callback', 'batch.update() callbacks must be synchronous');
        }
        if (child.size === 0) return;
        child.replayOnto(tx);
        // An estimate (plain, unsorted JSON) is enough to decide when to flush; the exact
        // limit is enforced on the encoded command in commit().
        bytes += Buffer.byteLength(JSON.stringify(child.changes()));
        if (tx.size >= store.maxChangesPerCommand || bytes * 2 >= store.maxCommandBytes) await flush();
      } finally {
        busy = false;
      }
    },
  };

  await fn(batch);
  await flush();
  return result;
}
