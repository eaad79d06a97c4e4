import { UserError, type ErrorCode } from '../../util/errors.js';

/**
 * Why the store refused something. Reasons are stable strings so control loops can branch on them
 * (retry on `version`, give up on `name`) without parsing messages.
 */
export type StoreErrorReason =
  /** An update or delete was based on an older version of the object than the store holds. */
  | 'version'
  /** A create named an id that already exists. */
  | 'exists'
  /** An update or delete named an object that no longer exists. */
  | 'missing'
  /** A name that must be unique within its kind is taken by another object. */
  | 'name'
  /** A read or write inside a transaction named an object that does not exist. */
  | 'not-found'
  /** An object does not match its schema. */
  | 'invalid-object'
  /** Command bytes that are not a command at all (not JSON, wrong shape, duplicate targets). */
  | 'malformed'
  /** A command or snapshot in a format version this build does not know. */
  | 'unsupported-version'
  /** A command whose raft index is not after the last applied one. */
  | 'stale-index'
  /** Snapshot bytes that cannot be restored. */
  | 'bad-snapshot'
  /** A transaction too large for one command; split it with `batch`. */
  | 'too-large'
  /** A transaction or view callback returned a promise (callbacks must be synchronous). */
  | 'async-callback'
  /** A watcher fell too far behind and was closed. */
  | 'watch-overflow'
  /** The proposer returned something that is not an apply result (a wiring bug). */
  | 'internal';

const CODE: Record<StoreErrorReason, ErrorCode> = {
  version: 'conflict',
  exists: 'conflict',
  missing: 'conflict',
  name: 'conflict',
  'not-found': 'not-found',
  'invalid-object': 'invalid',
  malformed: 'invalid',
  'unsupported-version': 'unsupported',
  'stale-index': 'invalid',
  'bad-snapshot': 'invalid',
  'too-large': 'invalid',
  'async-callback': 'failed',
  'watch-overflow': 'unavailable',
  internal: 'failed',
};

/** Base of every error the store raises or returns as an apply result. */
export class StoreError extends UserError {
  readonly reason: StoreErrorReason;
  /** `kind/id` of the object concerned, when there is one. */
  readonly object: string | undefined;
  constructor(reason: StoreErrorReason, message: string, opts: { object?: string; hint?: string; cause?: unknown } = {}) {
    super(message, { code: CODE[reason], hint: opts.hint, cause: opts.cause });
    this.name = 'StoreError';
    this.reason = reason;
    this.object = opts.object;
  }
}

/**
 * Optimistic concurrency or uniqueness refused a whole batch (reasons `version`, `exists`,
 * `missing`, `name`). Nothing of the batch was applied; re-read and retry is the normal answer.
 */
export class ConflictError extends StoreError {
  constructor(reason: 'version' | 'exists' | 'missing' | 'name', message: string, opts: { object?: string; hint?: string } = {}) {
    super(reason, message, { hint: 'read the object again and retry the change', ...opts });
    this.name = 'ConflictError';
  }
}

/** A command, snapshot or object failed validation; nothing was changed. */
export class InvalidCommandError extends StoreError {
  /** Path inside the command or object where validation failed, when known. */
  readonly path: string | undefined;
  constructor(
    reason: 'malformed' | 'unsupported-version' | 'invalid-object' | 'stale-index' | 'bad-snapshot',
    message: string,
    opts: { object?: string; path?: string; cause?: unknown } = {},
  ) {
    super(reason, message, opts);
    this.name = 'InvalidCommandError';
    this.path = opts.path;
  }
}

export function isStoreError(e: unknown, reason?: StoreErrorReason): e is StoreError {
  return e instanceof StoreError && (reason === undefined || e.reason === reason);
}

export function isConflict(e: unknown): e is ConflictError {
  return e instanceof ConflictError;
}
