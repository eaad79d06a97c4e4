/**
 * Stored objects are shared by every reader and every watch event, so they are frozen: a caller
 * that edits one in place gets a TypeError at once instead of silently changing the store's copy
 * on one replica only. Copy (`structuredClone`, spreads) to make a changed version.
 */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value as Record<string, unknown>)) deepFreeze(v);
  }
  return value;
}
