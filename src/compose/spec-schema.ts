/**
 * The compose-spec JSON schema's judgement of one compose file: which keys are known where, which
 * JSON types a value may have, enums, patterns, ranges, required keys and unique list items.
 * The schema itself is spec-schema.generated.ts (made by scripts/gen-compose-schema.mjs from the
 * copy compose-go embeds, the one `docker compose` validates with); this module only walks it.
 *
 * Like compose-go, strings at the paths compose-go's interpolation casts (`init: "yes"`,
 * `deploy.replicas: "3"`) are read as the boolean or number first, and a string that does not
 * cast is an error; with `--no-interpolate` nothing is cast.
 */
import { SPEC_ROOT } from './spec-schema.generated.js';
import type { PathSeg } from './tree.js';

/** A JSON schema type name. */
export type SpecType = 'array' | 'boolean' | 'integer' | 'null' | 'number' | 'object' | 'string';

/** One sub-schema, reduced to the keywords the compose-spec uses (see the generator). */
export interface SpecNode {
  readonly types?: readonly SpecType[];
  readonly enum?: readonly (string | number | boolean | null)[];
  /** Unanchored, as JSON schema patterns are: it must match somewhere in the string. */
  readonly pattern?: string;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly properties?: Readonly<Record<string, SpecNode>>;
  readonly patternProperties?: readonly (readonly [string, SpecNode])[];
  /** false: keys matched by neither `properties` nor `patternProperties` are errors. Absent: allowed, unchecked. */
  readonly additionalProperties?: false | SpecNode;
  readonly required?: readonly string[];
  readonly items?: SpecNode;
  readonly uniqueItems?: boolean;
  /** Exactly one branch must match. */
  readonly oneOf?: readonly SpecNode[];
  readonly deprecated?: boolean;
}

export type SpecIssueCode = 'unknown-key' | 'invalid-name' | 'type' | 'enum' | 'pattern' | 'range' | 'required' | 'unique' | 'cast' | 'one-of';

/** One thing the schema refuses, at the path of the offending value (or of the missing key). */
export interface SpecIssue {
  readonly path: readonly PathSeg[];
  readonly code: SpecIssueCode;
  readonly message: string;
  readonly hint?: string;
  /** For unknown keys: the keys this object knows, for "did you mean". */
  readonly known?: readonly string[];
}

export interface SpecOptions {
  /** Cast strings at compose-go's type-cast paths before checking them (true when interpolating). */
  casts: boolean;
}

type Cast = 'int' | 'float' | 'bool';

/**
 * compose-go's interpolation type casts (loader/interpolate.go, interpolateTypeCastMapping):
 * `*` is any key, `[]` any list index. Written out here, not generated: it is loader code, not
 * part of the schema file.
 */
const CASTS: readonly (readonly [readonly string[], Cast])[] = [
  ...(
    [
      [['cpu_count'], 'int'], [['cpu_percent'], 'float'], [['cpu_period'], 'int'], [['cpu_quota'], 'int'],
      [['cpu_rt_period'], 'int'], [['cpu_rt_runtime'], 'int'], [['cpus'], 'float'], [['cpu_shares'], 'int'],
      [['init'], 'bool'], [['depends_on', '*', 'required'], 'bool'], [['depends_on', '*', 'restart'], 'bool'],
      [['deploy', 'replicas'], 'int'], [['deploy', 'update_config', 'parallelism'], 'int'],
      [['deploy', 'update_config', 'max_failure_ratio'], 'float'], [['deploy', 'rollback_config', 'parallelism'], 'int'],
      [['deploy', 'rollback_config', 'max_failure_ratio'], 'float'], [['deploy', 'restart_policy', 'max_attempts'], 'int'],
      [['deploy', 'placement', 'max_replicas_per_node'], 'int'], [['healthcheck', 'retries'], 'int'],
      [['healthcheck', 'disable'], 'bool'], [['oom_kill_disable'], 'bool'], [['oom_score_adj'], 'int'],
      [['pids_limit'], 'int'], [['ports', '[]', 'target'], 'int'], [['privileged'], 'bool'], [['read_only'], 'bool'],
      [['scale'], 'int'], [['stdin_open'], 'bool'], [['tty'], 'bool'], [['ulimits', '*'], 'int'],
      [['ulimits', '*', 'hard'], 'int'], [['ulimits', '*', 'soft'], 'int'], [['volumes', '[]', 'read_only'], 'bool'],
      [['volumes', '[]', 'volume', 'nocopy'], 'bool'],
    ] as const
  ).map(([p, c]) => [['services', '*', ...p], c] as const),
  ...(['external', 'internal', 'attachable', 'enable_ipv4', 'enable_ipv6'] as const).map((k) => [['networks', '*', k], 'bool'] as const),
  ...(['volumes', 'secrets', 'configs'] as const).map((k) => [[k, '*', 'external'], 'bool'] as const),
];

function castFor(path: readonly PathSeg[]): Cast | undefined {
  for (const [pattern, cast] of CASTS) {
    if (pattern.length !== path.length) continue;
    if (pattern.every((p, i) => (p === '[]' ? typeof path[i] === 'number' : p === '*' ? typeof path[i] === 'string' : p === path[i]))) return cast;
  }
  return undefined;
}

/** Go's strconv.Atoi / ParseInt (base 10), ParseFloat, and compose-go's toBoolean. */
function applyCast(cast: Cast, s: string): { value: unknown } | undefined {
  if (cast === 'int') return /^[+-]?\d+$/.test(s) ? { value: Number(s) } : undefined;
  if (cast === 'float') {
    if (/^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(s)) return { value: Number(s) };
    if (/^[+-]?(inf|infinity)$/i.test(s)) return { value: s.startsWith('-') ? -Infinity : Infinity };
    return /^nan$/i.test(s) ? { value: NaN } : undefined;
  }
  const w = s.toLowerCase();
  if (['true', 'y', 'yes', 'on'].includes(w)) return { value: true };
  if (['false', 'n', 'no', 'off'].includes(w)) return { value: false };
  return undefined;
}

const CAST_NAMES: Record<Cast, string> = { int: 'an integer', float: 'a number', bool: 'a boolean' };

const regexps = new Map<string, RegExp>();
function regexp(pattern: string): RegExp {
  let r = regexps.get(pattern);
  if (!r) regexps.set(pattern, (r = new RegExp(pattern, 'u')));
  return r;
}

function jsonType(v: unknown): Exclude<SpecType, 'integer'> {
  if (v === null || v === undefined) return 'null';
  if (Array.isArray(v)) return 'array';
  switch (typeof v) {
    case 'string':
      return 'string';
    case 'number':
    case 'bigint':
      return 'number';
    case 'boolean':
      return 'boolean';
    default:
      return 'object';
  }
}

function hasType(types: readonly SpecType[], v: unknown): boolean {
  const t = jsonType(v);
  if (types.includes(t)) return true;
  return t === 'number' && types.includes('integer') && Number.isInteger(v);
}

/** The types a node can accept at its top (through oneOf); undefined = any. */
function topTypes(n: SpecNode): readonly SpecType[] | undefined {
  if (n.types) return n.types;
  if (!n.oneOf) return undefined;
  const out = new Set<SpecType>();
  for (const b of n.oneOf) {
    const t = topTypes(b);
    if (!t) return undefined;
    for (const x of t) out.add(x);
  }
  return [...out];
}

const TYPE_NAMES: Record<SpecType, string> = {
  array: 'a list',
  boolean: 'a boolean',
  integer: 'an integer',
  null: 'null',
  number: 'a number',
  object: 'a mapping',
  string: 'a string',
};

/** `must be a string or a list`, in a stable order (integer folded into number when both). */
export function describeTypes(types: readonly SpecType[]): string {
  const order: SpecType[] = ['string', 'number', 'integer', 'boolean', 'array', 'object', 'null'];
  const set = new Set(types);
  if (set.has('number')) set.delete('integer');
  return order.filter((t) => set.has(t)).map((t) => TYPE_NAMES[t]).join(' or ');
}

function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

const NAME_PATTERN = '^[a-zA-Z0-9._-]+$';

/** Validates `value` (a whole compose file by default) against the schema; all issues, in document order. */
export function validateSpec(value: unknown, opts: SpecOptions, node: SpecNode = SPEC_ROOT, path: readonly PathSeg[] = []): SpecIssue[] {
  const out: SpecIssue[] = [];
  check(value, node, [...path], opts, out);
  return out;
}

function check(v: unknown, n: SpecNode, path: PathSeg[], opts: SpecOptions, out: SpecIssue[]): void {
  if (typeof v === 'string' && opts.casts) {
    const cast = castFor(path);
    if (cast) {
      const c = applyCast(cast, v);
      if (!c) {
        out.push({ path: [...path], code: 'cast', message: `must be ${CAST_NAMES[cast]}` });
        return;
      }
      v = c.value;
    }
  }
  if (n.oneOf) {
    checkOneOf(v, n.oneOf, path, opts, out);
    // A node with oneOf and other keywords is not in the compose-spec; the generator would still
    // emit them, so they are checked too.
  }
  if (n.types && !hasType(n.types, v)) {
    out.push({ path: [...path], code: 'type', message: `must be ${describeTypes(n.types)}` });
    return;
  }
  if (n.enum && !n.enum.some((e) => e === v)) {
    out.push({ path: [...path], code: 'enum', message: `must be one of ${n.enum.map((e) => JSON.stringify(e)).join('|')}` });
  }
  if (typeof v === 'string' && n.pattern !== undefined && !regexp(n.pattern).test(v)) out.push(patternIssue(v, n.pattern, path));
  if (typeof v === 'number') {
    if (n.minimum !== undefined && v < n.minimum) out.push({ path: [...path], code: 'range', message: `must be at least ${n.minimum}` });
    if (n.maximum !== undefined && v > n.maximum) out.push({ path: [...path], code: 'range', message: `must be at most ${n.maximum}` });
  }
  if (Array.isArray(v)) checkArray(v, n, path, opts, out);
  else if (v !== null && typeof v === 'object') checkObject(v as Record<string, unknown>, n, path, opts, out);
}

function checkArray(v: unknown[], n: SpecNode, path: PathSeg[], opts: SpecOptions, out: SpecIssue[]): void {
  if (n.items) {
    for (let i = 0; i < v.length; i++) {
      path.push(i);
      check(v[i], n.items, path, opts, out);
      path.pop();
    }
  }
  if (n.uniqueItems) {
    const seen = new Map<string, number>();
    v.forEach((x, i) => {
      const key = canonicalJson(x);
      const first = seen.get(key);
      if (first === undefined) seen.set(key, i);
      else out.push({ path: [...path, i], code: 'unique', message: `duplicate entry ${typeof x === 'string' ? `"${x}"` : key} (the same as item ${first})`, hint: 'list it once' });
    });
  }
}

function checkObject(o: Record<string, unknown>, n: SpecNode, path: PathSeg[], opts: SpecOptions, out: SpecIssue[]): void {
  const props = n.properties ?? {};
  for (const r of n.required ?? []) {
    if (o[r] === undefined) out.push({ path: [...path, r], code: 'required', message: 'is required' });
  }
  for (const key of Object.keys(o)) {
    path.push(key);
    let matched = false;
    const own = Object.prototype.hasOwnProperty.call(props, key) ? props[key] : undefined;
    if (own) {
      matched = true;
      check(o[key], own, path, opts, out);
    }
    for (const [pattern, sub] of n.patternProperties ?? []) {
      if (!regexp(pattern).test(key)) continue;
      matched = true;
      check(o[key], sub, path, opts, out);
    }
    if (!matched && n.additionalProperties === false) out.push(unknownKey(key, n, path));
    else if (!matched && n.additionalProperties) check(o[key], n.additionalProperties, path, opts, out);
    path.pop();
  }
}

/**
 * The schema's two value patterns, said in words (a regular expression is no message); any other
 * pattern a newer schema adds is shown as it is.
 */
function patternIssue(v: string, pattern: string, path: readonly PathSeg[]): SpecIssue {
  const key = path[path.length - 1];
  const at = { path: [...path], code: 'pattern' as const };
  if (key === 'pull_policy') {
    const hint = 'e.g. every_12h, every_30m; or daily, weekly, always, missing, never, build';
    if (v.startsWith('every_')) return { ...at, message: `pull_policy ${JSON.stringify(v)}: expected every_ followed by a duration`, hint };
    return { ...at, message: `pull_policy ${JSON.stringify(v)}: expected always, never, missing, if_not_present, build, refresh, daily, weekly or every_<duration>`, hint };
  }
  if (key === 'container_name') {
    return { ...at, message: `invalid container name ${JSON.stringify(v)}`, hint: 'use at least two characters: a letter or digit, then letters, digits, "_", "." or "-"' };
  }
  return { ...at, message: `${JSON.stringify(v)} does not match ${pattern}` };
}

/** A key nothing in the object's schema matches: a misspelt key, or a name the name pattern refuses. */
function unknownKey(key: string, n: SpecNode, path: readonly PathSeg[]): SpecIssue {
  const names = (n.patternProperties ?? []).map(([p]) => p).filter((p) => p !== '^x-');
  if (!n.properties && names.length > 0) {
    const what = path.length === 2 && path[0] === 'services' ? 'service name' : 'name';
    const hint = names.includes(NAME_PATTERN) ? 'use letters, digits, ".", "_" and "-"' : `names must match ${names.join(' or ')}`;
    return { path: [...path], code: 'invalid-name', message: `invalid ${what} "${key}"`, hint };
  }
  return { path: [...path], code: 'unknown-key', message: `unknown key "${key}"`, known: Object.keys(n.properties ?? {}) };
}

function checkOneOf(v: unknown, branches: readonly SpecNode[], path: PathSeg[], opts: SpecOptions, out: SpecIssue[]): void {
  const results = branches.map((b) => {
    const issues: SpecIssue[] = [];
    check(v, b, path, opts, issues);
    return issues;
  });
  const ok = results.filter((r) => r.length === 0).length;
  if (ok === 1) return;
  if (ok > 1) {
    out.push({ path: [...path], code: 'one-of', message: 'matches more than one of the forms the compose-spec allows here' });
    return;
  }
  // The branch that takes this kind of value is the one the user meant: report what is wrong inside it.
  const fitting = results.filter((_r, i) => {
    const t = topTypes(branches[i]!);
    return t === undefined || hasType(t, v);
  });
  if (fitting.length > 0) {
    const deepest = (r: SpecIssue[]) => Math.max(...r.map((x) => x.path.length));
    out.push(...fitting.reduce((a, b) => (deepest(b) > deepest(a) ? b : a)));
    return;
  }
  const all = new Set<SpecType>();
  for (const b of branches) for (const t of topTypes(b) ?? []) all.add(t);
  out.push({ path: [...path], code: 'type', message: `must be ${describeTypes([...all])}` });
}
