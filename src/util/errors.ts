/**
 * Typed errors. Every mistake a user can make surfaces as a {@link UserError}; the CLI edge turns it
 * into a message and an exit code. Anything else is a bug and is reported as one.
 */

/** Where in the user's input a problem is: a file position and/or an object path. */
export interface Diagnostic {
  /** Absolute or user-given file name, when the input came from a file. */
  file?: string;
  /** 1-based line and column. */
  line?: number;
  col?: number;
  /** Object path such as `services.web.ports[1]`. */
  path?: string;
  message: string;
  hint?: string;
}

export type ErrorCode =
  | 'invalid'
  | 'not-found'
  | 'conflict'
  | 'unsupported'
  | 'unavailable'
  | 'timeout'
  | 'failed'
  | 'cancelled';

export class UserError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  readonly exitCode: number;
  constructor(message: string, opts: { code?: ErrorCode; hint?: string; exitCode?: number; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'UserError';
    this.code = opts.code ?? 'invalid';
    this.hint = opts.hint;
    this.exitCode = opts.exitCode ?? 1;
  }
}

/** One or more problems with user input, all reported together. */
export class DiagnosticError extends UserError {
  readonly diagnostics: readonly Diagnostic[];
  constructor(diagnostics: readonly Diagnostic[], opts: { code?: ErrorCode; exitCode?: number } = {}) {
    super(diagnostics.map(formatDiagnostic).join('\n'), { code: opts.code ?? 'invalid', exitCode: opts.exitCode ?? 1 });
    this.name = 'DiagnosticError';
    this.diagnostics = diagnostics;
  }
}

export function formatDiagnostic(d: Diagnostic): string {
  let where = '';
  if (d.file !== undefined) {
    where = d.file;
    if (d.line !== undefined) where += `:${d.line}` + (d.col !== undefined ? `:${d.col}` : '');
    where += ': ';
  }
  const path = d.path ? `${d.path}: ` : '';
  const hint = d.hint ? `\n  hint: ${d.hint}` : '';
  return `${where}${path}${d.message}${hint}`;
}

export function isUserError(e: unknown): e is UserError {
  return e instanceof UserError;
}

export function isNotFound(e: unknown): boolean {
  return e instanceof UserError && e.code === 'not-found';
}
