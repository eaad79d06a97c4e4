/**
 * Fast path of YAML parsing: js-yaml (about 5x faster than `yaml`) builds the same plain trees
 * as parse.ts, without positions. Anything it cannot represent exactly as parse.ts would, and
 * anything that parse.ts would report, throws FastPathUnsupported: loadProject then loads again
 * with the precise parser, which produces every diagnostic with file:line:col.
 */
import jsyaml from 'js-yaml';
import { newTree, setMarker, type Tree } from './tree.js';

/** Text -> one tree per non-empty document. parse.ts's parseYamlLayers is the precise one. */
export type YamlParser = (text: string, file: string) => Tree[];

export class FastPathUnsupported extends Error {}

const bail = (why: string): never => {
  throw new FastPathUnsupported(why);
};

class Reset {}
class Override {
  constructor(readonly value: unknown) {}
}
/** A leading-zero integer: octal as a value (Go YAML, like parse.ts); as a key it makes us bail. */
class LeadingZero {
  constructor(readonly value: number) {}
}

// The YAML 1.2 core schema exactly as `yaml` resolves it (yaml/dist/schema/core, common/null).
const nullType = new jsyaml.Type('tag:yaml.org,2002:null', {
  kind: 'scalar',
  resolve: (s: string | null) => s === null || /^(?:~|[Nn]ull|NULL)?$/.test(s),
  construct: () => null,
});
const boolType = new jsyaml.Type('tag:yaml.org,2002:bool', {
  kind: 'scalar',
  resolve: (s: string | null) => s !== null && /^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/.test(s),
  construct: (s: string) => s[0] === 't' || s[0] === 'T',
});
const intType = new jsyaml.Type('tag:yaml.org,2002:int', {
  kind: 'scalar',
  resolve: (s: string | null) => s !== null && /^(?:0o[0-7]+|[-+]?[0-9]+|0x[0-9a-fA-F]+)$/.test(s),
  construct: (s: string) => {
    if (s.startsWith('0o')) return parseInt(s.slice(2), 8);
    if (s.startsWith('0x')) return parseInt(s.slice(2), 16);
    if (/^0[0-7]+$/.test(s)) return new LeadingZero(parseInt(s, 8));
    return parseInt(s, 10);
  },
});
const floatType = new jsyaml.Type('tag:yaml.org,2002:float', {
  kind: 'scalar',
  resolve: (s: string | null) =>
    s !== null &&
    (/^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/.test(s) ||
      /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/.test(s) ||
      /^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/.test(s)),
  construct: (s: string) => {
    if (/^[-+]?\.(?:inf|Inf|INF)$/.test(s)) return s[0] === '-' ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
    if (/^\.(?:nan|NaN|NAN)$/.test(s)) return NaN;
    return parseFloat(s);
  },
});
// `yaml` leaves these tags unresolved: a tagged scalar is a string ('' when empty).
const tagged = (tag: string, make: (v: unknown) => unknown) =>
  (['mapping', 'sequence', 'scalar'] as const).map(
    (kind) =>
      new jsyaml.Type(tag, {
        kind,
        resolve: () => true,
        construct: (d: unknown) => make(kind === 'scalar' ? String(d ?? '') : d),
      }),
  );
const SCHEMA = new jsyaml.Schema({
  implicit: [nullType, boolType, intType, floatType],
  explicit: [...tagged('!reset', () => new Reset()), ...tagged('!override', (v) => new Override(v))],
});

// Same limits as parse.ts, with margin: over them, the precise parser decides.
const MAX_DEPTH = 90;
const MAX_NODES = 1_000_000;
const MAX_ALIAS_NODES = 50_000;

export const parseYamlLayersFast: YamlParser = (text) => {
  // Directives (%YAML 1.1 changes the schema), quoted merge keys, __proto__: precise path.
  if (/^%/m.test(text) || text.includes('"<<"') || text.includes("'<<'") || text.includes('__proto__')) bail('unsupported construct');
  // js-yaml is more lenient than `yaml` about tabs and about the indentation of flow collections
  // and quoted scalars that span lines: those go to the precise parser.
  if (text.includes('\t') || spansLines(text)) bail('tabs or multi-line flow/quoted scalars');
  let docs: unknown[];
  try {
    docs = jsyaml.loadAll(text, undefined, { schema: SCHEMA, json: false });
  } catch {
    return bail('js-yaml error');
  }
  const conv = new FastConverter();
  const layers: Tree[] = [];
  for (const doc of docs) {
    if (doc === null || doc === undefined) continue; // empty document
    const v = conv.node(doc, 0);
    if (typeof v !== 'object' || v === null || Array.isArray(v) || v instanceof Reset) bail('top level is not a mapping');
    layers.push(v as Tree);
  }
  let stars = 0;
  for (let i = text.indexOf('*'); i >= 0; i = text.indexOf('*', i + 1)) stars++;
  if (2 * conv.repeated + stars > MAX_ALIAS_NODES) bail('alias expansion near the limit');
  return layers;
};

// Characters after which a quote or bracket may open a node: space [ { , : - ? ! & and line start.
const SEPARATOR = new Uint8Array(128);
for (const c of ' [{,:-?!&\n') SEPARATOR[c.charCodeAt(0)] = 1;
const NL = 10, HASH = 35, DQ = 34, SQ = 39, BS = 92, LB = 91, RB = 93, LC = 123, RC = 125, SP = 32;

/**
 * Whether a flow collection or quoted scalar may continue on the next line. Conservative: a quote
 * or bracket after a separator counts as an opener even inside a plain scalar or block scalar.
 */
function spansLines(text: string): boolean {
  let depth = 0;
  let quote = 0;
  let prev = NL;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === NL) {
      if (depth > 0 || quote !== 0) return true;
      prev = c;
      continue;
    }
    if (quote !== 0) {
      if (quote === DQ && c === BS) {
        if (text.charCodeAt(i + 1) === NL) return true; // an escaped line break continues the scalar
        i++;
      }
      else if (c === quote) quote = 0;
      prev = 0;
      continue;
    }
    if (c === HASH && (prev === NL || prev === SP)) {
      const eol = text.indexOf('\n', i);
      if (eol < 0) break;
      i = eol - 1;
      continue;
    }
    const opener = prev < 128 && SEPARATOR[prev] === 1;
    if ((c === DQ || c === SQ) && opener) quote = c;
    else if ((c === LB || c === LC) && (opener || depth > 0)) depth++;
    else if ((c === RB || c === RC) && depth > 0) depth--;
    prev = c;
  }
  return depth > 0 || quote !== 0;
}

/** How js-yaml stringifies a number or boolean key (a quoted "123" looks the same: the precise parser tells them apart). */
const NON_STRING_KEY = /^(?:-?\d+(?:\.\d+)?(?:e[+-]\d+)?|-?Infinity|NaN|true|false)$/;

class FastConverter {
  private count = 0;
  /** Nodes converted again because a container was reached a second time (an alias). */
  repeated = 0;
  private aliasDepth = 0;
  private readonly seen = new Set<object>();
  private readonly mergeLists = new Set<object>();

  node(v: unknown, depth: number): unknown {
    if (++this.count > MAX_NODES || depth > MAX_DEPTH) bail('too large');
    // Near the alias bound the precise parser decides (and says where): stop walking at once.
    if (this.aliasDepth > 0 && ++this.repeated > MAX_ALIAS_NODES) bail('alias expansion near the limit');
    if (v === null || typeof v !== 'object') return v === undefined ? null : v;
    if (v instanceof LeadingZero) return v.value;
    if (v instanceof Reset) return v;
    if (v instanceof Override) return this.node(v.value, depth);
    if (this.mergeLists.has(v)) bail('merge list reused');
    const again = this.seen.has(v);
    this.seen.add(v);
    if (again) this.aliasDepth++;
    try {
      return Array.isArray(v) ? this.seq(v, depth) : this.map(v as Record<string, unknown>, depth);
    } finally {
      if (again) this.aliasDepth--;
    }
  }

  private seq(items: unknown[], depth: number): unknown[] {
    const out: unknown[] = [];
    for (const item of items) {
      const v = this.node(item, depth + 1);
      if (v instanceof Reset) continue;
      out.push(v);
    }
    return out;
  }

  private map(m: Record<string, unknown>, depth: number): Tree {
    if (Object.getPrototypeOf(m) !== Object.prototype) bail('unexpected object');
    const out = newTree();
    const explicit = new Set<string>();
    const merged: Array<[string, unknown]> = [];
    for (const key of Object.keys(m)) {
      // js-yaml stringifies keys: null keys, non-scalar keys and our markers are ambiguous.
      if (key === 'null' || key === '' || key.startsWith('[object ') || key.includes(',')) bail('ambiguous key');
      // A key js-yaml read as a number or boolean (`123:`, `true:`) is refused by compose-go: parse.ts says where.
      if (NON_STRING_KEY.test(key)) bail('key may not be a string');
      const raw = m[key];
      if (key === '<<') {
        const sources = Array.isArray(raw) ? raw : [raw];
        if (Array.isArray(raw)) {
          if (this.seen.has(raw) || this.mergeLists.has(raw)) bail('merge list is an alias');
          this.mergeLists.add(raw);
        }
        for (const s of sources) {
          if (s === null || typeof s !== 'object' || Array.isArray(s) || s instanceof Reset || s instanceof Override || s instanceof LeadingZero) {
            bail('merge source is not a mapping');
          }
          const v = this.node(s, depth + 1) as Tree;
          for (const [mk, mv] of Object.entries(v)) merged.push([mk, mv]);
        }
        continue;
      }
      explicit.add(key);
      const v = this.node(raw, depth + 1);
      if (v instanceof Reset) {
        setMarker(out, key, 'reset');
        continue;
      }
      if (raw instanceof Override) setMarker(out, key, 'override');
      out[key] = v;
    }
    for (const [mk, mv] of merged) {
      if (explicit.has(mk) || mk in out) continue;
      out[mk] = mv;
    }
    return out;
  }
}
