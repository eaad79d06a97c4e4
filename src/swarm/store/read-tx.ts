import type { Kind, NamedKind, StoreObject } from './kinds.js';
import type { Task } from './objects/task.js';
import { sortById, type StoreState } from './state.js';

/**
 * Read access inside `view`, `update` and `viewAndWatch`. Lists are sorted by id. Returned objects
 * are frozen; copy one to change it.
 */
export interface ReadTx {
  /** Raft index the view reflects (the last applied command). */
  readonly index: number;
  get<K extends Kind>(kind: K, id: string): StoreObject<K> | undefined;
  /** All objects of a kind, optionally only ids starting with `prefix` (as `docker ... ls` does). */
  find<K extends Kind>(kind: K, opts?: { prefix?: string }): StoreObject<K>[];
  getByName<K extends NamedKind>(kind: K, name: string): StoreObject<K> | undefined;
  findTasksByService(serviceId: string): Task[];
  findTasksByNode(nodeId: string): Task[];
  /** Tasks of one replica slot, current and historical. */
  findTasksBySlot(serviceId: string, slot: number): Task[];
  count(kind: Kind): number;
}

/** ReadTx straight over the applied state. */
export class StateReadTx implements ReadTx {
  constructor(private readonly state: StoreState) {}

  get index(): number {
    return this.state.appliedIndex;
  }
  get<K extends Kind>(kind: K, id: string): StoreObject<K> | undefined {
    return this.state.get(kind, id);
  }
  find<K extends Kind>(kind: K, opts: { prefix?: string } = {}): StoreObject<K>[] {
    const all = this.state.list(kind);
    const prefix = opts.prefix;
    return prefix === undefined ? all : all.filter((o) => o.id.startsWith(prefix));
  }
  getByName<K extends NamedKind>(kind: K, name: string): StoreObject<K> | undefined {
    const id = this.state.idByName(kind, name);
    return id === undefined ? undefined : this.state.get(kind, id);
  }
  findTasksByService(serviceId: string): Task[] {
    return this.tasks(this.state.taskIdsByService(serviceId));
  }
  findTasksByNode(nodeId: string): Task[] {
    return this.tasks(this.state.taskIdsByNode(nodeId));
  }
  findTasksBySlot(serviceId: string, slot: number): Task[] {
    return this.findTasksByService(serviceId).filter((t) => t.slot === slot);
  }
  count(kind: Kind): number {
    return this.state.count(kind);
  }
  private tasks(ids: ReadonlySet<string>): Task[] {
    const out: Task[] = [];
    for (const id of ids) {
      const t = this.state.get('task', id);
      if (t !== undefined) out.push(t);
    }
    return sortById(out);
  }
}
