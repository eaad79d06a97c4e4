/**
 * One reading of object references for services, networks, secrets, configs and nodes
 * (src/swarm/api/refs.ts): exact id, then name, then a unique id prefix; a prefix two objects
 * share is 409 `ambiguous` for every kind (secrets used to pick one silently).
 */
import { describe, expect, it } from 'vitest';
import { createLocalStore } from '../../../src/swarm/store/index.js';
import { resolveRef } from '../../../src/swarm/api/refs.js';
import { findService, removeService } from '../../../src/swarm/manager/services-api.js';
import { findNetwork } from '../../../src/swarm/manager/networks-api.js';
import { fileObjectView, removeFileObject } from '../../../src/swarm/manager/secrets-api.js';
import { isApiError } from '../../../src/swarm/api/errors.js';
import { network, node, service } from './store-fixtures.js';

async function world() {
  const { store } = createLocalStore();
  const blob = { alg: 'aes-256-gcm' as const, keyId: 'k', nonce: 'AAAA', ciphertext: 'AAAA' };
  await store.update((tx) => {
    tx.create('service', service('abc111', 'web'));
    tx.create('service', service('abc222', 'api'));
    tx.create('network', network('abc111', 'front'));
    tx.create('network', network('abc222', 'back'));
    tx.create('secret', { id: 'abc111', spec: { name: 'one', labels: {}, data: blob } });
    tx.create('secret', { id: 'abc222', spec: { name: 'two', labels: {}, data: blob } });
    tx.create('config', { id: 'abc111', spec: { name: 'one', labels: {}, data: 'YQ==' } });
    tx.create('config', { id: 'abc222', spec: { name: 'two', labels: {}, data: 'YQ==' } });
    tx.create('node', { ...node('abc111'), description: { ...node('abc111').description!, hostname: 'h1' } });
    tx.create('node', { ...node('abc222'), description: { ...node('abc222').description!, hostname: 'h2' } });
  });
  return store;
}

describe('object references', () => {
  it('an ambiguous prefix is 409 ambiguous for every kind', async () => {
    const store = await world();
    for (const kind of ['service', 'network', 'secret', 'config', 'node'] as const) {
      let err: unknown;
      try {
        store.view((tx) => resolveRef(tx, kind, 'abc'));
      } catch (e) {
        err = e;
      }
      expect(isApiError(err, 'ambiguous'), kind).toBe(true);
      expect((err as { status: number }).status).toBe(409);
      expect(store.view((tx) => resolveRef(tx, kind, 'abc2')).id, kind).toBe('abc222');
      expect(store.view((tx) => resolveRef(tx, kind, 'abc111')).id, kind).toBe('abc111');
      expect(() => store.view((tx) => resolveRef(tx, kind, 'zzz'))).toThrow(/^no /);
    }
  });

  it('names win over prefixes, and the API helpers use the one resolver', async () => {
    const store = await world();
    expect(findService(store, 'api').id).toBe('abc222');
    expect(findNetwork(store, 'front').id).toBe('abc111');
    expect(fileObjectView(store, 'secret', 'two').id).toBe('abc222');
    expect(store.view((tx) => resolveRef(tx, 'node', 'h2')).id).toBe('abc222');
    expect(() => findService(store, 'abc')).toThrow(/ambiguous/);
    expect(() => findNetwork(store, 'ab')).toThrow(/ambiguous/);
    // A secret rm by an ambiguous prefix removes nothing (it used to remove the first match).
    await expect(removeFileObject(store, 'secret', 'abc')).rejects.toMatchObject({ apiCode: 'ambiguous' });
    await expect(removeFileObject(store, 'config', 'a')).rejects.toMatchObject({ apiCode: 'ambiguous' });
    expect(store.view((tx) => tx.find('secret')).length).toBe(2);
    await expect(removeService(store, 'abc')).rejects.toMatchObject({ apiCode: 'ambiguous' });
  });
});
