/**
 * JSON with object keys sorted at every level, so equal values always give equal bytes. Snapshots
 * use it; that is what makes "two replicas, same commands => byte-identical snapshots" checkable.
 * Only plain JSON data is expected (the store holds zod-validated objects): `undefined` members
 * are left out, as JSON.stringify does.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    const s = JSON.stringify(value);
    // JSON.stringify(undefined) is undefined; inside arrays JSON writes null for it.
    return s === undefined ? 'null' : s;
  }
  if (Array.isArray(value)) return '[' + value.map(canonicalJson).join(',') + ']';
  const obj = value as Record<string, unknown>;
  const parts: string[] = [];
  for (const key of Object.keys(obj).sort()) {
    const v = obj[key];
    if (v === undefined) continue;
    parts.push(JSON.stringify(key) + ':' + canonicalJson(v));
  }
  return '{' + parts.join(',') + '}';
}
