import type { Command } from './command.js';
import { ConflictError, InvalidCommandError, type StoreError } from './errors.js';
import { deepFreeze } from './deep-freeze.js';
import { KIND_INFO, KINDS, type Kind, type ObjectBody, type StoreObject } from './kinds.js';
import type { StoreEvent } from './events.js';

type Table = Map<string, StoreObject>;

/**
 * The store's data and its in-memory indexes: a pure, deterministic state machine. Its output
 * depends only on its state and the (command, index) given, never on clocks or randomness.
 *
 * Objects are replaced, never mutated, so an object handed to a reader stays a consistent
 * snapshot of that version forever.
 */
export class StoreState {
  private readonly tables = new Map<Kind, Table>(KINDS.map((k) => [k, new Map()]));
  /** kind -> unique name -> id, for kinds with unique names. */
  private readonly names = new Map<Kind, Map<string, string>>();
  private readonly tasksByService = new Map<string, Set<string>>();
  private readonly tasksByNode = new Map<string, Set<string>>();
  /** Raft index of the last command applied successfully (or of the restored snapshot). */
  appliedIndex = 0;

  get<K extends Kind>(kind: K, id: string): StoreObject<K> | undefined {
    return this.table(kind).get(id) as StoreObject<K> | undefined;
  }

  /** All objects of a kind, sorted by id (a stable order every replica shares). */
  list<K extends Kind>(kind: K): StoreObject<K>[] {
    return sortById([...this.table(kind).values()] as StoreObject<K>[]);
  }

  ids(kind: Kind): IterableIterator<string> {
    return this.table(kind).keys();
  }

  count(kind: Kind): number {
    return this.table(kind).size;
  }

  idByName(kind: Kind, name: string): string | undefined {
    return this.names.get(kind)?.get(name);
  }

  taskIdsByService(serviceId: string): ReadonlySet<string> {
    return this.tasksByService.get(serviceId) ?? EMPTY;
  }

  taskIdsByNode(nodeId: string): ReadonlySet<string> {
    return this.tasksByNode.get(nodeId) ?? EMPTY;
  }

  /**
   * Apply one decoded command at `index`, all or nothing. Every check runs before the first
   * mutation, so a refusal leaves the state (including appliedIndex) exactly as it was. Returns
   * the events in command order, or the error that refused the batch.
   */
  apply(cmd: Command, index: number): StoreEvent[] | StoreError {
    if (!Number.isSafeInteger(index) || index <= this.appliedIndex) {
      return new InvalidCommandError('stale-index', `store command at index ${index} is not after the last applied index ${this.appliedIndex}`);
    }
    const refused = this.check(cmd);
    if (refused) return refused;

    const events: StoreEvent[] = [];
    for (const c of cmd.changes) {
      const old = c.op === 'create' ? undefined : this.get(c.kind, c.op === 'delete' ? c.id : c.object.id);
      if (c.op === 'delete') {
        this.remove(c.kind, old as StoreObject);
        events.push({ kind: c.kind, action: 'delete', object: old, oldObject: undefined, index } as StoreEvent);
        continue;
      }
      const createdAt = old === undefined ? cmd.ts : old.meta.createdAt;
      const next = deepFreeze({ ...c.object, meta: { version: index, createdAt, updatedAt: cmd.ts } }) as StoreObject;
      if (old !== undefined) this.remove(c.kind, old);
      this.insert(c.kind, next);
      events.push({ kind: c.kind, action: c.op, object: next, oldObject: old, index } as StoreEvent);
    }
    this.appliedIndex = index;
    return events;
  }

  private check(cmd: Command): StoreError | undefined {
    for (const c of cmd.changes) {
      const id = c.op === 'delete' ? c.id : c.object.id;
      const key = `${c.kind}/${id}`;
      const cur = this.get(c.kind, id);
      if (c.op === 'create') {
        if (cur !== undefined) return new ConflictError('exists', `${key} already exists`, { object: key, hint: 'choose another id' });
        continue;
      }
      if (cur === undefined) return new ConflictError('missing', `${key} was deleted before this change to it was applied`, { object: key });
      if (cur.meta.version !== c.version) {
        return new ConflictError('version', `${key} changed since it was read (read version ${c.version}, store has ${cur.meta.version})`, { object: key });
      }
    }
    return this.checkNames(cmd);
  }

  /**
   * Names are checked on the batch's end state, so a batch may swap or pass on names between its
   * own objects; an object that keeps its name while another in the batch claims it conflicts.
   */
  private checkNames(cmd: Command): StoreError | undefined {
    const claims = new Map<string, string>();
    const released = new Set<string>();
    for (const c of cmd.changes) {
      if (c.op !== 'create') released.add(`${c.kind}/${c.op === 'delete' ? c.id : c.object.id}`);
    }
    for (const c of cmd.changes) {
      if (c.op === 'delete') continue;
      const nameOf = KIND_INFO[c.kind].nameOf;
      if (nameOf === undefined) continue;
      const name = nameOf(c.object as ObjectBody);
      const claimKey = `${c.kind}/${name}`;
      const key = `${c.kind}/${c.object.id}`;
      const other = claims.get(claimKey);
      if (other !== undefined) return nameConflict(c.kind, name, key, other);
      claims.set(claimKey, key);
      const owner = this.idByName(c.kind, name);
      if (owner !== undefined && owner !== c.object.id && !released.has(`${c.kind}/${owner}`)) {
        return nameConflict(c.kind, name, key, `${c.kind}/${owner}`);
      }
    }
    return undefined;
  }

  /** Replace everything with `objects` (already validated and frozen); rebuilds every index. */
  reset(objects: ReadonlyMap<Kind, readonly StoreObject[]>, appliedIndex: number): void {
    for (const k of KINDS) this.table(k).clear();
    this.names.clear();
    this.tasksByService.clear();
    this.tasksByNode.clear();
    for (const [k, list] of objects) for (const o of list) this.insert(k, o);
    this.appliedIndex = appliedIndex;
  }

  private insert(kind: Kind, o: StoreObject): void {
    this.table(kind).set(o.id, o);
    const nameOf = KIND_INFO[kind].nameOf;
    if (nameOf !== undefined) {
      let m = this.names.get(kind);
      if (m === undefined) this.names.set(kind, (m = new Map()));
      m.set(nameOf(o), o.id);
    }
    if (kind === 'task') {
      const t = o as StoreObject<'task'>;
      addTo(this.tasksByService, t.serviceId, t.id);
      if (t.nodeId !== null) addTo(this.tasksByNode, t.nodeId, t.id);
    }
  }

  private remove(kind: Kind, o: StoreObject): void {
    this.table(kind).delete(o.id);
    const nameOf = KIND_INFO[kind].nameOf;
    if (nameOf !== undefined) {
      const m = this.names.get(kind);
      if (m?.get(nameOf(o)) === o.id) m.delete(nameOf(o));
    }
    if (kind === 'task') {
      const t = o as StoreObject<'task'>;
      removeFrom(this.tasksByService, t.serviceId, t.id);
      if (t.nodeId !== null) removeFrom(this.tasksByNode, t.nodeId, t.id);
    }
  }

  private table(kind: Kind): Table {
    const t = this.tables.get(kind);
    if (t === undefined) throw new Error(`unknown store kind ${String(kind)}`);
    return t;
  }
}

const EMPTY: ReadonlySet<string> = new Set();

function nameConflict(kind: Kind, name: string, key: string, owner: string): ConflictError {
  return new ConflictError('name', `${kind} name "${name}" is already used by ${owner}`, {
    object: key,
    hint: `choose another name or remove ${owner} first`,
  });
}

function addTo(index: Map<string, Set<string>>, key: string, id: string): void {
  let s = index.get(key);
  if (s === undefined) index.set(key, (s = new Set()));
  s.add(id);
}

function removeFrom(index: Map<string, Set<string>>, key: string, id: string): void {
  const s = index.get(key);
  if (s === undefined) return;
  s.delete(id);
  if (s.size === 0) index.delete(key);
}

export function sortById<T extends { id: string }>(list: T[]): T[] {
  return list.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
