/**
 * The `--format` templates Docker users script with (`{{.Name}}\t{{.Status}}`, `table ...`,
 * `{{json .}}`), for the objects a command prints as JSON. A subset of Go's text/template:
 * field lookups (nested with dots), `json`, `upper`, `lower`, `title` and `truncate N` applied to
 * one field or `.`; `table` renders a header from the field names and aligns the columns; a
 * literal `\t` or `\n` (as typed in a shell) is a tab or a newline, as in Docker.
 */
import { UserError } from './errors.js';

type Row = Record<string, unknown>;
type Piece = { text: string } | { expr: string };

const FUNCS: Record<string, (v: unknown, arg?: string) => string> = {
  json: (v) => JSON.stringify(v ?? null),
  upper: (v) => text(v).toUpperCase(),
  lower: (v) => text(v).toLowerCase(),
  title: (v) => text(v).replace(/\b\w/g, (c) => c.toUpperCase()),
  truncate: (v, n) => text(v).slice(0, Number(n)),
};

export function isTemplateFormat(format: string | undefined): format is string {
  return format !== undefined && format.includes('{{');
}

/** `table`, `json` or a template: anything else is refused before the command does anything. */
export function checkFormat(format: string | undefined): void {
  if (format === undefined || format === 'table' || format === 'json' || isTemplateFormat(format)) return;
  throw new UserError(`--format: "${String(format)}" is neither table, json nor a template`, { code: 'invalid', hint: 'e.g. --format json, or --format "table {{.Name}}\\t{{.Status}}"' });
}

/** Renders `rows` with `format`; a template naming a field the rows lack is the user's error, before anything is printed. */
export function renderGoFormat(format: string, rows: Row[]): string {
  const table = /^table\s/.test(format);
  const body = (table ? format.replace(/^table\s+/, '') : format).replace(/\\t/g, '\t').replace(/\\n/g, '\n');
  const pieces = parse(body);
  const lines = rows.map((r) => pieces.map((p) => ('text' in p ? p.text : evaluate(p.expr, r))).join(''));
  if (!table) return lines.map((l) => `${l}\n`).join('');
  const header = pieces.map((p) => ('text' in p ? p.text : headerOf(p.expr))).join('');
  return align([header, ...lines]);
}

function parse(s: string): Piece[] {
  const out: Piece[] = [];
  let i = 0;
  while (i < s.length) {
    const open = s.indexOf('{{', i);
    if (open < 0) {
      out.push({ text: s.slice(i) });
      break;
    }
    if (open > i) out.push({ text: s.slice(i, open) });
    const close = s.indexOf('}}', open + 2);
    if (close < 0) throw new UserError(`--format: unclosed "{{" at character ${open + 1}`, { code: 'invalid', hint: 'write fields as {{.Name}}' });
    out.push({ expr: s.slice(open + 2, close).trim() });
    i = close + 2;
  }
  return out;
}

function evaluate(expr: string, row: Row): string {
  const words = expr.split(/\s+/).filter(Boolean);
  const [first, ...rest] = words;
  const fn = first !== undefined && Object.hasOwn(FUNCS, first) ? FUNCS[first] : undefined;
  if (fn) {
    const [ref, arg] = rest;
    if (ref === undefined || (first === 'truncate' && arg === undefined)) throw badExpr(expr);
    return fn(lookup(ref, row), arg);
  }
  if (words.length !== 1 || first === undefined) throw badExpr(expr);
  return text(lookup(first, row));
}

function lookup(ref: string, row: Row): unknown {
  if (ref === '.') return row;
  if (!ref.startsWith('.')) throw badExpr(ref);
  let v: unknown = row;
  for (const key of ref.slice(1).split('.')) {
    if (v === null || typeof v !== 'object' || !(key in v)) {
      throw new UserError(`--format: no field "${key}" in ${ref}`, { code: 'invalid', hint: `fields: ${Object.keys(row).join(', ')}` });
    }
    v = (v as Record<string, unknown>)[key];
  }
  return v;
}

function headerOf(expr: string): string {
  const ref = expr.split(/\s+/).find((w) => w.startsWith('.')) ?? expr;
  const name = ref === '.' ? expr : ref.slice(ref.lastIndexOf('.') + 1);
  // Docker's headers: words of the field name, upper case (`CreatedAt` -> `CREATED AT`).
  return name.replace(/([a-z])([A-Z])/g, '$1 $2').toUpperCase();
}

function text(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  return JSON.stringify(v);
}

/** Tab-separated cells into columns padded to the widest cell plus three spaces, like Docker's tabwriter. */
function align(lines: string[]): string {
  const cells = lines.map((l) => l.split('\t'));
  const widths: number[] = [];
  for (const row of cells) row.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return cells.map((row) => row.map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i]! + 3))).join('').trimEnd() + '\n').join('');
}

function badExpr(expr: string): UserError {
  return new UserError(`--format: cannot read "{{${expr}}}"`, { code: 'invalid', hint: 'use {{.Field}}, {{json .}}, {{upper .Field}}, {{truncate .Field 12}}' });
}
