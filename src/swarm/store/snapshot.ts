import { canonicalJson } from './canonical-json.js';
import { deepFreeze } from './deep-freeze.js';
import { InvalidCommandError } from './errors.js';
import { KIND_INFO, KINDS, type Kind, type StoreObject } from './kinds.js';
import type { StoreState } from './state.js';

/**
 * Snapshot bytes: canonical JSON `{"index":N,"objects":{"<kind>":[...sorted by id]},"v":1}`.
 * Canonical (sorted keys, sorted lists) so equal states give equal bytes on every replica.
 */
export const SNAPSHOT_FORMAT_VERSION = 1;

export function encodeSnapshot(state: StoreState): Uint8Array {
  const objects: Record<string, StoreObject[]> = {};
  for (const k of KINDS) objects[k] = state.list(k);
  return new TextEncoder().encode(canonicalJson({ v: SNAPSHOT_FORMAT_VERSION, index: state.appliedIndex, objects }));
}

export interface DecodedSnapshot {
  index: number;
  objects: Map<Kind, StoreObject[]>;
}

/**
 * Decode and check a snapshot completely (schemas, duplicate ids, unique names, versions not
 * after the snapshot index) before anything is replaced. Throws {@link InvalidCommandError}.
 */
export function decodeSnapshot(bytes: Uint8Array): DecodedSnapshot {
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (e) {
    throw bad('snapshot is not UTF-8 JSON', e);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw bad('snapshot is not a JSON object');
  const r = raw as Record<string, unknown>;
  if (r['v'] !== SNAPSHOT_FORMAT_VERSION) {
    throw new InvalidCommandError('unsupported-version', `snapshot format version ${String(r['v'])} is not supported (this build reads ${SNAPSHOT_FORMAT_VERSION})`);
  }
  const index = r['index'];
  if (typeof index !== 'number' || !Number.isSafeInteger(index) || index < 0) throw bad('snapshot index is not a non-negative integer');
  const objs = r['objects'];
  if (objs === null || typeof objs !== 'object' || Array.isArray(objs)) throw bad('snapshot has no "objects" map');
  for (const k of Object.keys(objs)) if (!(KINDS as readonly string[]).includes(k)) throw bad(`snapshot holds unknown kind "${k}"`);

  const objects = new Map<Kind, StoreObject[]>();
  for (const k of KINDS) {
    const list = (objs as Record<string, unknown>)[k] ?? [];
    if (!Array.isArray(list)) throw bad(`snapshot objects.${k} is not a list`);
    const ids = new Set<string>();
    const names = new Set<string>();
    const out: StoreObject[] = [];
    list.forEach((o, i) => {
      const p = KIND_INFO[k].full.safeParse(o);
      if (!p.success) throw bad(`snapshot objects.${k}[${i}]: ${p.error.issues[0]?.message ?? 'invalid'}`);
      const obj = p.data as StoreObject;
      if (ids.has(obj.id)) throw bad(`snapshot holds ${k}/${obj.id} twice`);
      ids.add(obj.id);
      const nameOf = KIND_INFO[k].nameOf;
      if (nameOf !== undefined) {
        if (names.has(nameOf(obj))) throw bad(`snapshot holds two ${k} objects named "${nameOf(obj)}"`);
        names.add(nameOf(obj));
      }
      if (obj.meta.version > index) throw bad(`snapshot ${k}/${obj.id} has version ${obj.meta.version} after the snapshot index ${index}`);
      out.push(deepFreeze(obj));
    });
    objects.set(k, out);
  }
  return { index, objects };
}

function bad(message: string, cause?: unknown): InvalidCommandError {
  return new InvalidCommandError('bad-snapshot', message, cause === undefined ? {} : { cause });
}
