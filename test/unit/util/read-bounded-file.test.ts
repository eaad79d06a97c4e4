import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FileReadError, maxTextFileBytes, readBoundedFile } from '../../../src/util/read-bounded-file.js';
import { decodeUtf8Text, firstInvalidUtf8, positionOf } from '../../../src/util/utf8-text.js';
import { DiagnosticError } from '../../../src/util/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'bounded-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const opts = { what: 'compose file', maxBytes: 16, raisedBy: 'TSCOMPOSE_MAX_FILE_SIZE' };

async function refusal(file: string): Promise<FileReadError> {
  const e = await readBoundedFile(file, opts).catch((x: unknown) => x);
  expect(e).toBeInstanceOf(FileReadError);
  return e as FileReadError;
}

describe('readBoundedFile', () => {
  it('reads a regular file up to the bound', async () => {
    writeFileSync(join(dir, 'ok'), 'services: {}\n');
    expect((await readBoundedFile(join(dir, 'ok'), opts)).toString()).toBe('services: {}\n');
    writeFileSync(join(dir, 'exact'), 'x'.repeat(16));
    expect((await readBoundedFile(join(dir, 'exact'), opts)).length).toBe(16);
  });

  it('refuses a file over the bound, naming the size, the bound and the variable', async () => {
    writeFileSync(join(dir, 'big'), 'x'.repeat(17));
    const e = await refusal(join(dir, 'big'));
    expect(e.problem).toBe('too-large');
    expect(e.message).toBe(`compose file ${join(dir, 'big')} is 17 bytes; expected at most 16 bytes (TSCOMPOSE_MAX_FILE_SIZE=BYTES raises the limit)`);
  });

  it('refuses a FIFO at once, without waiting for a writer', async () => {
    execFileSync('mkfifo', [join(dir, 'fifo')]);
    const e = await refusal(join(dir, 'fifo'));
    expect(e.problem).toBe('not-regular');
    expect(e.message).toBe(`compose file ${join(dir, 'fifo')} is a FIFO (named pipe); expected a regular file`);
  }, 5000);

  it('refuses /dev/zero, a directory and a missing file', async () => {
    expect((await refusal('/dev/zero')).message).toBe('compose file /dev/zero is a character device; expected a regular file');
    mkdirSync(join(dir, 'sub'));
    expect((await refusal(join(dir, 'sub'))).message).toMatch(/is a directory; expected a regular file$/);
    const missing = await refusal(join(dir, 'nope'));
    expect(missing.problem).toBe('missing');
    expect(missing.message).toBe(`compose file ${join(dir, 'nope')} not found`);
  });

  it('TSCOMPOSE_MAX_FILE_SIZE sets the text file bound (default 1 MiB)', () => {
    expect(maxTextFileBytes({})).toBe(1 << 20);
    expect(maxTextFileBytes({ TSCOMPOSE_MAX_FILE_SIZE: '4096' })).toBe(4096);
    expect(() => maxTextFileBytes({ TSCOMPOSE_MAX_FILE_SIZE: 'lots' })).toThrow(/not a positive number of bytes/);
  });
});

describe('strict UTF-8 text', () => {
  it('accepts UTF-8, BOM included, and finds the first bad byte', () => {
    expect(firstInvalidUtf8(Buffer.from('\uFEFFservices: {} # é ✓ 😀\n'))).toBe(-1);
    expect(firstInvalidUtf8(Buffer.from([0x61, 0xff]))).toBe(1);
    expect(firstInvalidUtf8(Buffer.from([0xc0, 0x80]))).toBe(0); // overlong NUL
    expect(firstInvalidUtf8(Buffer.from([0xed, 0xa0, 0x80]))).toBe(0); // surrogate
    expect(firstInvalidUtf8(Buffer.from([0x61, 0xe2, 0x82]))).toBe(1); // truncated
  });

  it('positions count characters, not bytes', () => {
    const b = Buffer.from('a: 1\nbé: ');
    expect(positionOf(b, b.length)).toEqual({ line: 2, col: 5 });
  });

  it('reports file:line:col of an invalid byte or a NUL', () => {
    const bad = Buffer.concat([Buffer.from('services:\n  wé'), Buffer.from([0xfe]), Buffer.from(':\n')]);
    const e = (() => {
      try {
        decodeUtf8Text(bad, '/p/compose.yaml');
      } catch (x) {
        return x;
      }
    })();
    expect(e).toBeInstanceOf(DiagnosticError);
    expect((e as Error).message).toBe('/p/compose.yaml:2:5: invalid UTF-8 (byte 0xfe): the file must be UTF-8 text');
    expect(() => decodeUtf8Text(Buffer.from('A=1\nB=\0\n'), '/p/.env')).toThrow('/p/.env:2:3: NUL byte: the file must be text');
  });
});
