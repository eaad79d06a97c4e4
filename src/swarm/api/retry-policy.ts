import type { ApiError } from './errors.js';

/**
 * When a request that failed at one manager may be sent to another (specs/api.md, "Retries"):
 * `unavailable` means it was not applied (nothing was sent, no leader was known, or the raft
 * layer refused it before proposing), so it may always go again; `indeterminate` means it may
 * have been applied, so only requests that mean the same when applied twice go again.
 */

/** Reads, and the agents' level-triggered calls (a report or heartbeat sent twice changes nothing more). */
export function isIdempotent(method: string, path: string): boolean {
  if (method === 'GET') return true;
  return method === 'POST' && /^\/v1\/(dispatcher\/|heartbeat$|certificate\/renew$)/.test(path.split('?')[0]!);
}

export type RetryDecision = 'retry' | 'fail';

export function afterFailure(e: ApiError, method: string, path: string): RetryDecision {
  if (e.apiCode === 'unavailable') return 'retry';
  if (e.apiCode === 'indeterminate' && isIdempotent(method, path)) return 'retry';
  return 'fail';
}
