import { UserError, type ErrorCode } from '../util/errors.js';

/** Why an engine call failed, in terms a caller can act on. */
export type RuntimeErrorKind = 'unreachable' | 'timeout' | 'not-found' | 'conflict' | 'port-allocated' | 'invalid' | 'failed';

const CODE: Record<RuntimeErrorKind, ErrorCode> = {
  unreachable: 'unavailable',
  timeout: 'timeout',
  'not-found': 'not-found',
  conflict: 'conflict',
  'port-allocated': 'conflict',
  invalid: 'invalid',
  failed: 'failed',
};

/**
 * An engine call that failed. It is a UserError: every kind here is something a user can meet and
 * fix (start the engine, free the port, remove the foreign container), so the CLI prints the
 * message, never a stack.
 */
export class RuntimeError extends UserError {
  readonly kind: RuntimeErrorKind;
  /** HTTP status from the engine, when it answered. */
  readonly statusCode: number | undefined;
  /** The engine's own message, without our "pull image x:" prefix, when it gave one. */
  readonly engineMessage: string | undefined;
  constructor(kind: RuntimeErrorKind, message: string, opts: { hint?: string; statusCode?: number; cause?: unknown; engineMessage?: string } = {}) {
    super(message, { code: CODE[kind], hint: opts.hint, exitCode: 1, cause: opts.cause });
    this.name = 'RuntimeError';
    this.kind = kind;
    this.statusCode = opts.statusCode;
    this.engineMessage = opts.engineMessage;
  }
}

export function isRuntimeError(e: unknown, kind?: RuntimeErrorKind): e is RuntimeError {
  return e instanceof RuntimeError && (kind === undefined || e.kind === kind);
}
export const isEngineNotFound = (e: unknown): boolean => isRuntimeError(e, 'not-found');
export const isEngineConflict = (e: unknown): boolean => isRuntimeError(e, 'conflict');
export const isUnreachable = (e: unknown): boolean => isRuntimeError(e, 'unreachable');
/** The engine took longer than its limit (engine-timeouts.ts): connected but silent, or not connecting. */
export const isEngineTimeout = (e: unknown): boolean => isRuntimeError(e, 'timeout');
export const isPortAllocated = (e: unknown): boolean => isRuntimeError(e, 'port-allocated');
