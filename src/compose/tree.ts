/**
 * The loader's working tree: plain JSON-like values (objects with a null prototype, so a user key
 * such as `__proto__` is just a key) plus a side table of source positions. Positions hang off the
 * containers in a WeakMap, so they travel with the values through merges instead of being keyed by
 * a path that stops being true once lists are concatenated.
 */

export interface Pos {
  file: string;
  line: number;
  col: number;
}

export type Tree = { [key: string]: unknown };
export type PathSeg = string | number;

interface PosEntry {
  self?: Pos;
  keys: Map<PathSeg, Pos>;
}

/*
 * Side tables live on the containers under non-enumerable symbol keys rather than in WeakMaps:
 * a WeakMap with one entry per YAML node made garbage collection (ephemeron tracing) dominate
 * load time on large files. Symbol keys are invisible to Object.keys, zod, JSON and YAML output.
 */
const POS = Symbol('positions');
const MARKERS = Symbol('markers');
type WithSide = { [POS]?: PosEntry; [MARKERS]?: Map<string, MarkerKind> };

const positions = {
  get(c: object): PosEntry | undefined {
    return (c as WithSide)[POS];
  },
  set(c: object, e: PosEntry): void {
    Object.defineProperty(c, POS, { value: e, enumerable: false, writable: true, configurable: true });
  },
};

function entry(container: object): PosEntry {
  let e = positions.get(container);
  if (!e) {
    e = { keys: new Map() };
    positions.set(container, e);
  }
  return e;
}

export function newTree(): Tree {
  return Object.create(null) as Tree;
}

export function isTree(v: unknown): v is Tree {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function setSelfPos(container: object, pos: Pos | undefined): void {
  if (pos) entry(container).self = pos;
}
export function setKeyPos(container: object, key: PathSeg, pos: Pos | undefined): void {
  if (pos) entry(container).keys.set(key, pos);
}
export function selfPos(container: object): Pos | undefined {
  return positions.get(container)?.self;
}
/** Position of `container[key]`: the key's own position, else the container's. */
export function keyPos(container: object, key: PathSeg): Pos | undefined {
  const e = positions.get(container);
  return e?.keys.get(key) ?? e?.self;
}

/** Position of the value at `path` below root: the deepest position known along the way. */
export function locate(root: unknown, path: readonly PathSeg[]): Pos | undefined {
  let cur: unknown = root;
  let best: Pos | undefined = typeof root === 'object' && root !== null ? selfPos(root) : undefined;
  for (const seg of path) {
    if (typeof cur !== 'object' || cur === null) break;
    const p = positions.get(cur)?.keys.get(seg);
    if (p) best = p;
    cur = (cur as Record<PathSeg, unknown>)[seg];
  }
  return best;
}

/** `services.web.ports[1]`; keys with dots or brackets are quoted. */
export function formatPath(path: readonly PathSeg[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[A-Za-z0-9_-]+$/.test(seg)) out += out ? `.${seg}` : seg;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

/**
 * `!reset` / `!override` tags, kept beside the tree (like positions) so validation and
 * interpolation see plain values. A reset key is absent from its container; the merge that
 * layers this container over another removes the key there.
 */
export type MarkerKind = 'reset' | 'override';
const markers = {
  get(c: object): Map<string, MarkerKind> | undefined {
    return (c as WithSide)[MARKERS];
  },
  set(c: object, m: Map<string, MarkerKind>): void {
    Object.defineProperty(c, MARKERS, { value: m, enumerable: false, writable: true, configurable: true });
  },
};

export function setMarker(container: object, key: string, kind: MarkerKind): void {
  let m = markers.get(container);
  if (!m) markers.set(container, (m = new Map<string, MarkerKind>()));
  m.set(key, kind);
}
export function markersOf(container: object): ReadonlyMap<string, MarkerKind> | undefined {
  return markers.get(container);
}

/** Deep copy keeping positions (used when one subtree is reused, e.g. by extends). */
export function cloneTree<T>(v: T): T {
  if (Array.isArray(v)) {
    const out = v.map((x: unknown) => cloneTree(x));
    copyPositions(v, out);
    return out as T;
  }
  if (isTree(v)) {
    const out = newTree();
    for (const k of Object.keys(v)) out[k] = cloneTree(v[k]);
    copyPositions(v, out);
    return out as T;
  }
  return v;
}

function copyPositions(from: object, to: object): void {
  const e = positions.get(from);
  const m = markers.get(from);
  if (m) markers.set(to, new Map(m));
  if (!e) return;
  positions.set(to, { self: e.self, keys: new Map(e.keys) });
}
