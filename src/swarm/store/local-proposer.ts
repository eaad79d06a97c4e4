import type { Proposer, ReplicatedStateMachine } from './proposer.js';
import { MemoryStore, type MemoryStoreOptions } from './memory-store.js';

/**
 * The in-process proposer: commits every command immediately at the next index and applies it
 * synchronously, inside `propose`, to each attached replica in attach order. It is a real
 * single-member log, not a stand-in: single-process use (tests, a one-manager tool) needs no
 * consensus. Multi-manager clusters use the raft proposer; the control-plane tests run this store
 * over real raft too.
 *
 * The value returned is the first replica's apply result (the "local" replica).
 */
export class LocalProposer implements Proposer {
  private index: number;
  private readonly replicas: ReplicatedStateMachine[] = [];

  constructor(opts: { startIndex?: number } = {}) {
    this.index = opts.startIndex ?? 0;
  }

  /** Replicas attached later do not receive earlier commands. */
  attach(replica: ReplicatedStateMachine): this {
    this.replicas.push(replica);
    return this;
  }

  /** Index of the last command committed. */
  get lastIndex(): number {
    return this.index;
  }

  propose(cmd: Uint8Array): Promise<unknown> {
    const index = ++this.index;
    let local: unknown;
    this.replicas.forEach((r, i) => {
      const result = r.apply(cmd, index);
      if (i === 0) local = result;
    });
    return Promise.resolve(local);
  }
}

/** A store with its own in-process proposer: the whole single-replica setup in one call. */
export function createLocalStore(opts: Omit<MemoryStoreOptions, 'proposer'> = {}): { store: MemoryStore; proposer: LocalProposer } {
  const proposer = new LocalProposer();
  const store = new MemoryStore({ ...opts, proposer });
  proposer.attach(store);
  return { store, proposer };
}
