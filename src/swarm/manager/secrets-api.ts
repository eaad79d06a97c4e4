import { z } from 'zod';
import { ApiError } from '../api/errors.js';
import { seal, unseal, type SecretsKey } from '../secrets/seal.js';
import { LIMITS, labelsProblems, labelsSchema, nameSchema, type MemoryStore, type Task } from '../store/index.js';
import { bounded } from '../api/schemas.js';
import { resolveRef } from '../api/refs.js';
import { randomTaskId } from './loop-runner.js';
import type { TaskFile } from '../api/assignments.js';
import type { FileObjectView } from '../api/views.js';

/** `POST /v1/secrets` and `/v1/configs`: the payload travels base64 over mutual TLS, never stored as is. */
export const fileObjectCreateSchema = z.strictObject({
  name: nameSchema,
  labels: bounded(labelsSchema, labelsProblems).default({}),
  data: z.base64().max(Math.ceil(LIMITS.fileDataBytes / 3) * 4),
});

export type FileKind = 'secret' | 'config';

function usedBy(store: MemoryStore, kind: FileKind, id: string): string[] {
  return store.view((tx) =>
    tx
      .find('service')
      .filter((s) => (kind === 'secret' ? s.spec.task.container.secrets : s.spec.task.container.configs).some((r) => r.id === id))
      .map((s) => s.spec.name),
  );
}

export async function createFileObject(store: MemoryStore, kind: FileKind, raw: z.infer<typeof fileObjectCreateSchema>, key: () => SecretsKey): Promise<{ id: string }> {
  const bytes = Buffer.from(raw.data, 'base64');
  if (bytes.length === 0) throw new ApiError('invalid', `${kind} data is empty`, { field: 'data' });
  if (bytes.length > LIMITS.fileDataBytes) throw new ApiError('invalid', `${kind} data is ${bytes.length} bytes, at most ${LIMITS.fileDataBytes}`, { field: 'data' });
  const id = randomTaskId();
  await store.update((tx) => {
    if (tx.getByName(kind, raw.name)) throw new ApiError('conflict', `a ${kind} named ${JSON.stringify(raw.name)} already exists`, { field: 'name' });
    if (kind === 'secret') tx.create('secret', { id, spec: { name: raw.name, labels: raw.labels, data: seal(bytes, key(), id) } });
    else tx.create('config', { id, spec: { name: raw.name, labels: raw.labels, data: raw.data } });
  });
  return { id };
}

/** A secret or config by id, name or unique id prefix (api/refs.ts): an ambiguous prefix is refused, never a pick. */
function find(store: MemoryStore, kind: FileKind, ref: string) {
  return store.view((tx) => resolveRef(tx, kind, ref, 'name'));
}

export function fileObjectViews(store: MemoryStore, kind: FileKind): FileObjectView[] {
  return store.view((tx) => tx.find(kind)).map((o) => ({ id: o.id, name: o.spec.name, labels: o.spec.labels, createdAt: o.meta.createdAt, updatedAt: o.meta.updatedAt, usedBy: usedBy(store, kind, o.id) }));
}

export function fileObjectView(store: MemoryStore, kind: FileKind, ref: string): FileObjectView {
  const o = find(store, kind, ref);
  return { id: o.id, name: o.spec.name, labels: o.spec.labels, createdAt: o.meta.createdAt, updatedAt: o.meta.updatedAt, usedBy: usedBy(store, kind, o.id) };
}

/** Docker refuses to remove a secret or config a service still uses; so do we. */
export async function removeFileObject(store: MemoryStore, kind: FileKind, ref: string): Promise<{ id: string }> {
  const o = find(store, kind, ref);
  const users = usedBy(store, kind, o.id);
  if (users.length > 0) throw new ApiError('conflict', `${kind} ${o.spec.name} is in use by service${users.length > 1 ? 's' : ''} ${users.join(', ')}`, { hint: `remove it from the service first (service update or rm)` });
  await store.update((tx) => tx.delete(kind, o.id));
  return { id: o.id };
}

/** The payloads a task mounts, decrypted for its node. A missing object makes the task fail to prepare. */
export function taskFiles(store: MemoryStore, t: Task, key: () => SecretsKey): TaskFile[] {
  const c = t.spec.container;
  if (c.secrets.length === 0 && c.configs.length === 0) return [];
  return store.view((tx) => [
    ...c.secrets.flatMap((r): TaskFile[] => {
      const s = tx.get('secret', r.id);
      return s ? [{ kind: 'secret', id: r.id, data: unseal(s.spec.data, key(), s.id).toString('base64') }] : [];
    }),
    ...c.configs.flatMap((r): TaskFile[] => {
      const s = tx.get('config', r.id);
      return s ? [{ kind: 'config', id: r.id, data: s.spec.data }] : [];
    }),
  ]);
}
