import { validateBody, type Change } from './command.js';
import { deepFreeze } from './deep-freeze.js';
import { ConflictError, StoreError } from './errors.js';
import { KIND_INFO, type Kind, type NamedKind, type ObjectBody, type StoreObject } from './kinds.js';
import type { Task } from './objects/task.js';
import type { ReadTx } from './read-tx.js';
import { sortById } from './state.js';

interface Pending {
  kind: Kind;
  id: string;
  op: 'create' | 'update' | 'delete';
  /** Version the change is based on (update/delete). */
  baseVersion: number;
  /** What reads inside the transaction see; undefined once deleted. */
  object: StoreObject | undefined;
}

/**
 * Write access inside `update`. Changes are recorded, not applied: reads in the same transaction
 * see them, nobody else does until the batch is committed through raft and applied. Several
 * changes to one object collapse into one (create+update = create, create+delete = nothing), so a
 * command names each object at most once.
 */
export interface WriteTx extends ReadTx {
  /** Record a new object. Its meta is filled in at apply time (version 0 until then). */
  create<K extends Kind>(kind: K, object: ObjectBody<K>): StoreObject<K>;
  /**
   * Record a new version of an object read earlier (from any transaction). Its `meta.version`
   * says which version the change is based on; if the store has moved on, the batch fails with a
   * {@link ConflictError} (here at once when this transaction already sees a newer version).
   */
  update<K extends Kind>(kind: K, object: StoreObject<K>): StoreObject<K>;
  /** Record a deletion, based on the version this transaction sees. */
  delete(kind: Kind, id: string): void;
}

export class OverlayWriteTx implements WriteTx {
  private readonly pending = new Map<string, Pending>();

  constructor(
    private readonly base: ReadTx,
    /** Proposer-side time of the transaction: the command's `ts`. */
    readonly ts: number,
  ) {}

  get index(): number {
    return this.base.index;
  }

  /** Number of recorded changes. */
  get size(): number {
    return this.pending.size;
  }

  /** The recorded changes, in the order their objects were first touched. */
  changes(): Change[] {
    const out: Change[] = [];
    for (const p of this.pending.values()) {
      if (p.op === 'delete') out.push({ op: 'delete', kind: p.kind, id: p.id, version: p.baseVersion } as Change);
      else out.push({ op: p.op, kind: p.kind, ...(p.op === 'update' ? { version: p.baseVersion } : {}), object: stripMeta(p.object as StoreObject) } as Change);
    }
    return out;
  }

  /**
   * Record this transaction's changes again in `target` (how a batch folds in one step). The
   * objects were validated when recorded here, so only the existence and version checks run again.
   */
  replayOnto(target: OverlayWriteTx): void {
    for (const p of this.pending.values()) {
      if (p.op === 'delete') target.delete(p.kind, p.id);
      else if (p.op === 'create') target.recordCreate(p.kind, stripMeta(p.object));
      else target.recordUpdate(p.kind, p.object as StoreObject);
    }
  }

  get<K extends Kind>(kind: K, id: string): StoreObject<K> | undefined {
    const p = this.pending.get(`${kind}/${id}`);
    if (p !== undefined) return p.object as StoreObject<K> | undefined;
    return this.base.get(kind, id);
  }

  find<K extends Kind>(kind: K, opts: { prefix?: string } = {}): StoreObject<K>[] {
    return this.merge(kind, this.base.find(kind, opts), (o) => opts.prefix === undefined || o.id.startsWith(opts.prefix));
  }

  getByName<K extends NamedKind>(kind: K, name: string): StoreObject<K> | undefined {
    const nameOf = KIND_INFO[kind].nameOf;
    if (nameOf === undefined) return undefined;
    for (const p of this.pending.values()) {
      if (p.kind === kind && p.object !== undefined && nameOf(p.object) === name) return p.object as StoreObject<K>;
    }
    const o = this.base.getByName(kind, name);
    if (o === undefined) return undefined;
    const now = this.get(kind, o.id);
    return now !== undefined && nameOf(now) === name ? now : undefined;
  }

  findTasksByService(serviceId: string): Task[] {
    return this.merge('task', this.base.findTasksByService(serviceId), (t) => t.serviceId === serviceId);
  }
  findTasksByNode(nodeId: string): Task[] {
    return this.merge('task', this.base.findTasksByNode(nodeId), (t) => t.nodeId === nodeId);
  }
  findTasksBySlot(serviceId: string, slot: number): Task[] {
    return this.merge('task', this.base.findTasksBySlot(serviceId, slot), (t) => t.serviceId === serviceId && t.slot === slot);
  }

  count(kind: Kind): number {
    let n = this.base.count(kind);
    for (const p of this.pending.values()) {
      if (p.kind !== kind) continue;
      if (p.op === 'create') n += 1;
      if (p.op === 'delete') n -= 1;
    }
    return n;
  }

  create<K extends Kind>(kind: K, object: ObjectBody<K>): StoreObject<K> {
    return this.recordCreate(kind, validateBody(kind, stripMeta(object), `${kind}`));
  }

  private recordCreate<K extends Kind>(kind: K, body: ObjectBody<K>): StoreObject<K> {
    const key = `${kind}/${body.id}`;
    const p = this.pending.get(key);
    if (p !== undefined && p.object === undefined) {
      throw new ConflictError('exists', `${key} was deleted in this transaction; an id is not reused within one`, { object: key });
    }
    if (this.get(kind, body.id) !== undefined) {
      throw new ConflictError('exists', `${key} already exists`, { object: key, hint: 'choose another id' });
    }
    const visible = deepFreeze({ ...body, meta: { version: 0, createdAt: this.ts, updatedAt: this.ts } }) as StoreObject<K>;
    this.pending.set(key, { kind, id: body.id, op: 'create', baseVersion: 0, object: visible });
    return visible;
  }

  update<K extends Kind>(kind: K, object: StoreObject<K>): StoreObject<K> {
    const body = validateBody(kind, stripMeta(object), `${kind}`);
    return this.recordUpdate(kind, { ...body, meta: (object as { meta?: unknown }).meta } as StoreObject<K>);
  }

  private recordUpdate<K extends Kind>(kind: K, object: StoreObject<K>): StoreObject<K> {
    const body = stripMeta(object) as ObjectBody<K>;
    const key = `${kind}/${body.id}`;
    const cur = this.get(kind, body.id);
    if (cur === undefined) throw new StoreError('not-found', `${key} does not exist`, { object: key });
    const read = (object as { meta?: { version?: unknown } }).meta?.version;
    if (read !== cur.meta.version) {
      throw new ConflictError('version', `${key} changed since it was read (read version ${String(read)}, store has ${cur.meta.version})`, { object: key });
    }
    const visible = deepFreeze({ ...body, meta: cur.meta }) as StoreObject<K>;
    const p = this.pending.get(key);
    if (p !== undefined) p.object = visible;
    else this.pending.set(key, { kind, id: body.id, op: 'update', baseVersion: cur.meta.version, object: visible });
    return visible;
  }

  delete(kind: Kind, id: string): void {
    const key = `${kind}/${id}`;
    const cur = this.get(kind, id);
    if (cur === undefined) throw new StoreError('not-found', `${key} does not exist`, { object: key });
    const p = this.pending.get(key);
    if (p?.op === 'create') this.pending.delete(key);
    else if (p !== undefined) {
      p.op = 'delete';
      p.object = undefined;
    } else this.pending.set(key, { kind, id, op: 'delete', baseVersion: cur.meta.version, object: undefined });
  }

  /** Base results with this transaction's changes laid over them, sorted by id. */
  private merge<K extends Kind>(kind: K, base: StoreObject<K>[], want: (o: StoreObject<K>) => boolean): StoreObject<K>[] {
    const out = new Map<string, StoreObject<K>>();
    for (const o of base) out.set(o.id, o);
    for (const p of this.pending.values()) {
      if (p.kind !== kind) continue;
      out.delete(p.id);
      if (p.object !== undefined && want(p.object as StoreObject<K>)) out.set(p.id, p.object as StoreObject<K>);
    }
    return sortById([...out.values()]);
  }
}

/** The body of an object; anything that is not an object is passed on for validation to refuse. */
function stripMeta(o: unknown): ObjectBody {
  if (o === null || typeof o !== 'object' || Array.isArray(o)) return o as ObjectBody;
  const { meta: _meta, ...body } = o as { meta?: unknown };
  return body as ObjectBody;
}
