/**
 * The no-op memo's two ends in the CLI (src/engine/noop-memo.ts; specs/engine.md, "The no-op
 * memo"). A full detached `up` that found nothing to do writes the memo; the next `up` with the
 * same command line, directory and environment checks it before the compose files are loaded and,
 * when it still holds, exits at once with nothing to do, as the full `up` would have.
 * TSCOMPOSE_NO_MEMO=1 turns both ends off; TSCOMPOSE_DEBUG_MEMO=1 says on stderr what each end did.
 */
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Project } from '../../src/compose/types.js';
import type { ReaderAccess } from '../../src/compose/recording-reader.js';
import { combineEvidence, digestEvidence, memoKey, plannerEvidence, stateDigest, whyNotNoop, type Evidence, type NoopMemo } from '../../src/engine/noop-memo.js';
import type { UpResult } from '../../src/engine/up.js';
import { DockerRuntime } from '../../src/runtime/index.js';
import { cacheDir } from '../cache-dir.js';

declare const __TSCOMPOSE_BUILD__: string | undefined;
/** A digest of the sources the bundle was built from (scripts/build.mjs); another build may plan differently. */
const BUILD = typeof __TSCOMPOSE_BUILD__ === 'string' ? __TSCOMPOSE_BUILD__ : 'source';

export interface Invocation {
  argv: readonly string[];
  env: NodeJS.ProcessEnv;
  cwd: string;
}

export const thisInvocation = (): Invocation => ({ argv: process.argv.slice(2), env: process.env, cwd: process.cwd() });

function memoPath(inv: Invocation): string | null {
  if (inv.env.TSCOMPOSE_NO_MEMO) return null;
  const dir = cacheDir('tscompose', inv.env);
  // Tracing changes nothing the plan reads, so a traced run finds the memo of an untraced one.
  const { TSCOMPOSE_DEBUG_MEMO: _trace, ...env } = inv.env;
  return dir ? join(dir, 'noop', `${memoKey({ build: BUILD, argv: inv.argv, cwd: inv.cwd, env })}.json`) : null;
}

/**
 * True when a memo for exactly this invocation still holds: nothing to do, nothing to print. Only
 * `up` writes memos; the start-up stub (scripts/build.mjs) asks only when the arguments hold `up`.
 */
export async function fastNoopUp(inv: Invocation = thisInvocation()): Promise<boolean> {
  const file = memoPath(inv);
  if (!file) return false;
  const trace = traceTo(inv);
  let memo: NoopMemo;
  try {
    memo = JSON.parse(await readFile(file, 'utf8')) as NoopMemo;
  } catch {
    trace('no memo for this command line, directory and environment');
    return false;
  }
  const why = memo.version === 1 ? await whyNotNoop(new DockerRuntime(), memo) : 'memo of another format';
  if (why === null) {
    trace(`nothing to do (${file})`);
    return true;
  }
  trace(`planning again: ${why}`);
  // The full `up` that follows writes a fresh memo if it too finds nothing to do.
  await rm(file, { force: true }).catch(() => undefined);
  return false;
}

function traceTo(inv: Invocation): (line: string) => void {
  return inv.env.TSCOMPOSE_DEBUG_MEMO ? (line) => void process.stderr.write(`memo: ${line}\n`) : () => undefined;
}

export interface CompletedUp {
  project: Project;
  result: UpResult;
  /** What the loader read and probed (RecordingFileReader). */
  accesses: readonly ReaderAccess[];
  /**
   * The command's flags and output allow a memo: detached, no build, pull, forced recreate or
   * waiting, no stdin file, and no progress event or warning was shown.
   */
  eligible: boolean;
}

/** After a full `up`: writes the memo when it found nothing to do, else removes any old one. */
export async function rememberUp(done: CompletedUp, inv: Invocation = thisInvocation()): Promise<void> {
  const file = memoPath(inv);
  if (!file) return;
  const trace = traceTo(inv);
  // The memo is an optimisation: any failure here leaves the command's result as it was.
  try {
    const { project, result } = done;
    const planned = plannerEvidence(project, result.services, result.contentDigests);
    const noop = done.eligible && planned !== null && result.plan.operations.length === 0 && result.plan.warnings.length === 0 && !project.warnings?.length;
    if (!noop) {
      await rm(file, { force: true });
      trace('not written: this up had something to do or to say, or flags that always act');
      return;
    }
    // A file that changed since the loader or the planner read it would make the memo vouch for
    // content the plan never saw.
    const unchanged = await Promise.all([...done.accesses, ...planned].map(async (a) => (await digestEvidence(a)) === a.seen));
    if (!unchanged.every(Boolean)) {
      trace('not written: a file changed while up ran');
      return;
    }
    // The digest is of what the plan saw: a file changing from here on fails the next check.
    const seen = uniqueEvidence([...done.accesses, ...planned]);
    const memo: NoopMemo = {
      version: 1,
      project: project.name,
      evidence: seen.map(({ kind, path }) => ({ kind, path })),
      evidenceDigest: combineEvidence(seen),
      images: result.images,
      stateDigest: stateDigest(result.observed),
    };
    await mkdir(dirname(file), { recursive: true, mode: 0o700 });
    const tmp = `${file}.${process.pid}.tmp`;
    await writeFile(tmp, JSON.stringify(memo), { mode: 0o600 });
    await rename(tmp, file);
    trace(`written (${file})`);
    await pruneMemos(dirname(file));
  } catch {
    // see above
  }
}

/** Memos of other command lines, environments and builds that have not been written for a while. */
const MEMO_LIFETIME_MS = 14 * 24 * 3600 * 1000;

async function pruneMemos(dir: string): Promise<void> {
  const now = Date.now();
  for (const f of await readdir(dir)) {
    const p = join(dir, f);
    const st = await stat(p).catch(() => undefined);
    if (st && now - st.mtimeMs > MEMO_LIFETIME_MS) await rm(p, { force: true });
  }
}

function uniqueEvidence<T extends Evidence>(items: T[]): T[] {
  const seen = new Set<string>();
  return items.filter((e) => {
    const k = `${e.kind}\0${e.path}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
