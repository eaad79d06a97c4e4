/**
 * Variable substitution in one string, the way Compose does it: $VAR, ${VAR}, ${VAR:-d}, ${VAR-d},
 * ${VAR:?msg}, ${VAR?msg}, ${VAR:+r}, ${VAR+r}, nested templates inside defaults, `$$` for a literal
 * `$`; a `$` starting none of those is literal too. Pure: the environment comes in as a lookup function.
 */

export type Lookup = (name: string) => string | undefined;

export class TemplateError extends Error {
  constructor(
    message: string,
    readonly variable: string | undefined,
    readonly kind: 'invalid' | 'missing',
  ) {
    super(message);
  }
}

const NAME_START = /[A-Za-z_]/;
const NAME_CHAR = /[A-Za-z0-9_]/;

/** Substitutes every variable in `s`; unset variables without a default become "". */
export function substitute(s: string, lookup: Lookup, missing?: (name: string) => void): string {
  if (!s.includes('$')) return s;
  return new Parser(s, lookup, missing).run();
}

class Parser {
  private i = 0;
  constructor(
    private readonly s: string,
    private readonly lookup: Lookup,
    private readonly missing: ((name: string) => void) | undefined,
  ) {}

  run(): string {
    const out = this.until(undefined);
    return out;
  }

  /** Reads text until `stop` (a closing brace at this nesting level) or the end. */
  private until(stop: '}' | undefined): string {
    let out = '';
    while (this.i < this.s.length) {
      const c = this.s[this.i]!;
      if (stop && c === stop) return out;
      if (c !== '$') {
        out += c;
        this.i++;
        continue;
      }
      out += this.dollar();
    }
    if (stop) throw new TemplateError(`invalid interpolation format for "${this.s}": missing closing brace`, undefined, 'invalid');
    return out;
  }

  private dollar(): string {
    const s = this.s;
    this.i++; // $
    const c = s[this.i];
    if (c === '$') {
      this.i++;
      return '$';
    }
    if (c !== undefined && NAME_START.test(c)) {
      const name = this.name();
      return this.value(name) ?? this.unset(name);
    }
    if (c === '{') {
      this.i++;
      const name = this.name();
      if (!name) throw this.invalid();
      const rest = s.slice(this.i);
      if (rest.startsWith('}')) {
        this.i++;
        return this.value(name) ?? this.unset(name);
      }
      const op = rest.startsWith(':-') || rest.startsWith(':?') || rest.startsWith(':+') ? rest.slice(0, 2) : rest[0];
      if (op !== '-' && op !== '?' && op !== '+' && op !== ':-' && op !== ':?' && op !== ':+') throw this.invalid();
      this.i += op.length;
      const v = this.value(name);
      const emptyCounts = op.startsWith(':');
      const isSet = v !== undefined && (!emptyCounts || v !== '');
      // The argument is parsed (and its own variables substituted) only when it is used, like a shell.
      const start = this.i;
      const arg = () => {
        this.i = start;
        const a = this.until('}');
        this.i++;
        return a;
      };
      const skip = () => {
        this.skipArg();
      };
      switch (op) {
        case '-':
        case ':-':
          if (isSet) {
            skip();
            return v;
          }
          return arg();
        case '+':
        case ':+':
          if (isSet) return arg();
          skip();
          return '';
        default: {
          if (isSet) {
            skip();
            return v;
          }
          const msg = arg();
          throw new TemplateError(
            `required variable ${name} is missing a value` + (msg ? `: ${msg}` : ''),
            name,
            'missing',
          );
        }
      }
    }
    // Compose's pattern only matches `$$`, `$NAME` and `${...}`: any other `$` (`$(date)`, `$1`,
    // `$ `, a trailing `$`) is text, so shell in healthchecks, hooks and inline Dockerfiles survives.
    return '$';
  }

  /** Skips a ${...} argument, honouring nested braces, without evaluating it. */
  private skipArg(): void {
    let depth = 0;
    while (this.i < this.s.length) {
      const c = this.s[this.i]!;
      if (c === '$' && this.s[this.i + 1] === '$') {
        this.i += 2;
        continue;
      }
      if (c === '$' && this.s[this.i + 1] === '{') {
        depth++;
        this.i += 2;
        continue;
      }
      if (c === '}') {
        if (depth === 0) {
          this.i++;
          return;
        }
        depth--;
      }
      this.i++;
    }
    throw this.invalid();
  }

  private name(): string {
    const start = this.i;
    if (this.i < this.s.length && NAME_START.test(this.s[this.i]!)) {
      this.i++;
      while (this.i < this.s.length && NAME_CHAR.test(this.s[this.i]!)) this.i++;
    }
    return this.s.slice(start, this.i);
  }

  private value(name: string): string | undefined {
    return this.lookup(name);
  }

  private unset(name: string): string {
    this.missing?.(name);
    return '';
  }

  private invalid(): TemplateError {
    return new TemplateError(`invalid interpolation format for "${this.s}"`, undefined, 'invalid');
  }
}
