/** Durable raft storage: segmented CRC-framed WAL plus atomic snapshot files. See specs/raft.md "On-disk format". */
export { DiskStorage, type DiskStorageOptions, type PersistBatch, type RecoveredState } from './disk-storage.js';
export { StorageCorruptError, StorageWriteError } from './errors.js';
export { DEFAULT_SEGMENT_BYTES, Wal, type StorageLogger } from './wal.js';
export { decodeSnapshotFile, encodeSnapshotFile, snapshotFileName } from './snapshot-file.js';
