/**
 * The one way tscompose and tsswarm read a file the user named (compose files, env files, secret
 * and config payloads): only a regular file (or `-`, standard input, where the caller allows it),
 * at most a given size. A FIFO would block forever, /dev/zero would never end, a directory or a
 * missing file would surface as a bare errno: each is one line naming the file and what was
 * expected.
 */
import { constants, type Stats } from 'node:fs';
import { open } from 'node:fs/promises';
import { UserError } from './errors.js';
import { FileReadError } from './file-read-error.js';

export { FileReadError, isMissingFile, type FileProblem } from './file-read-error.js';

export interface BoundedRead {
  /** What the file is to the user, for messages: "compose file", "env file", "secret file". */
  what: string;
  maxBytes: number;
  /** The environment variable that raises maxBytes, if any (named in the too-large message). */
  raisedBy?: string;
  /** `-` reads standard input. */
  stdin?: boolean;
  /** Added to the not-regular and missing messages, e.g. "give a file, or - to read standard input". */
  hint?: string;
}

/** 1 MiB: a compose or env file is text someone wrote; a larger one is a mistake or an attack. */
export const MAX_TEXT_FILE_BYTES = 1 << 20;
export const MAX_FILE_SIZE_ENV = 'TSCOMPOSE_MAX_FILE_SIZE';

/** The compose/env file bound: TSCOMPOSE_MAX_FILE_SIZE bytes when set to a positive integer, else 1 MiB. */
export function maxTextFileBytes(env: Record<string, string | undefined> = process.env): number {
  const raw = env[MAX_FILE_SIZE_ENV]?.trim();
  if (!raw) return MAX_TEXT_FILE_BYTES;
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(Number(raw)) || Number(raw) === 0) {
    throw new UserError(`${MAX_FILE_SIZE_ENV}=${raw} is not a positive number of bytes`, { code: 'invalid', hint: `unset it for the default (${MAX_TEXT_FILE_BYTES})` });
  }
  return Number(raw);
}

export function formatBytes(n: number): string {
  if (n >= 1 << 20 && n % (1 << 20) === 0) return `${n / (1 << 20)} MiB`;
  if (n >= 1024 && n % 1024 === 0) return `${n / 1024} KiB`;
  return `${n} bytes`;
}

function kindOf(st: Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

function tooLarge(file: string, o: BoundedRead, size?: number): FileReadError {
  const is = size !== undefined ? `is ${size} bytes` : 'is larger than that';
  return new FileReadError(file, 'too-large', `${o.what} ${file} ${is}; expected at most ${formatBytes(o.maxBytes)}${o.raisedBy ? ` (${o.raisedBy}=BYTES raises the limit)` : ''}`);
}

export async function readBoundedFile(file: string, o: BoundedRead): Promise<Buffer> {
  if (file === '-' && o.stdin) return readBoundedStdin(o);
  const hint = o.hint !== undefined ? { hint: o.hint } : {};
  let fh;
  try {
    // O_NONBLOCK: opening a FIFO would otherwise wait for a writer before we could look at it.
    fh = await open(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new FileReadError(file, 'missing', `${o.what} ${file} not found`, { ...hint, cause: e });
    if (code === 'EISDIR') throw new FileReadError(file, 'not-regular', `${o.what} ${file} is a directory; expected a regular file`, { ...hint, cause: e });
    const why = code === 'EACCES' || code === 'EPERM' ? 'permission denied' : (code ?? (e as Error).message);
    throw new FileReadError(file, 'unreadable', `cannot read ${o.what} ${file}: ${why}`, { cause: e });
  }
  try {
    // fstat of what was opened, not stat of the name: the name may change in between.
    const st = await fh.stat();
    if (!st.isFile()) throw new FileReadError(file, 'not-regular', `${o.what} ${file} is ${kindOf(st)}; expected a regular file`, hint);
    if (st.size > o.maxBytes) throw tooLarge(file, o, st.size);
    // Read one byte past the bound: a file growing while we read is caught too.
    const buf = Buffer.alloc(Math.min(st.size, o.maxBytes) + 1);
    let got = 0;
    for (;;) {
      const { bytesRead } = await fh.read(buf, got, buf.length - got, got);
      if (bytesRead === 0) break;
      got += bytesRead;
      if (got > o.maxBytes) throw tooLarge(file, o);
      if (got === buf.length) break;
    }
    return buf.subarray(0, got);
  } catch (e) {
    if (e instanceof FileReadError) throw e;
    throw new FileReadError(file, 'unreadable', `cannot read ${o.what} ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { cause: e });
  } finally {
    await fh.close();
  }
}

async function readBoundedStdin(o: BoundedRead): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of process.stdin) {
    total += (chunk as Buffer).length;
    if (total > o.maxBytes) {
      process.stdin.destroy();
      throw tooLarge('(standard input)', o);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}
