/**
 * The sync edge of `watch`: changed host paths into every running container of a service, as
 * Compose's tar syncer does (internal/sync/tar.go). A path that exists on the host is sent in one
 * tar archive extracted at `/` (entries named by their container paths; a directory with what is
 * under it, minus what the rules ignore) with the engine's copy-UID/GID option, so the files belong
 * to the container's user; a path that no longer exists is removed with `rm -rf` through exec
 * (the image needs an `rm`, as with Compose). Deletions go first, then the copy; containers are
 * synced in parallel and one container's failure does not stop the others.
 */
import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import * as path from 'node:path';
import { pack, type Header } from 'tar-stream';
import type { ContainerRuntime } from '../../runtime/runtime.js';
import type { PathMapping } from './rules.js';

/** A container that receives the files. */
export interface SyncContainer {
  id: string;
  name: string;
}

/** One entry of the archive: a container path (without the leading `/`) and what goes there. */
export interface ArchiveEntry {
  name: string;
  type: 'file' | 'directory' | 'symlink';
  mode: number;
  mtime: Date;
  data?: Buffer;
  linkname?: string;
}

/** Whether a path found inside a synced directory goes along (the service's rules decide). */
export type KeepPath = (hostPath: string, containerPath: string) => boolean;

export interface SyncSplit {
  entries: ArchiveEntry[];
  deletions: string[];
}

const isMissing = (e: unknown): boolean => (e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR';

/** Host side: which mappings are copies (read now, directories walked) and which deletions. */
export async function collectSync(mappings: readonly PathMapping[], keep: KeepPath = () => true): Promise<SyncSplit> {
  const byName = new Map<string, ArchiveEntry>();
  const deletions: string[] = [];
  const add = async (hostPath: string, containerPath: string, top: boolean): Promise<void> => {
    let st;
    try {
      st = await lstat(hostPath);
    } catch (e) {
      if (!isMissing(e)) throw e;
      if (top) deletions.push(containerPath);
      return;
    }
    const name = containerPath.replace(/^\/+/, '');
    const base = { name, mode: st.mode & 0o7777, mtime: st.mtime };
    try {
      if (st.isSymbolicLink()) {
        byName.set(name, { ...base, type: 'symlink', linkname: await readlink(hostPath) });
      } else if (st.isDirectory()) {
        byName.set(name, { ...base, type: 'directory' });
        for (const child of await readdir(hostPath)) {
          const h = path.join(hostPath, child);
          const c = path.posix.join(containerPath, child);
          if (keep(h, c)) await add(h, c, false);
        }
      } else if (st.isFile()) {
        // Read whole: the header's size is then the size of what is sent, even if the file is being written.
        byName.set(name, { ...base, type: 'file', data: await readFile(hostPath) });
      }
      // Sockets, fifos, devices: not in a tar, as Compose skips them.
    } catch (e) {
      // Gone between the look and the read: the next batch sees the deletion.
      if (!isMissing(e)) throw e;
    }
  };
  for (const m of mappings) if (m.containerPath !== undefined) await add(m.hostPath, m.containerPath, true);
  return { entries: [...byName.values()], deletions };
}

/** The entries as one tar archive in memory (sent as is to each container). */
export async function tarOf(entries: readonly ArchiveEntry[]): Promise<Buffer> {
  const p = pack();
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    p.on('data', (c: unknown) => chunks.push(c as Buffer));
    p.on('end', () => resolve(Buffer.concat(chunks)));
    p.on('error', reject);
  });
  for (const e of entries) {
    const h: Partial<Header> & { name: string } = { name: e.name, type: e.type, mode: e.mode, mtime: e.mtime, uid: 0, gid: 0 };
    if (e.type === 'symlink') h.linkname = e.linkname!;
    const cb = (resolve: () => void, reject: (err: Error) => void) => (err?: Error | null) => (err ? reject(err) : resolve());
    await new Promise<void>((resolve, reject) => {
      if (e.type === 'file') p.entry(h, e.data!, cb(resolve, reject));
      else p.entry(h, cb(resolve, reject));
    });
  }
  p.finalize();
  return done;
}

/** The same archive without the headers of directories it fills with entries (see syncContainers). */
export function withoutImpliedDirectories(entries: readonly ArchiveEntry[]): ArchiveEntry[] {
  const parents = new Set(entries.map((e) => path.posix.dirname(e.name)));
  return entries.filter((e) => !(e.type === 'directory' && parents.has(e.name)));
}

/**
 * Deletes, then copies, in each container; resolves with one message per failure (empty: all done).
 * The engine refuses a whole archive whose directory header meets a path the container resolves
 * through a symbolic link ("cannot overwrite non-directory"); as Compose does, that copy is sent
 * again without the headers of directories its own entries imply.
 */
export async function syncContainers(runtime: ContainerRuntime, containers: readonly SyncContainer[], split: SyncSplit): Promise<string[]> {
  const errors: string[] = [];
  const tar = split.entries.length ? await tarOf(split.entries) : undefined;
  await Promise.all(containers.map(async (c) => {
    if (split.deletions.length) {
      try {
        const r = await runtime.exec(c.id, { cmd: ['rm', '-rf', ...split.deletions] });
        if (r.exitCode !== 0) errors.push(`deleting paths in ${c.name}: rm exited with code ${r.exitCode}${r.stderr.trim() ? `: ${r.stderr.trim()}` : ''}`);
      } catch (e) {
        errors.push(`deleting paths in ${c.name}: ${(e as Error).message}`);
      }
    }
    if (!tar) return;
    try {
      await runtime.putArchive(c.id, '/', tar, { copyUidGid: true });
    } catch (e) {
      const msg = (e as Error).message;
      if (!msg.includes('cannot overwrite non-directory')) {
        errors.push(`copying files to ${c.name}: ${msg}`);
        return;
      }
      try {
        await runtime.putArchive(c.id, '/', await tarOf(withoutImpliedDirectories(split.entries)), { copyUidGid: true });
      } catch (e2) {
        errors.push(`copying files to ${c.name}: ${msg}; ${(e2 as Error).message}`);
      }
    }
  }));
  return errors;
}
