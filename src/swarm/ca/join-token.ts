/**
 * Join tokens, swarmkit's format: `SWMTKN-1-<CA digest>-<secret>`.
 *
 * - `<CA digest>`: SHA-256 of the cluster root certificate's DER, 50 base36 characters. A joining
 *   node fetches the root from a manager over an unauthenticated TLS connection and accepts it only
 *   if its digest matches the token: no trust on first use.
 * - `<secret>`: 128 random bits, 25 base36 characters. The cluster holds one secret per role; the
 *   manager learns the role a joiner asked for by which secret matches (the token does not say, so
 *   a worker token cannot be edited into a manager token).
 *
 * Everything here is pure: randomness comes in as bytes, the digest as a value. Rotation returns
 * new tokens; making the old ones invalid is the store's job (it keeps only the current secrets).
 */
import { timingSafeEqual } from 'node:crypto';
import { toBase36 } from './base36.js';
import type { NodeRole } from './certificates.js';
import { JoinTokenError } from './errors.js';

export const JOIN_TOKEN_PREFIX = 'SWMTKN';
export const JOIN_TOKEN_VERSION = 1;
export const DIGEST_CHARS = 50;
export const SECRET_CHARS = 25;
export const SECRET_BYTES = 16;

export interface ParsedJoinToken {
  version: number;
  /** Base36 SHA-256 of the root CA certificate. */
  caDigest: string;
  /** Base36 secret. */
  secret: string;
}

/** The current token of each role. */
export interface JoinTokens {
  worker: string;
  manager: string;
}

const B36 = /^[0-9a-z]+$/;

/** Makes a token from a root CA digest (32 bytes, see certificateDigest) and 16 random bytes. */
export function makeJoinToken(caDigest: Uint8Array, secretBytes: Uint8Array): string {
  if (caDigest.length !== 32) throw new Error(`join token: CA digest must be 32 bytes (SHA-256), got ${caDigest.length}`);
  if (secretBytes.length !== SECRET_BYTES) throw new Error(`join token: secret must be ${SECRET_BYTES} random bytes, got ${secretBytes.length}`);
  return `${JOIN_TOKEN_PREFIX}-${JOIN_TOKEN_VERSION}-${toBase36(caDigest, DIGEST_CHARS)}-${toBase36(secretBytes, SECRET_CHARS)}`;
}

/** Makes a worker and a manager token for a new cluster. */
export function makeJoinTokens(caDigest: Uint8Array, random: { worker: Uint8Array; manager: Uint8Array }): JoinTokens {
  return { worker: makeJoinToken(caDigest, random.worker), manager: makeJoinToken(caDigest, random.manager) };
}

/**
 * New tokens for the roles in `rotate` (same CA digest), the others unchanged. The caller stores
 * the result; a token not in the stored pair is refused by {@link roleOfJoinToken}.
 */
export function rotateJoinTokens(current: JoinTokens, rotate: { worker?: Uint8Array; manager?: Uint8Array }): JoinTokens {
  const next = { ...current };
  for (const role of ['worker', 'manager'] as const) {
    const bytes = rotate[role];
    if (bytes === undefined) continue;
    const { caDigest } = parseJoinToken(current[role]);
    const t = `${JOIN_TOKEN_PREFIX}-${JOIN_TOKEN_VERSION}-${caDigest}-${toBase36(checkSecretBytes(bytes), SECRET_CHARS)}`;
    if (t === current[role]) throw new Error('join token rotation produced the same secret: pass fresh random bytes');
    next[role] = t;
  }
  return next;
}

function checkSecretBytes(b: Uint8Array): Uint8Array {
  if (b.length !== SECRET_BYTES) throw new Error(`join token: secret must be ${SECRET_BYTES} random bytes, got ${b.length}`);
  return b;
}

const HINT = 'copy the whole token printed by `tsswarm join-token worker|manager` on a manager';

/** Parses a token; every way it can be wrong gets its own message. Never echoes the secret. */
export function parseJoinToken(token: string): ParsedJoinToken {
  const t = token.trim();
  if (t === '') throw new JoinTokenError('malformed', 'join token is empty', { hint: HINT });
  const parts = t.split('-');
  if (parts[0] !== JOIN_TOKEN_PREFIX) {
    throw new JoinTokenError('wrong-prefix', `join token must start with ${JOIN_TOKEN_PREFIX}-, got ${JSON.stringify(parts[0]?.slice(0, 12))}`, { hint: HINT });
  }
  if (parts.length !== 4) {
    throw new JoinTokenError('malformed', `join token has ${parts.length} dash-separated parts, expected 4 (${JOIN_TOKEN_PREFIX}-${JOIN_TOKEN_VERSION}-<CA digest>-<secret>)`, { hint: HINT });
  }
  const [, version, caDigest, secret] = parts as [string, string, string, string];
  if (!/^\d+$/.test(version)) throw new JoinTokenError('malformed', `join token version ${JSON.stringify(version.slice(0, 8))} is not a number`, { hint: HINT });
  if (Number(version) !== JOIN_TOKEN_VERSION) {
    throw new JoinTokenError('unsupported-version', `join token version ${version} is not supported (this build knows version ${JOIN_TOKEN_VERSION})`, {
      hint: 'use a token from a manager of the same release',
    });
  }
  if (caDigest.length !== DIGEST_CHARS || !B36.test(caDigest)) {
    throw new JoinTokenError('malformed', `join token CA digest must be ${DIGEST_CHARS} characters of 0-9a-z, got ${caDigest.length} characters`, { hint: HINT });
  }
  if (secret.length !== SECRET_CHARS || !B36.test(secret)) {
    throw new JoinTokenError('malformed', `join token secret must be ${SECRET_CHARS} characters of 0-9a-z, got ${secret.length} characters`, { hint: HINT });
  }
  return { version: JOIN_TOKEN_VERSION, caDigest, secret };
}

/**
 * Joiner side: accepts a root CA certificate fetched from a manager only if it is the one the
 * token pins. `caDigestBase36` is certificateDigestBase36(fetched root PEM).
 */
export function verifyCAAgainstToken(token: string, caDigestBase36: string): void {
  const { caDigest } = parseJoinToken(token);
  if (!safeEqual(caDigest, caDigestBase36)) {
    throw new JoinTokenError('ca-mismatch', "the manager's root CA does not match the join token's CA digest", {
      hint: 'the token is for another cluster, the cluster root was rotated, or this is not the manager you meant to reach',
    });
  }
}

/**
 * Manager side: which role a presented token grants, given the current tokens. Refuses tokens of
 * another cluster (CA digest), and old or made-up secrets.
 */
export function roleOfJoinToken(token: string, current: JoinTokens): NodeRole {
  const presented = parseJoinToken(token);
  const worker = parseJoinToken(current.worker);
  const manager = parseJoinToken(current.manager);
  if (!safeEqual(presented.caDigest, worker.caDigest)) {
    throw new JoinTokenError('ca-mismatch', "join token is for another cluster (its CA digest does not match this cluster's root)", { hint: HINT });
  }
  // Compare both secrets always, in constant time, so timing says nothing about which one was close.
  const isWorker = safeEqual(presented.secret, worker.secret);
  const isManager = safeEqual(presented.secret, manager.secret);
  if (isManager) return 'manager';
  if (isWorker) return 'worker';
  throw new JoinTokenError('invalid-secret', 'join token is not valid for this cluster (it may have been rotated)', { hint: HINT });
}

function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  return ab.length === bb.length && timingSafeEqual(ab, bb);
}
