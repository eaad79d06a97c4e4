import { describe, expect, it } from 'vitest';
import { ApiError } from '../../../src/swarm/api/errors.js';
import { createService, findService, removeService, serviceViews, updateService } from '../../../src/swarm/manager/services-api.js';
import { createFileObject, fileObjectViews, removeFileObject, taskFiles } from '../../../src/swarm/manager/secrets-api.js';
import { deriveSecretsKey } from '../../../src/swarm/secrets/seal.js';
import { RootCA } from '../../../src/swarm/ca/index.js';
import { serviceSpecFromFlags, type ServiceFlags } from '../../../src/swarm/service-flags.js';
import { newStore, task } from './store-fixtures.js';

const none: ServiceFlags = { env: [], label: [], containerLabel: [], constraint: [], placementPref: [], mount: [], publish: [] };
const spec = (image: string) => serviceSpecFromFlags({ ...none, name: 'web', replicas: '2' }, image, []);

async function code(p: Promise<unknown>): Promise<string | undefined> {
  return p.then(
    () => undefined,
    (e: unknown) => (e instanceof ApiError ? e.apiCode : String(e)),
  );
}

describe('services API', () => {
  it('creates, refuses a taken name, updates with previousSpec, rolls back, refuses stale versions', async () => {
    const { store } = newStore();
    const { id } = await createService(store, { spec: spec('img:1') });
    expect(await code(createService(store, { spec: spec('img:9') }))).toBe('conflict');
    const v1 = findService(store, 'web').meta.version;
    await updateService(store, 'web', { spec: spec('img:2'), version: v1 });
    let s = findService(store, id.slice(0, 6));
    expect(s.spec.task.container.image).toBe('img:2');
    expect(s.previousSpec?.task.container.image).toBe('img:1');
    expect(s.updateStatus).toBeNull();
    // A writer that read version 1 loses: nothing is overwritten silently.
    expect(await code(updateService(store, 'web', { spec: spec('img:3'), version: v1 }))).toBe('conflict');
    await updateService(store, 'web', { rollback: true });
    s = findService(store, 'web');
    expect(s.spec.task.container.image).toBe('img:1');
    expect(s.previousSpec?.task.container.image).toBe('img:2');
    expect(s.updateStatus?.state).toBe('rollback-started');
    expect(await code(updateService(store, 'web', { spec: { ...spec('img:1'), name: 'other' } }))).toBe('invalid');
    expect(serviceViews(store)).toMatchObject([{ name: 'web', mode: 'replicated', desired: 2, running: 0, image: 'img:1', updateState: 'rollback-started' }]);
    await removeService(store, 'web');
    expect(await code(Promise.resolve().then(() => findService(store, 'web')))).toBe('not-found');
    expect(await code(updateService(store, 'nope', { rollback: true }))).toBe('not-found');
  });

  it('a rollback needs a previous spec', async () => {
    const { store } = newStore();
    await createService(store, { spec: spec('img:1') });
    expect(await code(updateService(store, 'web', { rollback: true }))).toBe('conflict');
  });
});

describe('secrets API', () => {
  it('seals secrets in the store, hands payloads out only for tasks that mount them, refuses removal while used', async () => {
    const { store } = newStore();
    const key = deriveSecretsKey((await RootCA.create({ clusterId: 'c' })).keyPem);
    const { id } = await createFileObject(store, 'secret', { name: 'pw', labels: {}, data: Buffer.from('hunter2').toString('base64') }, () => key);
    expect(JSON.stringify(store.view((tx) => tx.find('secret')))).not.toContain(Buffer.from('hunter2').toString('base64'));
    expect(JSON.stringify(fileObjectViews(store, 'secret'))).not.toMatch(/hunter2|aHVudGVyMg/);
    expect(await code(createFileObject(store, 'secret', { name: 'pw', labels: {}, data: 'eA==' }, () => key))).toBe('conflict');
    expect(await code(createFileObject(store, 'secret', { name: 'empty', labels: {}, data: '' }, () => key))).toBe('invalid');

    const s = spec('img:1');
    s.task.container.secrets = [{ id, name: 'pw', target: { name: 'pw', uid: '0', gid: '0', mode: 0o400 } }];
    await createService(store, { spec: s });
    expect(await code(removeFileObject(store, 'secret', 'pw'))).toBe('conflict');
    const t = { ...task('t1', 'x', 1, 'n1'), spec: s.task, meta: { version: 1, createdAt: 0, updatedAt: 0 } };
    expect(taskFiles(store, t, () => key)).toEqual([{ kind: 'secret', id, data: Buffer.from('hunter2').toString('base64') }]);
    const plain = { ...t, spec: spec('img:1').task };
    expect(taskFiles(store, plain, () => key)).toEqual([]);
    await removeService(store, 'web');
    await removeFileObject(store, 'secret', 'pw');
    expect(fileObjectViews(store, 'secret')).toEqual([]);
  });
});
