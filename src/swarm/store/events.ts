import type { Kind, StoreObject } from './kinds.js';

export type StoreAction = 'create' | 'update' | 'delete';

/**
 * One applied change, delivered to watchers after its whole batch is applied. `index` is the raft
 * index of the batch; events of one batch share it and arrive in command order.
 * For `delete`, `object` is the last stored version and `oldObject` is undefined.
 */
export type StoreEvent = {
  [K in Kind]: {
    kind: K;
    action: StoreAction;
    object: StoreObject<K>;
    oldObject: StoreObject<K> | undefined;
    index: number;
  };
}[Kind];

/** Which events a watcher wants; every given field must match (absent fields match all). */
export interface WatchFilter {
  kinds?: readonly Kind[];
  actions?: readonly StoreAction[];
  /** Extra predicate, e.g. tasks of one node: `(e) => e.kind === 'task' && e.object.nodeId === n`. */
  match?: (event: StoreEvent) => boolean;
}

export function matches(filter: WatchFilter | undefined, e: StoreEvent): boolean {
  if (filter === undefined) return true;
  if (filter.kinds !== undefined && !filter.kinds.includes(e.kind)) return false;
  if (filter.actions !== undefined && !filter.actions.includes(e.action)) return false;
  return filter.match === undefined || filter.match(e);
}
