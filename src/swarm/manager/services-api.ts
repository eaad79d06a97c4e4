import { z } from 'zod';
import { ApiError } from '../api/errors.js';
import { bounded } from '../api/schemas.js';
import { resolveRef } from '../api/refs.js';
import { isTerminal, serviceSpecProblems, serviceSpecSchema, type MemoryStore, type ReadTx, type Service, type ServiceSpec, type Task } from '../store/index.js';
import { randomTaskId } from './loop-runner.js';
import { resolveServiceNetworks } from './networks-api.js';
import type { ServiceView, TaskView } from '../api/views.js';
import { formatPorts, heldPorts, portProblems } from '../ports.js';
import { registryAuthSchema, resolveImageModeSchema, type RegistryAuth, type ResolveImageMode } from '../api/registry-auth.js';
import type { SecretsKey } from '../secrets/seal.js';
import { openRegistryAuth, sealRegistryAuth } from './sealed-auth.js';
import { canonicalJson } from '../store/canonical-json.js';
import { pinImage, type ImageResolver } from './image-pin.js';

/** What creating and updating services needs beside the store. */
export interface ServiceDeps {
  /** The manager's engine, asked for image digests; absent, images stay unpinned (with a warning). */
  images?: ImageResolver;
  secretsKey: () => SecretsKey;
}

/** No engine and no key: services with credentials are refused (what unit tests of other parts use). */
const NO_DEPS: ServiceDeps = {
  secretsKey: () => {
    throw new ApiError('unavailable', 'this manager cannot seal registry credentials');
  },
};

/** Fields of a create or update request that are not part of the spec. */
const imageOptions = {
  /** `--with-registry-auth`: stored sealed, used for the digest and by the nodes' pulls. */
  registryAuth: registryAuthSchema.optional(),
  /** Default `always`, as Docker. */
  resolveImage: resolveImageModeSchema.optional(),
};

/** A spec as a client may write it: the store's shape within LIMITS (store/objects/limits.ts). */
export const boundedServiceSpecSchema = bounded(serviceSpecSchema, serviceSpecProblems);

/** `POST /v1/services` and `POST /v1/services/:id/update`: a whole spec, validated strictly. */
export const serviceCreateSchema = z.strictObject({ spec: boundedServiceSpecSchema, ...imageOptions });
export const serviceUpdateSchema = z.strictObject({
  ...imageOptions,
  spec: boundedServiceSpecSchema.optional(),
  /** The service's meta.version the caller read; a newer one in the store is a conflict. */
  version: z.int().nonnegative().optional(),
  /** Swap spec and previousSpec (`service rollback`). */
  rollback: z.boolean().optional(),
});

/** A service by id, name or unique id prefix (api/refs.ts). */
export function findService(store: MemoryStore, ref: string): Service {
  return store.view((tx) => resolveRef(tx, 'service', ref));
}

/** A create or update's answer: `warnings` says what the caller should know (an unpinned image). */
export interface ServiceWriteResult {
  id: string;
  warnings: string[];
}

export async function createService(store: MemoryStore, body: z.infer<typeof serviceCreateSchema>, deps: ServiceDeps = NO_DEPS): Promise<ServiceWriteResult> {
  const id = randomTaskId();
  if (store.view((tx) => tx.getByName('service', body.spec.name))) throw new ApiError('conflict', `a service named ${JSON.stringify(body.spec.name)} already exists`, { field: 'spec.name' });
  const resolved = resolveServiceNetworks(store, body.spec);
  const pinned = await pin(resolved, null, body.resolveImage ?? 'always', body.registryAuth, deps);
  const registryAuth = body.registryAuth ? sealRegistryAuth(body.registryAuth, id, deps.secretsKey()) : null;
  await store.update((tx) => {
    if (tx.getByName('service', pinned.spec.name)) throw new ApiError('conflict', `a service named ${JSON.stringify(body.spec.name)} already exists`, { field: 'spec.name' });
    networksStillThere(tx, pinned.spec);
    portsFree(tx, pinned.spec, null);
    tx.create('service', { id, spec: pinned.spec, previousSpec: null, updateStatus: null, endpoint: null, registryAuth, problem: null });
  });
  return { id, warnings: pinned.warnings };
}

/** The spec with its image pinned to a digest as `mode` says (manager/image-pin.ts). */
async function pin(spec: ServiceSpec, current: string | null, mode: ResolveImageMode, auth: RegistryAuth | undefined, deps: ServiceDeps): Promise<{ spec: ServiceSpec; warnings: string[] }> {
  const p = await pinImage({ image: spec.task.container.image, current, mode, resolver: deps.images, auth });
  const out = p.image === spec.task.container.image ? spec : { ...spec, task: { ...spec.task, container: { ...spec.task.container, image: p.image } } };
  return { spec: out, warnings: p.warning ? [p.warning] : [] };
}

/** A service as the API shows it: the sealed credential is named by its registry, never included. */
export function publicService(s: Service): Omit<Service, 'registryAuth'> & { registryAuth: { registry: string } | null } {
  return { ...s, registryAuth: s.registryAuth ? { registry: s.registryAuth.registry } : null };
}

/** A spec change starts a rolling update (specs/tasks.md): previousSpec keeps the old one. */
export async function updateService(
  store: MemoryStore,
  ref: string,
  body: z.infer<typeof serviceUpdateSchema>,
  deps: ServiceDeps = NO_DEPS,
  now: () => number = Date.now,
): Promise<ServiceWriteResult & { version: number | null; changed: boolean }> {
  const svc = findService(store, ref);
  const pinned = body.spec ? await pin(resolveServiceNetworks(store, body.spec), svc.spec.task.container.image, body.resolveImage ?? 'always', body.registryAuth ?? openRegistryAuth(svc, deps.secretsKey), deps) : undefined;
  const spec = pinned?.spec;
  const registryAuth = body.registryAuth ? sealRegistryAuth(body.registryAuth, svc.id, deps.secretsKey()) : undefined;
  let changed = true;
  const r = await store.update((tx) => {
    const cur = tx.get('service', svc.id);
    if (!cur) throw new ApiError('not-found', `no service ${svc.id}`);
    if (body.version !== undefined && body.version !== cur.meta.version) {
      throw new ApiError('conflict', `service ${cur.spec.name} changed since version ${body.version} (now ${cur.meta.version}): read it again and retry`, { field: 'version' });
    }
    if (body.rollback) {
      if (!cur.previousSpec) throw new ApiError('conflict', `service ${cur.spec.name} has no previous spec to roll back to`);
      portsFree(tx, cur.previousSpec, cur.id);
      tx.update('service', { ...cur, spec: cur.previousSpec, previousSpec: cur.spec, updateStatus: { state: 'rollback-started', startedAt: now(), completedAt: null, message: 'manually requested rollback' } });
      return;
    }
    if (!spec) throw new ApiError('invalid', 'nothing to update: give spec or rollback', { field: 'spec' });
    if (spec.name !== cur.spec.name) throw new ApiError('invalid', `a service cannot be renamed (${cur.spec.name} -> ${spec.name})`, { field: 'spec.name' });
    networksStillThere(tx, spec);
    portsFree(tx, spec, cur.id);
    // Nothing to do touches no task, and the previous spec stays the one to roll back to; new
    // credentials alone are stored for the next pulls.
    if (canonicalJson(spec) === canonicalJson(cur.spec)) {
      changed = false;
      if (registryAuth !== undefined) tx.update('service', { ...cur, registryAuth });
      return;
    }
    tx.update('service', { ...cur, spec, previousSpec: cur.spec, updateStatus: null, ...(registryAuth !== undefined ? { registryAuth } : {}) });
  });
  return { id: svc.id, version: r.index ?? svc.meta.version, changed, warnings: pinned?.warnings ?? [] };
}

/** A network removed between resolving the references and this write: refuse rather than dangle. */
function networksStillThere(tx: ReadTx, spec: ServiceSpec): void {
  for (const a of spec.task.networks) {
    if (!tx.get('network', a.target)) throw new ApiError('conflict', `network ${a.target} was removed while the service was being written`, { field: 'spec.task.networks', hint: 'run the command again' });
  }
}

/**
 * The spec's published ports against every other service's (specs/networking.md, "Ingress: the
 * manager side"), inside the write's transaction so two requests cannot both take one port. The
 * first problem is the answer: one port fixed at a time reads better than a list.
 */
function portsFree(tx: ReadTx, spec: ServiceSpec, self: string | null): void {
  const others = tx
    .find('service')
    .filter((s) => s.id !== self)
    .map((s) => ({ name: s.spec.name, ports: heldPorts(s) }));
  const p = portProblems(spec.name, spec.endpoint.ports, others)[0];
  if (p !== undefined) throw new ApiError(p.code, p.message, { field: `spec.endpoint.ports[${p.index}].${p.key}`, hint: p.hint });
}

export async function removeService(store: MemoryStore, ref: string): Promise<{ id: string }> {
  const svc = findService(store, ref);
  await store.update((tx) => tx.delete('service', svc.id));
  return { id: svc.id };
}

function isUp(t: Task): boolean {
  return t.status.state === 'running' && (t.status.health === null || t.status.health === 'healthy');
}

export function serviceViews(store: MemoryStore): ServiceView[] {
  return store.view((tx) =>
    tx.find('service').map((s) => {
      const live = tx.findTasksByService(s.id).filter((t) => t.desiredState === 'running');
      const desired = s.spec.mode.type === 'replicated' ? s.spec.mode.replicas : live.length;
      return {
        id: s.id,
        name: s.spec.name,
        mode: s.spec.mode.type,
        desired,
        running: live.filter(isUp).length,
        image: s.spec.task.container.image,
        ports: formatPorts(heldPorts(s)),
        publishedPorts: heldPorts(s),
        updateState: s.updateStatus?.state ?? null,
        updateMessage: s.updateStatus?.message ?? null,
        problem: s.problem ? `${s.problem.loop}: ${s.problem.message}` : null,
        labels: s.spec.labels,
      };
    }),
  );
}

/** Tasks of a service, newest first per slot, as `service ps` shows them. */
export function taskViews(store: MemoryStore, ref: string, opts: { all: boolean }): TaskView[] {
  const svc = findService(store, ref);
  return store.view((tx) =>
    tx
      .findTasksByService(svc.id)
      .filter((t) => opts.all || t.desiredState === 'running' || !isTerminal(t.status.state))
      .sort((a, b) => a.slot - b.slot || (a.nodeId ?? '').localeCompare(b.nodeId ?? '') || b.meta.createdAt - a.meta.createdAt)
      .map((t) => ({
        id: t.id,
        name: `${svc.spec.name}.${t.slot > 0 ? t.slot : (t.nodeId ?? '')}`,
        image: t.spec.container.image,
        node: t.nodeId ? (tx.get('node', t.nodeId)?.description?.hostname ?? t.nodeId) : '',
        nodeAddr: t.nodeId ? (tx.get('node', t.nodeId)?.status.addr ?? '') : '',
        desiredState: t.desiredState,
        state: t.status.state,
        since: t.status.timestamp,
        // A waiting task's reason (no address left, no suitable node, waiting for a dependency)
        // is its err or, for the gentler ones, its message.
        error: t.status.err ?? (t.status.state === 'pending' || t.status.state === 'new' ? t.status.message : ''),
        exitCode: t.status.exitCode,
        health: t.status.health,
      })),
  );
}
