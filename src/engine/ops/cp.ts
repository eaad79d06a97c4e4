/**
 * `cp`: files between a service container and the local filesystem, in either direction, as tar
 * streams through the engine's archive API. Destination rules follow `docker cp`: into an existing
 * directory the source keeps its name; otherwise the copy takes the destination's name.
 */
import { stat } from 'node:fs/promises';
import { basename, dirname, posix, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { extract as extractFs, pack as packFs, type ExtractOptions, type Headers } from 'tar-fs';
import { extract as tarExtract } from 'tar-stream';
import type { ContainerRuntime } from '../../runtime/runtime.js';
import { isEngineNotFound } from '../../runtime/errors.js';
import { UserError } from '../../util/errors.js';
import { noProgress, type ProgressSink } from '../progress.js';
import type { Scope } from './scope.js';
import { selectOne, type ProjectContainer } from './select-containers.js';

export type CopyEndpoint = { kind: 'local'; path: string } | { kind: 'container'; service: string; path: string };

/** Splits "SERVICE:PATH" from a local path; paths starting with / or . are always local. */
export function parseCopyArg(arg: string): CopyEndpoint {
  if (arg === '-' || arg.startsWith('/') || arg.startsWith('.')) return { kind: 'local', path: arg };
  const i = arg.indexOf(':');
  if (i <= 0) return { kind: 'local', path: arg };
  return { kind: 'container', service: arg.slice(0, i), path: arg.slice(i + 1) || '/' };
}

export interface CopyOptions {
  source: string;
  destination: string;
  index?: number;
  /** -a: keep uid/gid (from the container) / give files to the container's user (into it). */
  archive?: boolean;
  /** --all: one-off `run` containers are candidates too. */
  all?: boolean;
  /** -L: copy what a symbolic link source points to, not the link. */
  followLink?: boolean;
  /** For "-": a tar on stdin (into a container) or to stdout (out of one). */
  stdin?: NodeJS.ReadableStream;
  stdout?: NodeJS.WritableStream;
  /** `Copied`, as Compose reports a copy (a failed copy says only its error). */
  progress?: ProgressSink;
  /** --dry-run: the source is read (a typo still fails) and nothing is written locally. */
  dryRun?: boolean;
}

export async function copyCommand(runtime: ContainerRuntime, scope: Scope, opts: CopyOptions): Promise<{ container: string }> {
  const src = parseCopyArg(opts.source);
  const dst = parseCopyArg(opts.destination);
  if (src.kind === dst.kind) {
    throw new UserError(src.kind === 'local' ? 'one of source and destination must be SERVICE:PATH' : 'copying between containers is not supported', {
      code: 'invalid',
      hint: 'tscompose cp SERVICE:SRC_PATH DEST_PATH|-   or   tscompose cp SRC_PATH|- SERVICE:DEST_PATH',
    });
  }
  const service = src.kind === 'container' ? src.service : (dst as { service: string }).service;
  const c = await selectOne(runtime, scope, service, { ...(opts.index !== undefined ? { index: opts.index } : {}), oneOff: opts.all ? 'include' : 'exclude' });
  const what = src.kind === 'container' ? `${c.name}:${src.path} to ${dst.path}` : `${src.path} to ${c.name}:${(dst as { path: string }).path}`;
  const progress = opts.progress ?? noProgress;
  if (src.kind === 'container') await fromContainer(runtime, c, src.path, dst.path, opts);
  else await toContainer(runtime, c, src.path, (dst as { path: string }).path, opts);
  progress({ resource: `Container ${c.name}`, text: 'Copied', status: 'done', detail: what });
  return { container: c.name };
}

async function fromContainer(runtime: ContainerRuntime, c: ProjectContainer, path: string, dest: string, opts: CopyOptions): Promise<void> {
  // The copy keeps the name the user gave even when -L fetched the link's target.
  const asked = basename(path.replace(/\/+$/, '')) || '/';
  const source = opts.followLink ? await resolveLink(runtime, c, path) : path;
  let tar: NodeJS.ReadableStream;
  try {
    tar = await runtime.getArchive(c.id, source);
  } catch (e) {
    if (isEngineNotFound(e)) throw new UserError(`no such file or directory in ${c.name}: ${path}`, { code: 'not-found' });
    throw e;
  }
  if (opts.dryRun) {
    await pipeline(tar, new Writable({ write: (_c, _e, next) => next() }));
    return;
  }
  if (dest === '-') {
    await pipeline(tar, opts.stdout ?? process.stdout);
    return;
  }
  const target = resolve(dest);
  const st = await stat(target).catch(() => undefined);
  let dir = target;
  let rename: string | undefined = source !== path ? asked : undefined;
  if (!st?.isDirectory()) {
    if (dest.endsWith('/')) throw new UserError(`destination directory ${dest} does not exist`, { code: 'not-found' });
    const parent = await stat(dirname(target)).catch(() => undefined);
    if (!parent?.isDirectory()) throw new UserError(`destination directory ${dirname(target)} does not exist`, { code: 'not-found' });
    dir = dirname(target);
    rename = basename(target);
  }
  const options: ExtractOptions & { chown: boolean } = {
    // Without -a the files belong to whoever runs the copy, as with `docker cp`.
    chown: opts.archive ?? false,
    ...(rename ? { map: (h: Headers) => ({ ...h, name: renameRoot(h.name, rename) }) } : {}),
  };
  await pipeline(tar, extractFs(dir, options));
}

async function toContainer(runtime: ContainerRuntime, c: ProjectContainer, src: string, dest: string, opts: CopyOptions): Promise<void> {
  const copyUidGid = opts.archive ? { copyUidGid: true } : {};
  if (src === '-') {
    // Like `docker cp -`, stdin is a tar archive extracted into the destination directory.
    await putOrExplain(runtime, c, dest, opts.stdin ?? process.stdin, copyUidGid);
    return;
  }
  const local = resolve(src);
  const st = await stat(local).catch(() => undefined);
  if (!st) throw new UserError(`no such file or directory: ${src}`, { code: 'not-found' });
  const kind = await containerPathKind(runtime, c.id, dest);
  let dir = dest;
  let name = basename(local);
  if (kind !== 'dir') {
    if (kind === 'file' && st.isDirectory()) throw new UserError(`cannot copy a directory onto the file ${c.name}:${dest}`, { code: 'conflict' });
    if (kind === 'missing' && dest.endsWith('/')) throw new UserError(`destination directory ${c.name}:${dest} does not exist`, { code: 'not-found' });
    dir = dirname(dest.replace(/\/+$/, '')) || '/';
    name = basename(dest.replace(/\/+$/, ''));
  }
  const root = basename(local);
  const tar = packFs(dirname(local), { entries: [root], dereference: opts.followLink ?? false, map: (h) => ({ ...h, name: renameRoot(h.name, name) }) });
  // tar-stream's Pack is a streamx Readable; Node's stream types do not know it.
  await putOrExplain(runtime, c, dir, tar as unknown as NodeJS.ReadableStream, copyUidGid);
}

async function putOrExplain(runtime: ContainerRuntime, c: ProjectContainer, dir: string, tar: NodeJS.ReadableStream, opts: { copyUidGid?: boolean }): Promise<void> {
  try {
    await runtime.putArchive(c.id, dir, tar, opts);
  } catch (e) {
    if (isEngineNotFound(e)) throw new UserError(`destination directory ${c.name}:${dir} does not exist`, { code: 'not-found' });
    throw e;
  }
}

/** Replaces the first path component of a tar entry name. */
export function renameRoot(entry: string, root: string): string {
  const i = entry.indexOf('/');
  return i < 0 ? root : root + entry.slice(i);
}

interface PathStat {
  kind: 'dir' | 'file' | 'symlink' | 'missing';
  linkname?: string;
}

/** Reads just the first header of the engine's archive of `path` to learn what is there. */
async function containerStat(runtime: ContainerRuntime, id: string, path: string): Promise<PathStat> {
  let tar: NodeJS.ReadableStream;
  try {
    tar = await runtime.getArchive(id, path);
  } catch (e) {
    if (isEngineNotFound(e)) return { kind: 'missing' };
    throw e;
  }
  return new Promise((res) => {
    const ex = tarExtract();
    let settled = false;
    const done = (st: PathStat): void => {
      if (settled) return;
      settled = true;
      (tar as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
      res(st);
    };
    ex.on('entry', (h) =>
      done(h.type === 'directory' ? { kind: 'dir' } : h.type === 'symlink' ? { kind: 'symlink', ...(h.linkname ? { linkname: h.linkname } : {}) } : { kind: 'file' }),
    );
    ex.on('error', () => done({ kind: 'missing' }));
    ex.on('finish', () => done({ kind: 'missing' }));
    tar.pipe(ex);
  });
}

async function containerPathKind(runtime: ContainerRuntime, id: string, path: string): Promise<'dir' | 'file' | 'missing'> {
  const st = await containerStat(runtime, id, path);
  return st.kind === 'symlink' ? 'file' : st.kind;
}

/** Follows symbolic links (relative ones from the link's directory), at most 16 hops like the kernel's limit spirit. */
async function resolveLink(runtime: ContainerRuntime, c: ProjectContainer, path: string): Promise<string> {
  let current = path;
  for (let hop = 0; hop < 16; hop++) {
    const st = await containerStat(runtime, c.id, current);
    if (st.kind !== 'symlink' || !st.linkname) return current;
    current = posix.resolve(posix.dirname(current), st.linkname);
  }
  throw new UserError(`too many levels of symbolic links in ${c.name}:${path}`, { code: 'invalid' });
}
