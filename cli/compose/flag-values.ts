/**
 * Every numeric flag value of tscompose, parsed and range-checked in one place, before a project
 * is loaded or the engine is asked anything; and the check of service names against the model,
 * made as soon as it is loaded. Commander hands values over as strings: `Number()` would take
 * `1e3`, ` 12 `, `0x10` and 20-digit numbers that lose precision, so only plain digits pass.
 */
import { UserError } from '../../src/util/errors.js';
import { checkServices } from '../../src/engine/ops/scope.js';
import type { Project } from '../../src/compose/types.js';

/** More replicas than any one engine runs; a typo (an extra digit) must not plan 10^20 containers. */
export const MAX_SCALE = 10_000;
/** Stop grace periods and wait bounds: a day is longer than anyone means. */
export const MAX_SECONDS = 86_400;

/** An integer flag value within [min, max]; undefined stays undefined. */
export function wholeNumber(flag: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  const n = Number(v);
  if (!/^-?\d+$/.test(v) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new UserError(`${flag} expects a whole number from ${min} to ${max}, got "${value}"`, { code: 'invalid' });
  }
  return n;
}

/** `-t/--timeout`, `--wait-timeout`: whole seconds, 0..86400. */
export function secondsFlag(flag: string, value: string | undefined): number | undefined {
  return wholeNumber(flag, value, 0, MAX_SECONDS);
}

/** `--index N`: a replica number, 1..10000. */
export function indexFlag(value: string | undefined): number | undefined {
  return wholeNumber('--index', value, 1, MAX_SCALE);
}

/** `-n/--tail`: `all`, `-1` (= all) or a number of lines. */
export function tailFlag(value: string): number | 'all' {
  if (value === 'all' || value === '-1') return 'all';
  return wholeNumber('--tail', value, 0, Number.MAX_SAFE_INTEGER)!;
}

/** Repeated `--scale SVC=N`, N in 0..10000. Names are checked against the model by checkScaleNames. */
export function parseScale(values: string[] | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values ?? []) {
    const m = /^([^=]+)=(.*)$/.exec(v);
    if (!m) throw new UserError(`--scale expects SERVICE=NUMBER, got ${v}`, { code: 'invalid' });
    out[m[1]!] = wholeNumber(`--scale ${m[1]}`, m[2], 0, MAX_SCALE)!;
  }
  return out;
}

/** Named services (arguments, --scale, --exit-code-from, ...) must exist in the model. */
export function checkNamedServices(project: Project, names: Iterable<string>): void {
  checkServices({ name: project.name, project }, [...new Set(names)]);
}

/** The recreate flags of `up` and `create` that cannot go together (as docker compose refuses them). */
export interface RecreateFlags {
  forceRecreate?: boolean;
  /** false for --no-recreate (commander's negation). */
  recreate?: boolean;
  alwaysRecreateDeps?: boolean;
  renewAnonVolumes?: boolean;
}

/** Refuses incompatible recreate flags before anything is loaded or asked of the engine (exit 2: a usage mistake). */
export function checkRecreateFlags(flags: RecreateFlags): void {
  if (flags.recreate !== false) return;
  const other = flags.forceRecreate ? '--force-recreate' : flags.alwaysRecreateDeps ? '--always-recreate-deps' : flags.renewAnonVolumes ? '--renew-anon-volumes' : undefined;
  if (other === undefined) return;
  throw new UserError(`${other} and --no-recreate are incompatible`, { code: 'invalid', exitCode: 2, hint: 'drop one of them' });
}
