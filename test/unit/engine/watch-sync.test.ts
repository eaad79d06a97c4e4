/**
 * The host side of watch's sync (no engine): which changed paths become archive entries and which
 * deletions, a directory walked with the rules' filter, the archive's names and contents, and the
 * retry archive without implied directory headers. The engine side goes through a recording fake.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { extract } from 'tar-stream';
import { afterAll, describe, expect, it } from 'vitest';
import type { ContainerRuntime } from '../../../src/runtime/runtime.js';
import { collectSync, syncContainers, tarOf, withoutImpliedDirectories } from '../../../src/engine/watch/sync.js';

const dir = mkdtempSync(join(tmpdir(), 'tscompose-watch-sync-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function untar(buf: Buffer): Promise<Array<{ name: string; type: string; body: string }>> {
  const x = extract();
  const out: Array<{ name: string; type: string; body: string }> = [];
  const done = new Promise<void>((resolve, reject) => {
    x.on('entry', (h, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: unknown) => chunks.push(c as Buffer));
      stream.on('end', () => {
        out.push({ name: h.name, type: h.type ?? 'file', body: Buffer.concat(chunks).toString() });
        next();
      });
      stream.resume();
    });
    x.on('finish', () => resolve());
    x.on('error', reject);
  });
  Readable.from([buf]).pipe(x);
  await done;
  return out;
}

describe('watch sync, host side', () => {
  it('existing paths become entries named by container path; missing ones deletions', async () => {
    writeFileSync(join(dir, 'a.txt'), 'A');
    mkdirSync(join(dir, 'd'));
    writeFileSync(join(dir, 'd', 'keep.txt'), 'K');
    writeFileSync(join(dir, 'd', 'skip.tmp'), 'S');
    symlinkSync('a.txt', join(dir, 'link'));
    const split = await collectSync(
      [
        { hostPath: join(dir, 'a.txt'), containerPath: '/srv/a.txt' },
        { hostPath: join(dir, 'd'), containerPath: '/srv/d' },
        { hostPath: join(dir, 'link'), containerPath: '/srv/link' },
        { hostPath: join(dir, 'gone.txt'), containerPath: '/srv/gone.txt' },
      ],
      (h) => !h.endsWith('.tmp'),
    );
    expect(split.deletions).toEqual(['/srv/gone.txt']);
    expect(split.entries.map((e) => `${e.type} ${e.name}`).sort()).toEqual(['directory srv/d', 'file srv/a.txt', 'file srv/d/keep.txt', 'symlink srv/link']);
    const entries = await untar(await tarOf(split.entries));
    expect(entries.find((e) => e.name === 'srv/a.txt')?.body).toBe('A');
    expect(entries.find((e) => e.name === 'srv/d/keep.txt')?.body).toBe('K');
    expect(entries.map((e) => e.name).sort()).toEqual(['srv/a.txt', 'srv/d', 'srv/d/keep.txt', 'srv/link']);
  });

  it('the retry archive drops only directory headers its entries imply', () => {
    const at = new Date(0);
    const entries = [
      { name: 'srv/d', type: 'directory' as const, mode: 0o755, mtime: at },
      { name: 'srv/d/f', type: 'file' as const, mode: 0o644, mtime: at, data: Buffer.from('x') },
      { name: 'srv/empty', type: 'directory' as const, mode: 0o755, mtime: at },
    ];
    expect(withoutImpliedDirectories(entries).map((e) => e.name)).toEqual(['srv/d/f', 'srv/empty']);
  });

  it('deletes, then copies, in every container; a failure in one is reported, the others done', async () => {
    const calls: string[] = [];
    const fake = {
      exec: (id: string, spec: { cmd: string[] }) => {
        calls.push(`${id} exec ${spec.cmd.join(' ')}`);
        return Promise.resolve({ exitCode: 0, stdout: '', stderr: '' });
      },
      putArchive: (id: string, p: string) => {
        calls.push(`${id} put ${p}`);
        return id === 'c2' ? Promise.reject(new Error('engine said no')) : Promise.resolve();
      },
    } as unknown as ContainerRuntime;
    const split = { entries: [{ name: 'srv/a', type: 'file' as const, mode: 0o644, mtime: new Date(0), data: Buffer.from('a') }], deletions: ['/srv/b'] };
    const errors = await syncContainers(fake, [{ id: 'c1', name: 'p-web-1' }, { id: 'c2', name: 'p-web-2' }], split);
    expect(calls.sort()).toEqual(['c1 exec rm -rf /srv/b', 'c1 put /', 'c2 exec rm -rf /srv/b', 'c2 put /']);
    expect(errors).toEqual(['copying files to p-web-2: engine said no']);
  });
});
