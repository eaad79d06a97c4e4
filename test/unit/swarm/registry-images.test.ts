import { describe, expect, it } from 'vitest';
import type { RegistryAuth } from '../../../src/swarm/api/registry-auth.js';
import { RootCA } from '../../../src/swarm/ca/index.js';
import { pinImage, type ImageResolver } from '../../../src/swarm/manager/image-pin.js';
import { assignmentsFor } from '../../../src/swarm/manager/assignments.js';
import { openRegistryAuth } from '../../../src/swarm/manager/sealed-auth.js';
import { createService, findService, publicService, updateService, type ServiceDeps } from '../../../src/swarm/manager/services-api.js';
import { schedule } from '../../../src/swarm/manager/scheduler/index.js';
import { deriveSecretsKey } from '../../../src/swarm/secrets/seal.js';
import { serviceSpecFromFlags, updatedSpec, type ServiceFlags } from '../../../src/swarm/service-flags.js';
import { planStackDeploy, STACK_NAMESPACE_LABEL } from '../../../src/swarm/stack/stack-spec.js';
import { newStore, task } from './store-fixtures.js';
import { mkNode, mkTask } from './task-fixtures.js';

const D1 = `sha256:${'1'.repeat(64)}`;
const D2 = `sha256:${'2'.repeat(64)}`;
const none: ServiceFlags = { env: [], label: [], containerLabel: [], constraint: [], placementPref: [], mount: [], publish: [] };
const spec = (image: string, name = 'web') => serviceSpecFromFlags({ ...none, name }, image, []);

/** A fake of the manager's engine: what each tag points at, and the credentials it was asked with. */
class FakeRegistry implements ImageResolver {
  readonly tags = new Map<string, string>();
  readonly asked: Array<{ ref: string; auth: RegistryAuth | undefined }> = [];
  async resolveDigest(ref: string, auth?: RegistryAuth): Promise<string> {
    this.asked.push({ ref, auth });
    const d = this.tags.get(ref);
    if (!d) throw new Error(`manifest unknown: ${ref}\nmore`);
    return d;
  }
}

async function deps(reg: FakeRegistry): Promise<ServiceDeps> {
  const key = deriveSecretsKey((await RootCA.create({ clusterId: 'c1' })).keyPem);
  return { images: reg, secretsKey: () => key };
}

const auth: RegistryAuth = { serveraddress: '10.199.15.1:5000', username: 'ci', password: 'hunter2-very-secret' };

describe('pinning images to a digest (manager/image-pin.ts)', () => {
  it('always: asks the registry; a digest already named stays; never keeps the tag', async () => {
    const reg = new FakeRegistry();
    reg.tags.set('app:1', D1);
    expect(await pinImage({ image: 'app:1', current: null, mode: 'always', resolver: reg, auth })).toEqual({ image: `app:1@${D1}` });
    expect(reg.asked).toEqual([{ ref: 'app:1', auth }]);
    expect(await pinImage({ image: `app:1@${D2}`, current: null, mode: 'always', resolver: reg, auth: undefined })).toEqual({ image: `app:1@${D2}` });
    expect(await pinImage({ image: 'app:1', current: null, mode: 'never', resolver: reg, auth: undefined })).toEqual({ image: 'app:1' });
    expect(reg.asked).toHaveLength(1);
  });

  it('an image the manager built or loaded (no repo digest) is used by its tag, without asking', async () => {
    const reg = new FakeRegistry();
    const local: ImageResolver = { resolveDigest: (r, a) => reg.resolveDigest(r, a), isLocalOnly: async (r) => r === 'built-here:1' };
    expect(await pinImage({ image: 'built-here:1', current: null, mode: 'always', resolver: local, auth: undefined })).toEqual({ image: 'built-here:1' });
    expect(reg.asked).toEqual([]);
    reg.tags.set('pulled:1', D1);
    expect(await pinImage({ image: 'pulled:1', current: null, mode: 'always', resolver: local, auth: undefined })).toEqual({ image: `pulled:1@${D1}` });
  });

  it('changed: the stored digest stays while name and tag are the same; another tag is asked', async () => {
    const reg = new FakeRegistry();
    reg.tags.set('app:1', D2).set('app:2', D2);
    expect(await pinImage({ image: 'app:1', current: `app:1@${D1}`, mode: 'changed', resolver: reg, auth: undefined })).toEqual({ image: `app:1@${D1}` });
    expect(await pinImage({ image: 'app:2', current: `app:1@${D1}`, mode: 'changed', resolver: reg, auth: undefined })).toEqual({ image: `app:2@${D2}` });
  });

  it('a registry that fails, hangs or answers nonsense is a warning naming the image, not a refusal', async () => {
    const reg = new FakeRegistry();
    const failed = await pinImage({ image: 'local-only:1', current: null, mode: 'always', resolver: reg, auth: undefined });
    expect(failed.image).toBe('local-only:1');
    expect(failed.warning).toMatch(/^image local-only:1 could not be accessed on a registry to record its digest \(manifest unknown: local-only:1\); each node will access/);
    const hung: ImageResolver = { resolveDigest: () => new Promise(() => undefined) };
    expect((await pinImage({ image: 'a:1', current: null, mode: 'always', resolver: hung, auth: undefined, timeoutMs: 20 })).warning).toContain('no answer within 0.02 s');
    const odd: ImageResolver = { resolveDigest: async () => 'latest' };
    expect((await pinImage({ image: 'a:1', current: null, mode: 'always', resolver: odd, auth: undefined })).image).toBe('a:1');
    expect((await pinImage({ image: 'a:1', current: null, mode: 'always', resolver: undefined, auth: undefined })).warning).toContain('no engine');
  });
});

describe('services with registry credentials and pinned images', () => {
  it('create pins the image with the given credentials and stores them sealed; the API view names only the registry', async () => {
    const reg = new FakeRegistry();
    reg.tags.set('10.199.15.1:5000/app:1', D1);
    const d = await deps(reg);
    const { store } = newStore();
    const r = await createService(store, { spec: spec('10.199.15.1:5000/app:1'), registryAuth: auth }, d);
    expect(r.warnings).toEqual([]);
    const s = findService(store, 'web');
    expect(s.spec.task.container.image).toBe(`10.199.15.1:5000/app:1@${D1}`);
    expect(reg.asked[0]!.auth).toEqual(auth);
    expect(JSON.stringify(s)).not.toContain('hunter2');
    expect(openRegistryAuth(s, d.secretsKey)).toEqual(auth);
    // Bound to the service: the same blob under another id does not open.
    expect(() => openRegistryAuth({ ...s, id: 'other' }, d.secretsKey)).toThrow();
    expect(publicService(s).registryAuth).toEqual({ registry: '10.199.15.1:5000' });
    expect(JSON.stringify(publicService(s))).not.toContain('ciphertext');
  });

  it('update: --force resolves again with the stored credentials; an unmoved tag changes nothing; a moved one rolls', async () => {
    const reg = new FakeRegistry();
    reg.tags.set('app:1', D1);
    const d = await deps(reg);
    const { store } = newStore();
    await createService(store, { spec: spec('app:1'), registryAuth: auth }, d);
    const before = findService(store, 'web');
    const forced = updatedSpec(before.spec, { envAdd: [], envRm: [], force: true });
    expect(forced.task.container.image).toBe('app:1');
    // An unchanged spec apart from the digest: nothing to do, nothing written.
    const same = await updateService(store, 'web', { spec: { ...before.spec, task: { ...before.spec.task, container: { ...before.spec.task.container, image: 'app:1' } } } }, d);
    expect(same.changed).toBe(false);
    expect(findService(store, 'web').meta.version).toBe(before.meta.version);
    // New credentials with nothing else: stored for the next pulls, still no rollout.
    const auth2 = { ...auth, password: 'rotated' };
    const creds = await updateService(store, 'web', { spec: before.spec, registryAuth: auth2 }, d);
    expect(creds.changed).toBe(false);
    expect(openRegistryAuth(findService(store, 'web'), d.secretsKey)).toEqual(auth2);
    expect(findService(store, 'web').spec).toEqual(before.spec);
    expect(findService(store, 'web').previousSpec).toBeNull();
    await updateService(store, 'web', { spec: before.spec, registryAuth: auth }, d);
    reg.tags.set('app:1', D2);
    const moved = await updateService(store, 'web', { spec: forced }, d);
    expect(moved.changed).toBe(true);
    expect(reg.asked.at(-1)).toEqual({ ref: 'app:1', auth });
    const after = findService(store, 'web');
    expect(after.spec.task.container.image).toBe(`app:1@${D2}`);
    expect(after.previousSpec?.task.container.image).toBe(`app:1@${D1}`);
    // Other changes keep the pin (the spec sent names it) and the credentials.
    await updateService(store, 'web', { spec: updatedSpec(after.spec, { envAdd: ['A=1'], envRm: [] }) }, d);
    expect(findService(store, 'web').spec.task.container.image).toBe(`app:1@${D2}`);
    expect(openRegistryAuth(findService(store, 'web'), d.secretsKey)).toEqual(auth);
  });

  it('credentials go only with tasks that should run, to their own node', async () => {
    const reg = new FakeRegistry();
    const d = await deps(reg);
    const { store } = newStore();
    const { id } = await createService(store, { spec: spec('app:1'), registryAuth: auth, resolveImage: 'never' }, d);
    await store.update((tx) => {
      const t1 = task('t1', id, 1, 'n1');
      const t2 = task('t2', id, 2, 'n1');
      tx.create('task', { ...t1, status: { ...t1.status, state: 'assigned' } });
      tx.create('task', { ...t2, desiredState: 'shutdown', status: { ...t2.status, state: 'running' } });
    });
    const payloads = { files: () => [], registryAuth: () => openRegistryAuth(findService(store, id), d.secretsKey) };
    const a = assignmentsFor(store, 'n1', payloads);
    expect(a.tasks.find((t) => t.task.id === 't1')?.registryAuth).toEqual(auth);
    expect(a.tasks.find((t) => t.task.id === 't2')?.registryAuth).toBeUndefined();
  });
});

describe('scheduler: a node that rejected a task of the service goes last', () => {
  it('the replacement of a task rejected on n1 lands on another node; with no other, on n1 again', () => {
    const now = 1_700_000_000_000;
    const rejected = mkTask('old', 'web', 1, { state: 'rejected', nodeId: 'n1' });
    rejected.status.timestamp = now - 1000;
    const fresh = () => mkTask('new', 'web', 1, {});
    const nodes = [mkNode('n1'), mkNode('n2')];
    expect(schedule({ tasks: [fresh()], nodes, allTasks: [rejected], now }).placements).toEqual([{ taskId: 'new', nodeId: 'n2' }]);
    expect(schedule({ tasks: [fresh()], nodes: [mkNode('n1')], allTasks: [rejected], now }).placements).toEqual([{ taskId: 'new', nodeId: 'n1' }]);
    // Long ago, or another service's: not weighed.
    rejected.status.timestamp = now - 10 * 60_000;
    expect(schedule({ tasks: [fresh()], nodes, allTasks: [rejected], now }).placements).toEqual([{ taskId: 'new', nodeId: 'n1' }]);
  });
});

describe('stack deploy with pinned images', () => {
  const inStack = (image: string) => {
    const s = spec(image);
    s.labels[STACK_NAMESPACE_LABEL] = 'st';
    return s;
  };
  it('a file naming the tag of a pinned image is an image-only update with always, unchanged otherwise', () => {
    const existing = [{ id: 's1', spec: inStack(`app:1@${D1}`), meta: { version: 3, createdAt: 0, updatedAt: 0 } }];
    const always = planStackDeploy('st', [inStack('app:1')], existing, { prune: false });
    expect(always.update).toEqual([{ id: 's1', version: 3, spec: inStack('app:1'), imageOnly: true }]);
    expect(planStackDeploy('st', [inStack('app:1')], existing, { prune: false, resolveImage: 'changed' }).unchanged).toEqual(['web']);
    const other = planStackDeploy('st', [inStack('app:2')], existing, { prune: false });
    expect(other.update[0]?.imageOnly).toBeUndefined();
  });
});
