/**
 * Typed storage failures. Corruption names the file and byte offset so an operator can inspect
 * it; a write failure (ENOSPC, EIO) puts the storage in a failed state: nothing more is written,
 * and what was durable before stays intact.
 */

/** The on-disk state cannot be trusted: the node refuses to start. */
export class StorageCorruptError extends Error {
  readonly file: string;
  readonly offset: number;
  constructor(file: string, offset: number, reason: string) {
    super(`raft storage corrupt: ${file} at offset ${offset}: ${reason}; refusing to start (restore this member from a peer or a backup)`);
    this.name = 'StorageCorruptError';
    this.file = file;
    this.offset = offset;
  }
}

/**
 * A write or fsync failed. `code` is the errno code (e.g. `ENOSPC`). The storage stops accepting
 * writes from then on: raft cannot continue safely on a log whose durable tail is unknown.
 */
export class StorageWriteError extends Error {
  readonly code: string;
  constructor(message: string, code: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'StorageWriteError';
    this.code = code;
  }
}

export function errnoCode(e: unknown): string {
  if (typeof e === 'object' && e !== null && 'code' in e && typeof e.code === 'string') {
    return (e as { code: string }).code;
  }
  return 'EIO';
}
