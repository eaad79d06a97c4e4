/**
 * The memo that lets a repeated no-op `up` skip loading the compose files (specs/engine.md, "The
 * no-op memo"). A full `up` that found nothing to do, printed nothing and warned about nothing
 * writes down what its decision rested on: the command line, directory and environment (the key),
 * the files the loader read or probed and the sources of mounted secrets and configs (one digest
 * over all of them), the image ids it compared, and the project's containers, networks and volumes
 * as the planner saw them (one digest). The plan is a pure function of those, so when all of them
 * are unchanged the next `up` would again find nothing to do.
 *
 * The memo never holds content: paths, ids and digests only; the environment only inside the key.
 */
import { readFile, stat } from 'node:fs/promises';
import type { Project } from '../compose/types.js';
import type { ContainerRuntime } from '../runtime/runtime.js';
import { stableJson } from './config-hash.js';
import { digestPath, sha256, type ContentDigests } from './content-digest.js';
import { observe, type ObservedState } from './observed.js';
import { serviceNetworkKeys } from './project-names.js';

/**
 * One input the decision rested on. `file`: its content (the loader read it); `exists`: whether a
 * regular file is there (the loader probed it); `path`: whether anything is there (a bind source);
 * `tree`: a secret's or config's file or directory, as content-digest.ts digests it.
 */
export interface Evidence {
  kind: 'file' | 'exists' | 'path' | 'tree';
  path: string;
}

export interface NoopMemo {
  version: 1;
  project: string;
  evidence: Evidence[];
  evidenceDigest: string;
  /** Image reference -> the id the planner compared containers against. */
  images: Record<string, string>;
  stateDigest: string;
}

export interface MemoKeyInput {
  /** Identifies the tscompose build: another build may plan differently. */
  build: string;
  argv: readonly string[];
  cwd: string;
  env: Record<string, string | undefined>;
}

/** The memo's name: everything the loader and planner could have read from the invocation. */
export function memoKey(k: MemoKeyInput): string {
  const env = Object.entries(k.env).filter((e): e is [string, string] => e[1] !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return sha256(JSON.stringify([k.build, k.argv, k.cwd, env]));
}

/** The planner's view of the project, minus nothing: any change at all means "plan again". */
export function stateDigest(s: ObservedState): string {
  const byName = <T extends { name: string }>(xs: T[]): T[] => [...xs].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return sha256(stableJson({ containers: byName(s.containers), networks: byName(s.networks), volumes: byName(s.volumes) }));
}

/** One digest over every piece of evidence as it is now on disk. */
export async function evidenceDigest(items: readonly Evidence[]): Promise<string> {
  return combineEvidence(await Promise.all(items.map(async (e) => ({ ...e, seen: await digestEvidence(e) }))));
}

/** One digest over pieces of evidence as they were seen. */
export function combineEvidence(items: readonly SeenEvidence[]): string {
  return sha256(items.map((e) => `${e.kind}\0${e.path}\0${e.seen}\n`).join(''));
}

/**
 * One piece of evidence as it is now: a file's sha256 or `missing`; `file` or `no` for a probe;
 * `present` or `missing` for a bind source; a secret's or config's tree digest or `missing`.
 */
export async function digestEvidence(e: Evidence): Promise<string> {
  try {
    switch (e.kind) {
      case 'file':
        return sha256(await readFile(e.path));
      case 'exists':
        return (await stat(e.path)).isFile() ? 'file' : 'no';
      case 'path':
        await stat(e.path);
        return 'present';
      case 'tree':
        return await digestPath(e.path);
    }
  } catch {
    return e.kind === 'exists' ? 'no' : 'missing';
  }
}

/** Evidence with what the plan saw of it: the memo is written only if the disk still agrees. */
export interface SeenEvidence extends Evidence {
  seen: string;
}

/**
 * What the planner itself read from disk for these services, beyond what the loader read: bind
 * sources that had to exist (preflight) and the sources of file secrets and configs, with the
 * digests the config hashes folded in. Null when the plan also rested on something the memo
 * cannot watch cheaply (external networks and volumes, checked on the engine by preflight).
 */
export function plannerEvidence(project: Project, services: readonly string[], digests: ContentDigests = {}): SeenEvidence[] | null {
  const out: SeenEvidence[] = [];
  for (const name of services) {
    const svc = project.services[name];
    if (!svc) continue;
    for (const key of serviceNetworkKeys(svc)) if (project.networks[key]?.external) return null;
    for (const v of svc.volumes) {
      if (v.type === 'volume' && v.source && project.volumes[v.source]?.external) return null;
      if (v.type === 'bind' && v.source && !v.bind?.create_host_path) out.push({ kind: 'path', path: v.source, seen: 'present' });
    }
    for (const [kind, refs, defs] of [['secrets', svc.secrets, project.secrets], ['configs', svc.configs, project.configs]] as const) {
      for (const ref of refs) {
        const file = defs[ref.source]?.file;
        if (file) out.push({ kind: 'tree', path: file, seen: digests[`${kind}/${ref.source}`] ?? 'missing' });
      }
    }
  }
  return out;
}

/**
 * Null when the engine and the evidence are exactly as the memo recorded them, so a full `up` would
 * plan nothing; otherwise what differs. Failures count as differences: the caller then runs the
 * full `up`, which reports errors properly.
 */
export async function whyNotNoop(runtime: ContainerRuntime, memo: NoopMemo): Promise<string | null> {
  try {
    const [evidence, state, images] = await Promise.all([
      evidenceDigest(memo.evidence),
      observe(runtime, memo.project),
      Promise.all(Object.entries(memo.images).map(async ([ref, id]) => ((await runtime.inspectImage(ref)).id === id ? null : ref))),
    ]);
    if (evidence !== memo.evidenceDigest) return 'a file it read changed';
    if (stateDigest(state) !== memo.stateDigest) return 'the project changed on the engine';
    const changed = images.filter((r) => r !== null);
    return changed.length ? `image ${changed.join(', ')} changed` : null;
  } catch (e) {
    return `cannot check: ${e instanceof Error ? e.message : String(e)}`;
  }
}
