/**
 * Durations (Go syntax: `1h2m3.5s`, `500ms`, `10us`; a bare number means seconds, as Compose reads
 * it) to nanoseconds, and byte sizes (`512m`, `1.5gb`, `100k`, bare = bytes) to bytes.
 */

/** A malformed duration, size or similar scalar; `hint` says what a good one looks like. */
export class FormatError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}

const DURATION_UNITS: Record<string, number> = { ns: 1, us: 1e3, 'µs': 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

export function parseDuration(v: string | number): number {
  if (typeof v === 'number') {
    if (!Number.isFinite(v) || v < 0) throw new FormatError(`invalid duration ${v}`);
    return Math.round(v * 1e9);
  }
  const s = v.trim();
  if (/^\d+(\.\d+)?$/.test(s)) return Math.round(Number(s) * 1e9);
  if (s === '0') return 0;
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/y;
  let total = 0;
  let i = 0;
  if (s === '') throw new FormatError('invalid duration ""', 'use a number with a unit: 1h, 30s, 500ms, 1m30s');
  while (i < s.length) {
    re.lastIndex = i;
    const m = re.exec(s);
    if (!m) throw new FormatError(`invalid duration "${v}"`, 'use a number with a unit: 1h, 30s, 500ms, 1m30s');
    total += Number(m[1]) * DURATION_UNITS[m[2]!]!;
    i = re.lastIndex;
  }
  return Math.round(total);
}

/** Renders nanoseconds the way Go's time.Duration.String does (`1m30s`, `500ms`, `0s`). */
export function formatDuration(ns: number): string {
  if (ns === 0) return '0s';
  if (ns < 1e3) return `${ns}ns`;
  if (ns < 1e6) return `${trim(ns / 1e3)}µs`;
  if (ns < 1e9) return `${trim(ns / 1e6)}ms`;
  let rest = ns;
  let out = '';
  const h = Math.floor(rest / 3600e9);
  if (h) {
    out += `${h}h`;
    rest -= h * 3600e9;
  }
  const m = Math.floor(rest / 60e9);
  if (h || m) {
    out += `${m}m`;
    rest -= m * 60e9;
  }
  return `${out}${trim(rest / 1e9)}s`;
}

function trim(n: number): string {
  return String(Number(n.toFixed(9)));
}

const SIZE_HINT = 'use a number with an optional unit: b, k, m, g (e.g. 512m)';
const BINARY: Record<string, number> = { k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };

/**
 * A byte size as compose-go reads one (types.UnitBytes): a whole number of bytes (Go's ParseInt,
 * so a string like "-1" too), else docker/go-units' RAMInBytes (v0.5.0, the version compose-go
 * uses): a decimal number, an optional single space, and a binary unit `b`, `k`, `m`, `g`, `t`,
 * `p` with an optional `b` or `ib`, in any case. Fractions are allowed and the product is
 * truncated to whole bytes (`1.5g` = 1610612736, `0.5gb` = 536870912, `1.7b` = 1). Nothing is
 * trimmed: `" 1g"` is refused, as there.
 */
export function parseBytes(v: string | number): number {
  if (typeof v === 'number') {
    if (!Number.isFinite(v) || v < 0) throw new FormatError(`invalid size ${v}`);
    return Math.trunc(v);
  }
  if (/^[+-]?\d+$/.test(v)) {
    const n = Number(v);
    if (n < 0) throw new FormatError(`invalid size "${v}"`, SIZE_HINT);
    return n;
  }
  return ramInBytes(v);
}

/** go-units RAMInBytes: the number is what precedes the last digit, dot or space; the unit what follows. */
function ramInBytes(s: string): number {
  const bad = (): never => {
    throw new FormatError(`invalid size "${s}"`, SIZE_HINT);
  };
  let sep = -1;
  for (let i = s.length - 1; i >= 0; i--) {
    if ('0123456789. '.includes(s[i]!)) {
      sep = i;
      break;
    }
  }
  if (sep === -1) bad();
  const num = s[sep] === ' ' ? s.slice(0, sep) : s.slice(0, sep + 1);
  let unit = s.slice(sep + 1).toLowerCase();
  // Go's ParseFloat on what can end in a digit or a dot: sign, digits, fraction, exponent.
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(num)) bad();
  let size = Number(num);
  if (!(size >= 0) || !Number.isFinite(size)) bad();
  if (unit === '' || unit === 'b') return Math.trunc(size);
  const mul = BINARY[unit[0]!];
  if (mul === undefined || unit.length > 3) bad();
  unit = unit.slice(1);
  if (unit !== '' && unit !== 'b' && unit !== 'ib') bad();
  size *= mul!;
  return Math.trunc(size);
}
