/**
 * The variables a compose model refers to, as `config --variables` lists them (compose-go's
 * ExtractVariables): each `$NAME` / `${NAME...}` in a value, with its default (`-`, `:-`), its
 * alternate (`+`, `:+`) and whether it is required (`?`, `:?`); variables inside a default are
 * listed too. Keys are not interpolated, so they are not looked at.
 */
export interface Variable {
  name: string;
  required: boolean;
  defaultValue?: string;
  alternateValue?: string;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*/;

/** Every variable in the values of `tree` (a parsed YAML document), first occurrence of a name first. */
export function modelVariables(tree: unknown): Variable[] {
  const found = new Map<string, Variable>();
  const visit = (v: unknown): void => {
    if (typeof v === 'string') {
      for (const x of stringVariables(v)) if (!found.has(x.name)) found.set(x.name, x);
    } else if (Array.isArray(v)) {
      v.forEach(visit);
    } else if (v !== null && typeof v === 'object') {
      Object.values(v).forEach(visit);
    }
  };
  visit(tree);
  return [...found.values()];
}

export function stringVariables(s: string): Variable[] {
  const out: Variable[] = [];
  for (let i = s.indexOf('$'); i >= 0 && i < s.length; i = s.indexOf('$', i)) {
    const next = s[i + 1];
    if (next === '$') {
      i += 2;
      continue;
    }
    if (next !== '{') {
      const m = NAME.exec(s.slice(i + 1));
      if (m) out.push({ name: m[0], required: false });
      i += 1 + (m?.[0].length ?? 0);
      continue;
    }
    const end = closingBrace(s, i + 2);
    if (end < 0) break;
    const body = s.slice(i + 2, end);
    const m = NAME.exec(body);
    i = end + 1;
    if (!m) continue;
    const rest = body.slice(m[0].length);
    const op = /^(:?[-?+])/.exec(rest)?.[1];
    const arg = op === undefined ? '' : rest.slice(op.length);
    const v: Variable = { name: m[0], required: op === '?' || op === ':?' };
    if (op === '-' || op === ':-') v.defaultValue = arg;
    if (op === '+' || op === ':+') v.alternateValue = arg;
    out.push(v, ...stringVariables(arg));
  }
  return out;
}

/** Index of the `}` closing a `${` whose body starts at `from`, honouring nested `${...}`. */
function closingBrace(s: string, from: number): number {
  let depth = 0;
  for (let i = from; i < s.length; i++) {
    if (s[i] === '$' && s[i + 1] === '$') i++;
    else if (s[i] === '$' && s[i + 1] === '{') {
      depth++;
      i++;
    } else if (s[i] === '}') {
      if (depth === 0) return i;
      depth--;
    }
  }
  return -1;
}
