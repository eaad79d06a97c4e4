/**
 * The error of a file read that readBoundedFile refused (read-bounded-file.ts), apart from it so
 * that pure modules (the compose loader) can recognise it without importing any I/O.
 */
import { UserError } from './errors.js';

export type FileProblem = 'missing' | 'not-regular' | 'too-large' | 'unreadable';

export class FileReadError extends UserError {
  constructor(
    readonly file: string,
    readonly problem: FileProblem,
    message: string,
    opts: { hint?: string; cause?: unknown } = {},
  ) {
    super(message, { code: problem === 'missing' ? 'not-found' : 'invalid', ...opts });
    this.name = 'FileReadError';
  }
}

/** A read that failed because nothing is there: our FileReadError, or any error with errno ENOENT. */
export function isMissingFile(e: unknown): boolean {
  return (e instanceof FileReadError && e.problem === 'missing') || (e as { code?: unknown } | null)?.code === 'ENOENT';
}

