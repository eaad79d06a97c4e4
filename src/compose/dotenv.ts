/**
 * `.env` / env_file parsing with Compose's dialect: `KEY=VALUE`, optional `export `, `#` comments,
 * single quotes literal, double quotes with escapes and multi-line values, unquoted values trimmed
 * with ` #` comments cut, `${VAR}` substituted (`lookup` first, then earlier keys of the same file),
 * and a bare `KEY` taking its value from `lookup` (dropped when unset).
 */
import { Diagnostics } from './diagnostics.js';
import { substitute, TemplateError, type Lookup } from './template.js';

export function parseDotenv(text: string, file: string, lookup: Lookup, interpolate = true): Record<string, string> {
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  const diags = new Diagnostics();
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  // compose-go's order: the caller's lookup (the shell, then earlier files) before this file's own keys.
  const resolve: Lookup = (name) => lookup(name) ?? (name in out ? out[name] : undefined);
  for (let n = 0; n < lines.length; n++) {
    const lineNo = n + 1;
    let line = lines[n]!.trim();
    if (line === '' || line.startsWith('#')) continue;
    if (line.startsWith('export ')) line = line.slice(7).trimStart();
    const eq = line.indexOf('=');
    const key = (eq < 0 ? line : line.slice(0, eq)).trim();
    if (!/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(key)) {
      diags.add({ file, line: lineNo, col: 1 }, undefined, `invalid variable name "${key}"`, 'env file lines look like KEY=value');
      continue;
    }
    if (eq < 0) {
      const v = lookup(key);
      if (v !== undefined) out[key] = v;
      continue;
    }
    let raw = line.slice(eq + 1).trimStart();
    let value: string;
    try {
      if (raw.startsWith("'")) {
        let end = raw.indexOf("'", 1);
        while (end < 0 && n + 1 < lines.length) {
          raw += '\n' + lines[++n]!;
          end = raw.indexOf("'", 1);
        }
        if (end < 0) throw new TemplateError('unterminated single-quoted value', key, 'invalid');
        value = raw.slice(1, end);
      } else if (raw.startsWith('"')) {
        let end = closingQuote(raw);
        while (end < 0 && n + 1 < lines.length) {
          raw += '\n' + lines[++n]!;
          end = closingQuote(raw);
        }
        if (end < 0) throw new TemplateError('unterminated double-quoted value', key, 'invalid');
        const body = raw.slice(1, end).replace(/\\([nrt"\\$])/g, (_m, c: string) =>
          c === 'n' ? '\n' : c === 'r' ? '\r' : c === 't' ? '\t' : c === '$' ? '$$' : c,
        );
        value = interpolate ? substitute(body, resolve) : body;
      } else {
        const hash = raw.search(/\s#/);
        if (hash >= 0) raw = raw.slice(0, hash);
        raw = raw.trim();
        value = interpolate ? substitute(raw, resolve) : raw;
      }
    } catch (e) {
      if (!(e instanceof TemplateError)) throw e;
      diags.add({ file, line: lineNo, col: eq + 2 }, undefined, `${key}: ${e.message}`);
      continue;
    }
    out[key] = value;
  }
  diags.throwIfAny();
  return out;
}

function closingQuote(s: string): number {
  for (let i = 1; i < s.length; i++) {
    if (s[i] === '\\') i++;
    else if (s[i] === '"') return i;
  }
  return -1;
}
