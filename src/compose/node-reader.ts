/**
 * The Node-side {@link FileReader}: the file system, and stdin for `-`. Reused by every command.
 * Every read goes through readBoundedFile (regular files only, at most TSCOMPOSE_MAX_FILE_SIZE)
 * and strict UTF-8 decoding (no invalid bytes, no NUL), so the parsers only ever see text.
 */
import { stat } from 'node:fs/promises';
import { MAX_FILE_SIZE_ENV, maxTextFileBytes, readBoundedFile } from '../util/read-bounded-file.js';
import { decodeUtf8Text } from '../util/utf8-text.js';
import type { FileReader } from './types.js';

export class NodeFileReader implements FileReader {
  private stdin: Promise<string> | undefined;
  private readonly maxBytes: number;

  constructor(env: Record<string, string | undefined> = process.env) {
    this.maxBytes = maxTextFileBytes(env);
  }

  async readFile(path: string, what = 'file'): Promise<string> {
    const opts = { what, maxBytes: this.maxBytes, raisedBy: MAX_FILE_SIZE_ENV, stdin: true };
    if (path === '-') {
      this.stdin ??= readBoundedFile('-', opts).then((b) => decodeUtf8Text(b, '-'));
      return this.stdin;
    }
    return decodeUtf8Text(await readBoundedFile(path, opts), path);
  }

  async exists(path: string): Promise<boolean> {
    try {
      return (await stat(path)).isFile();
    } catch {
      return false;
    }
  }
}
