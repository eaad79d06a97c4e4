import { UserError } from '../../util/errors.js';

/** Why a certificate, CSR or join token was refused. */
export type CertErrorReason =
  | 'malformed'
  | 'untrusted'
  | 'expired'
  | 'not-yet-valid'
  | 'wrong-cluster'
  | 'wrong-role'
  | 'bad-usage'
  | 'bad-key';

/**
 * A certificate or CSR was refused. `reason` lets callers (the dispatcher, the join flow) react
 * without parsing messages; the message says which certificate and what to do.
 */
export class CertError extends UserError {
  readonly reason: CertErrorReason;
  constructor(reason: CertErrorReason, message: string, opts: { hint?: string; cause?: unknown } = {}) {
    super(message, { code: 'invalid', ...opts });
    this.name = 'CertError';
    this.reason = reason;
  }
}

/** Why a join token was refused. */
export type JoinTokenErrorReason = 'malformed' | 'wrong-prefix' | 'unsupported-version' | 'ca-mismatch' | 'invalid-secret';

/** A join token was refused. Messages never echo the secret part of a token. */
export class JoinTokenError extends UserError {
  readonly reason: JoinTokenErrorReason;
  constructor(reason: JoinTokenErrorReason, message: string, opts: { hint?: string } = {}) {
    super(message, { code: 'invalid', ...opts });
    this.name = 'JoinTokenError';
    this.reason = reason;
  }
}

export function isCertError(e: unknown): e is CertError {
  return e instanceof CertError;
}

export function isJoinTokenError(e: unknown): e is JoinTokenError {
  return e instanceof JoinTokenError;
}
