/**
 * YAML text -> working trees, one per document (documents are layers merged in order).
 * Anchors, aliases and `<<` merge keys are expanded here; `!reset` / `!override` become markers;
 * duplicate keys and syntax errors become diagnostics with line and column.
 */
import { type Alias, type Document, isAlias, isMap, isPair, isScalar, isSeq, LineCounter, type Node, parseAllDocuments, visit } from 'yaml';
import { Diagnostics } from './diagnostics.js';
import { newTree, setKeyPos, setMarker, setSelfPos, type PathSeg, type Pos, type Tree } from './tree.js';

const RESET = Symbol('reset');

/**
 * Expanding aliases can blow up exponentially ("billion laughs"): what alias expansion adds to a
 * document is capped by output size, nodes and bytes, measured before an alias is expanded (sizes
 * are memoized per node, so measuring is linear in the text). Plain nodes are bounded by the text
 * itself, with a generous sanity cap.
 */
export const MAX_ALIAS_NODES = 50_000;
export const MAX_ALIAS_BYTES = 16 << 20;
const MAX_NODES = 5_000_000;
const MAX_DEPTH = 200;

export function parseYamlLayers(text: string, file: string): Tree[] {
  const lc = new LineCounter();
  const diags = new Diagnostics();
  // uniqueKeys off: yaml compares every key with every earlier one of its map (quadratic: 24,000
  // labels took 6 s); the Converter finds duplicates with a set instead.
  const docs = parseAllDocuments(text, { lineCounter: lc, merge: true, uniqueKeys: false, prettyErrors: false, strict: false, logLevel: 'error' });
  const pos = (offset: number): Pos => {
    const p = lc.linePos(offset);
    return { file, line: p.line, col: p.col };
  };
  if (!Array.isArray(docs)) return [];
  const layers: Tree[] = [];
  for (const doc of docs) {
    for (const e of doc.errors) {
      const message = e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
      diags.add(pos(e.pos[0]), undefined, message.startsWith('Map keys must be unique') ? 'duplicate key' + keyName(text, e.pos[0]) : message);
    }
    if (doc.errors.length > 0) continue;
    const conv = new Converter(doc, pos, diags);
    const contents = doc.contents;
    if (contents === null || (isScalar(contents) && contents.value === null)) continue; // empty document
    let value: unknown;
    try {
      value = conv.node(contents, 0);
    } catch (e) {
      if (e instanceof TooLarge) break;
      throw e;
    }
    if (value === undefined) continue;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      diags.add(pos(contents.range?.[0] ?? 0), undefined, 'top-level object must be a mapping');
      continue;
    }
    layers.push(value as Tree);
  }
  diags.throwIfAny();
  return layers;
}

function keyName(text: string, offset: number): string {
  const m = /^[ \t]*["']?([^:"'\n]+)/.exec(text.slice(offset, offset + 200));
  return m ? ` "${m[1]!.trim()}"` : '';
}

interface Size {
  nodes: number;
  bytes: number;
}

class Converter {
  private count = 0;
  private aliasNodes = 0;
  private aliasBytes = 0;
  private aliasDepth = 0;
  /**
   * Each alias's anchor, found in one walk of the document. yaml's own Alias.resolve walks the
   * whole document on every call: with thousands of aliases that was quadratic (10,000 aliases of
   * one scalar took 45 s).
   */
  private readonly targets = new Map<Alias, Node | undefined>();
  private readonly sizes = new Map<Node, Size>();
  /** Where the node being converted sits (for messages that name the mapping, as compose-go's do). */
  private readonly path: PathSeg[] = [];
  constructor(
    doc: Document,
    private readonly pos: (offset: number) => Pos,
    private readonly diags: Diagnostics,
  ) {
    // Document order, as Alias.resolve: an alias refers to the last anchor of its name before it.
    const anchors = new Map<string, Node>();
    visit(doc, {
      Node: (_key, node) => {
        if (isAlias(node)) this.targets.set(node, anchors.get(node.source));
        else if (node.anchor) anchors.set(node.anchor, node);
      },
    });
  }

  /** What expanding `n` produces, aliases included; a cycle through aliases is infinite. */
  private sizeOf(n: Node | null | undefined, open = new Set<Node>()): Size {
    if (!n) return { nodes: 1, bytes: 4 };
    const known = this.sizes.get(n);
    if (known) return known;
    // A cycle through aliases, or nesting deeper than conversion would allow anyway.
    if (open.has(n) || open.size > MAX_DEPTH) return { nodes: Infinity, bytes: Infinity };
    open.add(n);
    let size: Size;
    if (isAlias(n)) size = this.sizeOf(this.targets.get(n), open);
    else if (isScalar(n)) size = { nodes: 1, bytes: String(n.value ?? '').length };
    else if (isSeq(n) || isMap(n)) {
      size = { nodes: 1, bytes: 0 };
      for (const item of n.items as unknown[]) {
        const parts = isPair(item) ? [item.key as Node | null, item.value as Node | null] : [item as Node | null];
        for (const part of parts) {
          const s = this.sizeOf(part, open);
          size.nodes += s.nodes;
          size.bytes += s.bytes;
        }
      }
    } else size = { nodes: 1, bytes: 0 };
    open.delete(n);
    this.sizes.set(n, size);
    return size;
  }

  private at(n: Node | null | undefined): Pos | undefined {
    return n?.range ? this.pos(n.range[0]) : undefined;
  }

  node(n: Node | null | undefined, depth: number): unknown {
    if (++this.count > MAX_NODES || depth > MAX_DEPTH) {
      this.diags.add(this.at(n), undefined, 'document too large or too deeply nested (alias expansion?)');
      throw new TooLarge();
    }
    if (n === null || n === undefined) return null;
    if ((n as { tag?: string }).tag === '!reset') return RESET;
    return this.plain(n, depth);
  }

  // eslint-disable-next-line complexity -- 33: one branch per YAML node kind (alias, scalar, map, seq) and merge keys
  private plain(n: Node, depth: number): unknown {
    if (isAlias(n)) {
      const target = this.targets.get(n);
      if (!target) {
        this.diags.add(this.at(n), undefined, `unknown alias *${n.source}`);
        return null;
      }
      // Aliases inside an expansion are part of its measured size: count at the outermost one.
      if (this.aliasDepth === 0) {
        const s = this.sizeOf(target);
        this.aliasNodes += s.nodes;
        this.aliasBytes += s.bytes;
        if (this.aliasNodes > MAX_ALIAS_NODES || this.aliasBytes > MAX_ALIAS_BYTES) {
          const what = Number.isFinite(s.nodes) ? `${s.nodes} nodes, ${s.bytes} bytes` : 'itself (a cycle)';
          this.diags.add(
            this.at(n),
            undefined,
            `alias *${n.source} expands to ${what}: the aliases of this file would expand beyond ${MAX_ALIAS_NODES} nodes or ${MAX_ALIAS_BYTES >> 20} MiB`,
            'write the repeated part out, or use fewer nested anchors (a "billion laughs" document?)',
          );
          throw new TooLarge();
        }
      }
      this.aliasDepth++;
      try {
        return this.node(target, depth + 1);
      } finally {
        this.aliasDepth--;
      }
    }
    if (isScalar(n)) {
      const v = n.value;
      if (typeof v === 'bigint') return Number(v);
      // Compose (Go YAML) reads a leading-zero integer such as `mode: 0440` as octal; users rely on it.
      if (typeof v === 'number' && typeof n.source === 'string' && /^0[0-7]+$/.test(n.source)) return parseInt(n.source, 8);
      return v === undefined ? null : v;
    }
    if (isSeq(n)) {
      const out: unknown[] = [];
      setSelfPos(out, this.at(n));
      for (const item of n.items) {
        this.path.push(out.length);
        const v = this.node(item as Node, depth + 1);
        this.path.pop();
        if (v === RESET) continue;
        setKeyPos(out, out.length, this.at(item as Node));
        out.push(v);
      }
      return out;
    }
    if (isMap(n)) {
      const out = newTree();
      setSelfPos(out, this.at(n));
      const explicit = new Set<string>();
      const seenKeys = new Set<string>();
      const merged: Array<[string, unknown, Pos | undefined]> = [];
      for (const pair of n.items) {
        const k = pair.key as Node | null;
        if (isScalar(k) && typeof k.value === 'symbol') {
          // `<<: *a` or `<<: [*a, *b]`: earlier sources win, explicit keys win over all of them.
          const src = pair.value as Node | null;
          const sources = isSeq(src) ? (src.items as Node[]) : [src];
          for (const s of sources) {
            const v = this.node(s, depth + 1);
            if (v === null || typeof v !== 'object' || Array.isArray(v)) {
              this.diags.add(this.at(s), undefined, 'merge key << needs a mapping');
              continue;
            }
            for (const [mk, mv] of Object.entries(v as Tree)) merged.push([mk, mv, this.at(pair.key as Node)]);
          }
          continue;
        }
        if (k !== null && !isScalar(k)) {
          this.diags.add(this.at(k), undefined, 'mapping keys must be strings');
          continue;
        }
        // compose-go refuses a key YAML reads as a number, boolean or null (`123:`, `true:`, `~:`)
        // anywhere in the file ("non-string key in services: 123"), before anything else.
        if (k === null || typeof k.value !== 'string') {
          const shown = k === null || k.value === null ? 'null' : String(k.value);
          const hint = `quote it if it is meant as a name: "${shown}"`;
          // The diagnostic's path names the mapping (`services: non-string key 123`), as compose-go's "in services" does.
          if (this.path.length === 0) this.diags.add(this.at(k) ?? this.at(n), undefined, `non-string key at top level: ${shown}`, hint);
          else this.diags.add(this.at(k) ?? this.at(n), [...this.path], `non-string key ${shown}`, hint);
          continue;
        }
        const key = k === null ? '' : String(k.value);
        // Same value and type, as yaml's uniqueKeys compares (`1` and `"1"` are different keys).
        const identity = k === null ? 'null' : `${typeof k.value}:${key}`;
        if (seenKeys.has(identity)) {
          this.diags.add(this.at(k), undefined, `duplicate key "${key}"`);
          continue;
        }
        seenKeys.add(identity);
        if (key === '__proto__') {
          this.diags.add(this.at(k), undefined, 'the key "__proto__" is not allowed');
          continue;
        }
        explicit.add(key);
        this.path.push(key);
        const v = this.node(pair.value as Node, depth + 1);
        this.path.pop();
        if (v === RESET) {
          setMarker(out, key, 'reset');
          continue;
        }
        if ((pair.value as { tag?: string } | null)?.tag === '!override') setMarker(out, key, 'override');
        out[key] = v;
        setKeyPos(out, key, this.at(k) ?? this.at(pair.value as Node));
      }
      for (const [mk, mv, p] of merged) {
        if (explicit.has(mk) || mk in out) continue;
        out[mk] = mv;
        setKeyPos(out, mk, p);
      }
      return out;
    }
    return null;
  }
}

export class TooLarge extends Error {}
