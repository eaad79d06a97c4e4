import { z } from 'zod';
import { canonicalJson } from './canonical-json.js';
import { InvalidCommandError } from './errors.js';
import { KIND_INFO, KINDS, type Kind, type ObjectBody } from './kinds.js';
import { idSchema, timeSchema } from './objects/common.js';

/**
 * The one thing that goes through raft: a batch of changes, encoded as UTF-8 JSON with sorted
 * keys. Format (specs/store.md): `{"changes":[...],"ts":<ms>,"v":1}`.
 */

/** Version tag written into every command. Bump it when the meaning of a field changes. */
export const COMMAND_FORMAT_VERSION = 1;

export interface CreateChange<K extends Kind = Kind> {
  op: 'create';
  kind: K;
  object: ObjectBody<K>;
}
export interface UpdateChange<K extends Kind = Kind> {
  op: 'update';
  kind: K;
  /** meta.version the writer read: the update applies only if the store still holds it. */
  version: number;
  object: ObjectBody<K>;
}
export interface DeleteChange<K extends Kind = Kind> {
  op: 'delete';
  kind: K;
  id: string;
  /** meta.version the writer read, as for updates. */
  version: number;
}
export type Change = { [K in Kind]: CreateChange<K> | UpdateChange<K> | DeleteChange<K> }[Kind];

export interface Command {
  v: typeof COMMAND_FORMAT_VERSION;
  /** Proposer-side time, epoch ms: becomes createdAt/updatedAt of what the batch writes. */
  ts: number;
  /** Applied in order, all or nothing. Each (kind, id) appears at most once. */
  changes: Change[];
}

/**
 * Upgrades of older command formats, keyed by the version they read; each returns the next
 * version's raw form. Empty while only version 1 exists. Raft logs outlive builds, so a new format
 * must come with the step that reads the old one, never instead of it.
 */
const MIGRATIONS: ReadonlyMap<number, (raw: Record<string, unknown>) => Record<string, unknown>> = new Map();

const kindSchema = z.enum(KINDS);
const versionSchema = z.int().positive();
const envelopeSchema = z.strictObject({
  v: z.literal(COMMAND_FORMAT_VERSION),
  ts: timeSchema,
  changes: z
    .array(
      z.discriminatedUnion('op', [
        z.strictObject({ op: z.literal('create'), kind: kindSchema, object: z.unknown() }),
        z.strictObject({ op: z.literal('update'), kind: kindSchema, version: versionSchema, object: z.unknown() }),
        z.strictObject({ op: z.literal('delete'), kind: kindSchema, id: idSchema, version: versionSchema }),
      ]),
    )
    .min(1),
});

export function encodeCommand(cmd: Command): Uint8Array {
  return new TextEncoder().encode(canonicalJson(cmd));
}

/** Decode and fully validate a command; throws {@link InvalidCommandError} and nothing else. */
export function decodeCommand(bytes: Uint8Array): Command {
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (e) {
    throw new InvalidCommandError('malformed', 'store command is not UTF-8 JSON', { cause: e });
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new InvalidCommandError('malformed', 'store command is not a JSON object');
  }
  let obj = raw as Record<string, unknown>;
  let v = obj['v'];
  if (typeof v !== 'number' || !Number.isInteger(v)) {
    throw new InvalidCommandError('malformed', 'store command has no integer format version "v"', { path: 'v' });
  }
  while (v !== COMMAND_FORMAT_VERSION) {
    const step = typeof v === 'number' ? MIGRATIONS.get(v) : undefined;
    if (step === undefined) {
      throw new InvalidCommandError(
        'unsupported-version',
        `store command format version ${String(v)} is not supported (this build reads ${COMMAND_FORMAT_VERSION})`,
        { path: 'v' },
      );
    }
    obj = step(obj);
    v = obj['v'];
  }
  const env = envelopeSchema.safeParse(obj);
  if (!env.success) throw fromZod('malformed', env.error, '');
  const seen = new Set<string>();
  const changes: Change[] = [];
  env.data.changes.forEach((c, i) => {
    const where = `changes[${i}]`;
    let id: string;
    if (c.op === 'delete') {
      id = c.id;
      changes.push({ op: 'delete', kind: c.kind, id: c.id, version: c.version } as Change);
    } else {
      const object = validateBody(c.kind, c.object, `${where}.object`);
      id = object.id;
      changes.push((c.op === 'create' ? { op: 'create', kind: c.kind, object } : { op: 'update', kind: c.kind, version: c.version, object }) as Change);
    }
    const key = `${c.kind}/${id}`;
    if (seen.has(key)) {
      throw new InvalidCommandError('malformed', `${where}: ${key} is changed twice in one command`, { path: where, object: key });
    }
    seen.add(key);
  });
  return { v: COMMAND_FORMAT_VERSION, ts: env.data.ts, changes };
}

/** Validate an object body against its kind's schema; the result is zod's (normalised) output. */
export function validateBody<K extends Kind>(kind: K, object: unknown, where = 'object'): ObjectBody<K> {
  const r = KIND_INFO[kind].body.safeParse(object);
  if (!r.success) {
    const id = typeof object === 'object' && object !== null ? (object as { id?: unknown }).id : undefined;
    throw fromZod('invalid-object', r.error, where, typeof id === 'string' ? `${kind}/${id}` : kind);
  }
  return r.data as ObjectBody<K>;
}

function fromZod(reason: 'malformed' | 'invalid-object', err: z.ZodError, prefix: string, object?: string): InvalidCommandError {
  const issue = err.issues[0];
  const sub = issue ? issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('') : '';
  const path = (prefix + sub).replace(/^\./, '');
  const what = reason === 'malformed' ? 'store command' : (object ?? 'object');
  return new InvalidCommandError(reason, `${what}: ${path || '(root)'}: ${issue?.message ?? 'invalid'}`, {
    path,
    ...(object === undefined ? {} : { object }),
  });
}
