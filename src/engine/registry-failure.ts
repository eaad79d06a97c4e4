/**
 * A failed pull or push as the one line a user reads: the engine's message through
 * describeRegistryError, prefixed with the service, whatever the call was (pull, up --pull, run
 * --pull, push, build --push). Errors that already are a user's to fix and name their object (a
 * malformed config.json, a failing credential helper) keep their own words.
 */
import { describeRegistryError, type RegistryOp } from '../registry/errors.js';
import { isRuntimeError } from '../runtime/errors.js';
import { isUserError, UserError } from '../util/errors.js';

export interface RegistryFailure {
  message: string;
  hint: string;
}

/** `service web: pull access denied for ...`, with the hint that goes with it. */
export function registryFailure(op: RegistryOp, service: string, image: string, e: unknown): RegistryFailure {
  if (isRuntimeError(e) && e.kind !== 'unreachable' && e.kind !== 'timeout') {
    const d = describeRegistryError(op, image, e.engineMessage ?? e.message);
    return { message: `service ${service}: ${d.message}`, hint: d.hint };
  }
  // An unreachable engine, a bad config.json, a failing helper, an invalid reference: already one line.
  if (isUserError(e)) return { message: `service ${service}: ${e.message}`, hint: e.hint ?? '' };
  throw e;
}

/** One UserError for one or more failures: a line each, then the hints of the distinct causes and `also`. */
export function registryFailureError(failures: readonly RegistryFailure[], also?: string): UserError {
  const hints = [...new Set([...failures.map((f) => f.hint), also ?? ''].filter(Boolean))];
  return new UserError(failures.map((f) => f.message).join('\n'), { code: 'failed', hint: hints.join('\nhint: ') });
}
