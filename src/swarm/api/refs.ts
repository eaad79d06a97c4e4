import type { Node, ReadTx, StoreObject } from '../store/index.js';
import { ApiError } from './errors.js';

/**
 * The one reading of an object reference in a path or a spec (`service inspect abc`, `--network
 * front`, `secret rm 3f`), for every kind alike: an exact id, then an exact name (a node: its
 * hostname), then a unique id prefix. A prefix matching several is 409 `ambiguous` naming how many,
 * never a silent pick: secrets and configs used to take the first match, so `secret rm 3` could
 * remove another secret than the one meant.
 */

export type RefKind = 'service' | 'network' | 'secret' | 'config' | 'node';

const HINT: Record<RefKind, string> = {
  service: 'see `tsswarm service ls`',
  network: 'see `tsswarm network ls`',
  secret: 'see `tsswarm secret ls`',
  config: 'see `tsswarm config ls`',
  node: 'see `tsswarm node ls`',
};

/** Pure: which of `objects` `ref` means, by `nameOf`; throws `not-found` or `ambiguous`. */
export function resolveRefIn<T extends { id: string }>(kind: RefKind, objects: readonly T[], ref: string, nameOf: (o: T) => string | undefined, field = 'id'): T {
  const exact = objects.find((o) => o.id === ref) ?? objects.find((o) => nameOf(o) === ref);
  if (exact) return exact;
  const byPrefix = ref === '' ? [] : objects.filter((o) => o.id.startsWith(ref));
  if (byPrefix.length === 1) return byPrefix[0]!;
  const shown = JSON.stringify(ref.slice(0, 128));
  if (byPrefix.length > 1) {
    throw new ApiError('ambiguous', `${kind} reference ${shown} is ambiguous: ${byPrefix.length} ${kind}s have ids starting with it`, { field, hint: 'give more characters of the id, or the name' });
  }
  throw new ApiError('not-found', `no ${kind} ${shown}`, { field, hint: HINT[kind] });
}

/** `ref` in the store's view `tx`. */
export function resolveRef<K extends RefKind>(tx: ReadTx, kind: K, ref: string, field = 'id'): StoreObject<K> {
  const all = tx.find(kind) as ReadonlyArray<StoreObject<K>>;
  const nameOf = (o: StoreObject<K>): string | undefined => (kind === 'node' ? ((o as Node).description?.hostname ?? undefined) : (o as { spec: { name: string } }).spec.name);
  return resolveRefIn(kind, all, ref, nameOf, field);
}
