import { createHash } from 'node:crypto';
import type { FileReader } from './types.js';

/**
 * What a load read (`file`: `seen` is the sha256 of the text it got, or `missing`) or probed
 * (`exists`: `seen` is `file` or `no`), in order, without the content.
 */
export interface ReaderAccess {
  kind: 'file' | 'exists';
  path: string;
  seen: string;
}

/**
 * A {@link FileReader} that notes every path the loader reads or probes and what it saw, so a
 * caller can later tell whether a load would still see the same files (the no-op memo of `up`,
 * src/engine/noop-memo.ts).
 */
export class RecordingFileReader implements FileReader {
  readonly accesses: ReaderAccess[] = [];
  /** True once `-` (stdin) was read: such a load cannot be repeated from disk. */
  usedStdin = false;

  constructor(private readonly inner: FileReader) {}

  async readFile(path: string, what?: string): Promise<string> {
    if (path === '-') {
      this.usedStdin = true;
      return this.inner.readFile(path, what);
    }
    // A file that could not be read counts too: the load went on without it (an optional env_file).
    let seen = 'missing';
    try {
      const text = await this.inner.readFile(path, what);
      seen = createHash('sha256').update(text).digest('hex');
      return text;
    } finally {
      this.accesses.push({ kind: 'file', path, seen });
    }
  }

  async exists(path: string): Promise<boolean> {
    const found = await this.inner.exists(path);
    this.accesses.push({ kind: 'exists', path, seen: found ? 'file' : 'no' });
    return found;
  }
}
