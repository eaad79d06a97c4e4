/**
 * Parses the time arguments of `logs --since/--until` and `events --since/--until` the way the
 * docker CLI does: an RFC 3339 date (with or without time), Unix seconds (with optional fraction),
 * or a Go duration relative to now ("42m", "1h30m", "10s").
 */
import { UserError } from '../../util/errors.js';

const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Unix seconds (fractional) for the argument; `now` is injected so tests are deterministic. */
export function parseTimeArg(flag: string, value: string, now: number = Date.now()): number {
  const v = value.trim();
  if (/^\d+(\.\d+)?$/.test(v)) return Number(v);
  const dur = /^((\d+(\.\d+)?)(ns|us|µs|ms|s|m|h))+$/.test(v);
  if (dur) {
    let ms = 0;
    for (const m of v.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)) ms += Number(m[1]) * UNIT_MS[m[2]!]!;
    return (now - ms) / 1000;
  }
  if (/^\d{4}-\d{2}-\d{2}/.test(v)) {
    // A date without a zone is local time, like the docker CLI.
    const t = Date.parse(v);
    if (!Number.isNaN(t)) return t / 1000;
  }
  throw new UserError(`${flag}: cannot parse "${value}" as a time`, {
    code: 'invalid',
    hint: 'use a timestamp (2013-01-02T13:23:37Z), Unix seconds, or a duration before now (42m, 1h30m)',
  });
}
