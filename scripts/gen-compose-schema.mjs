#!/usr/bin/env node
// Generates src/compose/spec-schema.generated.ts from the compose-spec JSON schema that
// docker compose v2 validates with (compose-go's schema/compose-spec.json).
//
//   node scripts/gen-compose-schema.mjs PATH/TO/compose-spec.json [SOURCE-LABEL] > src/compose/spec-schema.generated.ts
//
// SOURCE-LABEL names where the file came from (e.g. "compose-go e70e961c... schema/compose-spec.json");
// it goes into the header with the file's sha256, so a reader can tell which schema the module
// reflects and a regeneration from the same file gives the same bytes.
//
// The output is not the JSON: it is our own compact graph of the keywords the schema uses
// (types, enum, pattern, minimum/maximum, properties, patternProperties, additionalProperties,
// required, items, uniqueItems, oneOf, deprecated), descriptions and defaults dropped, `$ref`s
// resolved into named constants, and structurally equal nodes shared. Any keyword outside that
// set makes the script fail, so a new schema construct cannot be silently ignored.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Keywords we translate; the rest are annotations we may drop. */
const HANDLED = new Set(['type', 'enum', 'pattern', 'minimum', 'maximum', 'properties', 'patternProperties', 'additionalProperties', 'required', 'items', 'uniqueItems', 'oneOf', '$ref', 'deprecated']);
const DROPPED = new Set(['description', 'default', 'title', '$id', '$schema', '$defs', 'definitions', '$comment', 'examples']);

/**
 * Schema text -> TypeScript module text. Pure, so tests can check it is deterministic.
 * @param {string} text the JSON schema
 * @param {string} source what the header says the schema is
 */
export function generate(text, source) {
  const schema = JSON.parse(text);
  const sha = createHash('sha256').update(text).digest('hex');
  const defs = schema.$defs ?? schema.definitions ?? {};
  // Every node becomes a placeholder name (@n3@, @def_service@) for its expression; the output
  // inlines the nodes used once and writes the others (and every $def) as constants.
  /** Placeholder -> expression (which may name other placeholders). */
  const consts = new Map();
  /** Expression -> its placeholder, so structurally equal nodes are one constant. */
  const byKey = new Map();
  /** Placeholder -> how many places name it. */
  const useCount = new Map();
  const defNames = new Map();
  /** $defs being translated: a $ref back to one of them is recursion, which constants cannot express. */
  const inProgress = new Set();

  const refName = (ref) => {
    const m = /^#\/(?:\$defs|definitions)\/([A-Za-z0-9_]+)$/.exec(ref);
    if (!m || !(m[1] in defs)) throw new Error(`unsupported $ref ${ref}`);
    return m[1];
  };

  /** Returns a TS expression for node `n` at schema location `where`. */
  const node = (n, where) => {
    if (n === true || (typeof n === 'object' && n !== null && Object.keys(n).every((k) => DROPPED.has(k)))) return 'ANY';
    if (typeof n !== 'object' || n === null) throw new Error(`${where}: unsupported schema ${JSON.stringify(n)}`);
    for (const k of Object.keys(n)) if (!HANDLED.has(k) && !DROPPED.has(k)) throw new Error(`${where}: unsupported keyword "${k}"`);
    if (n.$ref !== undefined) {
      if (Object.keys(n).some((k) => k !== '$ref' && !DROPPED.has(k))) throw new Error(`${where}: $ref beside other keywords`);
      return def(refName(n.$ref));
    }
    const parts = [];
    if (n.type !== undefined) parts.push(`types: ${JSON.stringify(Array.isArray(n.type) ? [...n.type].sort() : [n.type])}`);
    if (n.enum !== undefined) parts.push(`enum: ${JSON.stringify(n.enum)}`);
    if (n.pattern !== undefined) parts.push(`pattern: ${JSON.stringify(n.pattern)}`);
    if (n.minimum !== undefined) parts.push(`minimum: ${n.minimum}`);
    if (n.maximum !== undefined) parts.push(`maximum: ${n.maximum}`);
    if (n.properties !== undefined) {
      const props = Object.keys(n.properties).sort().map((k) => `${JSON.stringify(k)}: ${node(n.properties[k], `${where}.properties.${k}`)}`);
      parts.push(`properties: { ${props.join(', ')} }`);
    }
    if (n.patternProperties !== undefined) {
      const pats = Object.keys(n.patternProperties).sort().map((k) => `[${JSON.stringify(k)}, ${node(n.patternProperties[k], `${where}.patternProperties.${k}`)}]`);
      parts.push(`patternProperties: [${pats.join(', ')}]`);
    }
    if (n.additionalProperties !== undefined) {
      parts.push(`additionalProperties: ${n.additionalProperties === false ? 'false' : node(n.additionalProperties, `${where}.additionalProperties`)}`);
    }
    if (n.required !== undefined) parts.push(`required: ${JSON.stringify([...n.required].sort())}`);
    if (n.items !== undefined) parts.push(`items: ${node(n.items, `${where}.items`)}`);
    if (n.uniqueItems === true) parts.push('uniqueItems: true');
    if (n.oneOf !== undefined) parts.push(`oneOf: [${n.oneOf.map((b, i) => node(b, `${where}.oneOf[${i}]`)).join(', ')}]`);
    if (n.deprecated === true) parts.push('deprecated: true');
    return share(`{ ${parts.join(', ')} }`);
  };

  /** The placeholder of an expression, counting the use; shared nodes become constants below. */
  const share = (expr) => {
    let name = byKey.get(expr);
    if (!name) {
      name = `@n${byKey.size}@`;
      byKey.set(expr, name);
      consts.set(name, expr);
    }
    useCount.set(name, (useCount.get(name) ?? 0) + 1);
    return name;
  };

  const def = (name) => {
    const id = `@def_${name}@`;
    if (defNames.has(name)) return id;
    if (inProgress.has(name)) throw new Error(`recursive $ref to ${name}: not supported by the generated constants`);
    inProgress.add(name);
    const expr = node(defs[name], `$defs.${name}`);
    inProgress.delete(name);
    defNames.set(name, id);
    consts.set(id, expr);
    return id;
  };

  const root = node(schema, '#');
  consts.set('@ROOT@', root);

  // Inline anonymous constants used once, so the output reads like the schema's own nesting.
  const inlined = new Map();
  const expand = (expr) =>
    expr.replace(/@n\d+@/g, (m) => {
      if ((useCount.get(m) ?? 0) > 1) return m;
      if (!inlined.has(m)) inlined.set(m, expand(consts.get(m)));
      return inlined.get(m);
    });
  const lines = [];
  const emitted = new Set();
  const order = [];
  // Dependency order: a constant after every constant it names.
  const visit = (name) => {
    if (emitted.has(name)) return;
    emitted.add(name);
    const expr = consts.get(name);
    // Single-use anonymous nodes are walked through (their dependencies come first too).
    for (const dep of expr.match(/@(?:n\d+|def_[A-Za-z0-9_]+)@/g) ?? []) visit(dep);
    if (name === '@ROOT@' || name.startsWith('@def_') || (useCount.get(name) ?? 0) > 1) order.push(name);
  };
  visit('@ROOT@');
  // Final identifiers: SPEC_ROOT, def_<schema name>, s0, s1... for shared nodes in output order.
  let shared = 0;
  const rename = new Map([['@ROOT@', 'SPEC_ROOT']]);
  for (const name of order) {
    if (name.startsWith('@n')) rename.set(name, `s${shared++}`);
    else if (name.startsWith('@def_')) rename.set(name, name.slice(1, -1));
  }
  const final = (expr) => expand(expr).replace(/@(?:n\d+|def_[A-Za-z0-9_]+)@/g, (m) => rename.get(m) ?? m);
  for (const name of order) {
    const exported = name === '@ROOT@' ? 'export ' : '';
    lines.push(`${exported}const ${rename.get(name)}: SpecNode = ${final(consts.get(name))};`);
  }

  return header(source, sha, lines);
}

/** The module around the constants. */
function header(source, sha, lines) {
  return [
    '/**',
    ` * GENERATED from ${source} by scripts/gen-compose-schema.mjs; do not edit.`,
    ` * Schema sha256: ${sha}`,
    ' *',
    ' * The compose-spec JSON schema as a graph of the keywords it uses (descriptions dropped, $refs',
    ' * resolved to the constants `def_*`, shared sub-schemas `s*`). Read by spec-schema.ts.',
    ' */',
    "import type { SpecNode } from './spec-schema.js';",
    '',
    `export const SPEC_SOURCE = ${JSON.stringify(source)};`,
    `export const SPEC_SHA256 = ${JSON.stringify(sha)};`,
    '',
    '/** Accepts anything (a schema without constraints, such as `^x-` extension values). */',
    'const ANY: SpecNode = {};',
    ...lines,
    '',
  ].join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [file, source] = process.argv.slice(2);
  if (!file) {
    process.stderr.write('usage: node scripts/gen-compose-schema.mjs SCHEMA.json [SOURCE-LABEL] > src/compose/spec-schema.generated.ts\n');
    process.exit(2);
  }
  process.stdout.write(generate(readFileSync(file, 'utf8'), source ?? file));
}
