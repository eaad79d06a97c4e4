/**
 * Starts a bundled CLI (dist/<name>.cjs) through V8's code cache. Node 20 has no compile cache of
 * its own (module.enableCompileCache arrived in Node 22), and compiling the ~1 MB bundle was the
 * largest single cost of a short command such as a no-op `up`. See specs/benchmarks.md.
 *
 * The cache is per bundle and command word (`up`, `ps`, ...): V8 stores the functions compiled by
 * the time the cache is written, so the cache of an earlier `up` holds exactly what the next `up`
 * runs. It is written once, at exit, by the first run that found none (or found one V8 rejected),
 * into $XDG_CACHE_HOME/<name> (default ~/.cache/<name>). The file name carries the bundle's content
 * hash, computed at build time: V8 checks only the source length, so a rebuilt bundle of the same
 * length must not meet an old cache. NODE_DISABLE_COMPILE_CACHE=1 turns it off (Node 22's name).
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { Script } from 'node:vm';
import { cacheDir } from './cache-dir.js';

export interface LaunchOptions {
  /** Absolute path of the CommonJS bundle, written by scripts/build.mjs without a shebang. */
  bundle: string;
  /** Program name: names the cache directory. The bundle's file name prefixes its cache files. */
  name: string;
  /** Content hash of the bundle, from the build. */
  hash: string;
  /** Global options that take a value, so the command word after them is found. */
  valueOptions: readonly string[];
  argv?: readonly string[];
  env?: NodeJS.ProcessEnv;
  /** Write a missing or rejected cache when the process exits (default true). */
  saveAtExit?: boolean;
}

type CommonJsBody = (exports: object, require: NodeRequire, module: { exports: object }, filename: string, dirname: string) => void;

/** How a launch used the code cache. */
export interface Launched {
  cacheFile: string | null;
  /** A cache was found and V8 accepted it. */
  cacheUsed: boolean;
  /** Writes the cache now; `launch` does this at exit when no usable cache was found. */
  saveCache: () => void;
  /** What the bundle exported. */
  exports: Record<string, unknown>;
}

export function launch(o: LaunchOptions): Launched {
  const env = o.env ?? process.env;
  const source = readFileSync(o.bundle, 'latin1');
  const cacheFile = env.NODE_DISABLE_COMPILE_CACHE ? null : codeCacheFile(o, env);
  const cached = cacheFile ? readIfPresent(cacheFile) : undefined;
  const script = new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
    filename: o.bundle,
    ...(cached ? { cachedData: cached } : {}),
  });
  const cacheUsed = cached !== undefined && !script.cachedDataRejected;
  const saveCache = (): void => {
    if (cacheFile) writeCodeCache(cacheFile, o, script);
  };
  if (cacheFile && !cacheUsed && o.saveAtExit !== false) process.once('exit', saveCache);
  const body = script.runInThisContext() as CommonJsBody;
  const module = { exports: {} as Record<string, unknown> };
  body.call(module.exports, module.exports, createRequire(o.bundle), module, o.bundle, dirname(o.bundle));
  return { cacheFile, cacheUsed, saveCache, exports: module.exports };
}

/** The cache file for this invocation, or null when no cache directory can be named. */
export function codeCacheFile(o: Pick<LaunchOptions, 'bundle' | 'name' | 'hash' | 'valueOptions' | 'argv'>, env: NodeJS.ProcessEnv): string | null {
  const dir = cacheDir(o.name, env);
  if (!dir) return null;
  const word = commandWord(o.argv ?? process.argv.slice(2), o.valueOptions);
  return join(dir, `${bundleBase(o.bundle)}-${o.hash}-${process.version}-${process.arch}-${word}.v8cache`);
}

/** `tscompose` for dist/tscompose.cjs: the prefix of that bundle's cache files. */
function bundleBase(bundle: string): string {
  return basename(bundle).replace(/\.c?js$/, '');
}

/** The build hash in one of this bundle's cache file names, or null for another bundle's file. */
function cacheBuild(file: string, bundle: string): string | null {
  const base = bundleBase(bundle);
  if (!file.startsWith(`${base}-`) || !file.endsWith('.v8cache')) return null;
  const m = /^([^-]+)-v\d+\.\d+\.\d+-/.exec(file.slice(base.length + 1));
  return m ? m[1]! : null;
}

/**
 * The first argument that is neither an option nor an option's value; `default` when there is
 * none or it does not look like a command (a stray value never names a cache file).
 */
export function commandWord(argv: readonly string[], valueOptions: readonly string[]): string {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') break;
    if (a.startsWith('-')) {
      if (!a.includes('=') && valueOptions.includes(a)) i++;
      continue;
    }
    return /^[a-z][a-z0-9-]{0,31}$/.test(a) ? a : 'default';
  }
  return 'default';
}

function writeCodeCache(file: string, o: LaunchOptions, script: Script): void {
  // A cache is an optimisation: any failure (read-only home, full disk) leaves the command as it was.
  try {
    const dir = dirname(file);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, script.createCachedData(), { mode: 0o600 });
    renameSync(tmp, file);
    // Caches of older builds of this bundle are never read again.
    for (const f of readdirSync(dir)) {
      const build = cacheBuild(f, o.bundle);
      if (build !== null && build !== o.hash) rmSync(join(dir, f), { force: true });
    }
  } catch {
    // see above
  }
}

function readIfPresent(file: string): Buffer | undefined {
  try {
    return readFileSync(file);
  } catch {
    return undefined;
  }
}
