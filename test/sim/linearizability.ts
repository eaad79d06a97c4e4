/**
 * A linearizability checker for a key-value register history (Wing & Gong's search with Lowe's
 * memoisation, as in Porcupine). The history is partitioned by key first: operations on different
 * keys commute in this model, so each key is checked on its own, which keeps the search small.
 *
 * Reusable: the simulator and the real-process tests both record {@link Operation}s.
 */

export interface Operation {
  client: string | number;
  kind: 'put' | 'get' | 'delete';
  key: string;
  /** put: the value written. */
  value?: string;
  /** get: the value read; null means "absent". Ignored for put/delete. */
  output?: string | null;
  /** Time the client invoked the operation. Any monotonic clock shared by all clients. */
  call: number;
  /**
   * Time the client received the answer, or null if it never did: such an operation may or may
   * not have taken effect (a get with no answer constrains nothing and is dropped).
   */
  return: number | null;
}

export interface LinearizabilityResult {
  ok: boolean;
  /** The first key whose history admits no linearization. */
  key?: string;
  /** That key's operations, sorted by call time, to print for a failing seed. */
  history?: Operation[];
  /** The search gave up (state budget exceeded) for these keys: neither proven nor refuted. */
  unknownKeys: string[];
}

type State = string | null;

interface Node {
  op: Operation;
  id: number;
  isCall: boolean;
  time: number;
  match: Node | null; // call -> its return
  prev: Node | null;
  next: Node | null;
}

/** Check a whole history; `maxStates` bounds the memo per key (then the key is reported unknown). */
export function checkLinearizable(history: readonly Operation[], opts: { maxStates?: number } = {}): LinearizabilityResult {
  const byKey = new Map<string, Operation[]>();
  for (const op of history) {
    // A get that never returned observed nothing anyone knows of.
    if (op.kind === 'get' && op.return === null) continue;
    let list = byKey.get(op.key);
    if (!list) byKey.set(op.key, (list = []));
    list.push(op);
  }
  const unknownKeys: string[] = [];
  for (const key of [...byKey.keys()].sort()) {
    const ops = byKey.get(key)!;
    const r = checkKey(ops, opts.maxStates ?? 2_000_000);
    if (r === 'unknown') unknownKeys.push(key);
    else if (!r) return { ok: false, key, history: ops.slice().sort((a, b) => a.call - b.call), unknownKeys };
  }
  return { ok: true, unknownKeys };
}

function stepModel(state: State, op: Operation): [boolean, State] {
  switch (op.kind) {
    case 'put':
      return [true, op.value ?? ''];
    case 'delete':
      return [true, null];
    case 'get':
      return [(op.output ?? null) === state, state];
  }
}

function checkKey(ops: readonly Operation[], maxStates: number): boolean | 'unknown' {
  // Build the event list: calls and returns by time; at equal times calls first, which makes
  // touching operations concurrent (the permissive reading: never a false alarm).
  const events: Node[] = [];
  ops.forEach((op, id) => {
    const call: Node = { op, id, isCall: true, time: op.call, match: null, prev: null, next: null };
    const ret: Node = { op, id, isCall: false, time: op.return ?? Number.POSITIVE_INFINITY, match: null, prev: null, next: null };
    call.match = ret;
    events.push(call, ret);
  });
  events.sort((a, b) => a.time - b.time || (a.isCall === b.isCall ? a.id - b.id : a.isCall ? -1 : 1));
  const head: Node = { op: ops[0]!, id: -1, isCall: false, time: -1, match: null, prev: null, next: null };
  let prev = head;
  for (const e of events) {
    prev.next = e;
    e.prev = prev;
    prev = e;
  }

  const words = Math.ceil(ops.length / 32);
  const linearized = new Uint32Array(words);
  const cache = new Set<string>();
  const stack: { node: Node; state: State }[] = [];
  let state: State = null;
  let entry = head.next;

  const lift = (c: Node): void => {
    c.prev!.next = c.next;
    c.next!.prev = c.prev;
    const r = c.match!;
    r.prev!.next = r.next;
    if (r.next) r.next.prev = r.prev;
  };
  const unlift = (c: Node): void => {
    const r = c.match!;
    r.prev!.next = r;
    if (r.next) r.next.prev = r;
    c.prev!.next = c;
    c.next!.prev = c;
  };

  while (head.next !== null) {
    if (entry === null) return false;
    if (entry.isCall) {
      const [ok, next] = stepModel(state, entry.op);
      if (ok) {
        linearized[entry.id >>> 5]! |= 1 << (entry.id & 31);
        const key = `${linearized.join(',')}|${next === null ? '\u0000' : next}`;
        if (!cache.has(key)) {
          if (cache.size >= maxStates) return 'unknown';
          cache.add(key);
          stack.push({ node: entry, state });
          state = next;
          lift(entry);
          entry = head.next;
          continue;
        }
        linearized[entry.id >>> 5]! &= ~(1 << (entry.id & 31));
      }
      entry = entry.next;
    } else {
      // An operation that never returned need not have happened: once only such returns remain,
      // every completed operation has been linearized.
      if (entry.op.return === null) return true;
      const top = stack.pop();
      if (!top) return false;
      state = top.state;
      linearized[top.node.id >>> 5]! &= ~(1 << (top.node.id & 31));
      unlift(top.node);
      entry = top.node.next;
    }
  }
  return true;
}
