import { describe, expect, it } from 'vitest';
import { ApiError } from '../../../src/swarm/api/errors.js';
import { createCluster } from '../../../src/swarm/daemon/bootstrap.js';
import { createNetwork, networkViews, pruneNetworks, removeNetwork } from '../../../src/swarm/manager/networks-api.js';
import { createService, updateService } from '../../../src/swarm/manager/services-api.js';
import { serviceSpecFromFlags, type ServiceFlags } from '../../../src/swarm/service-flags.js';
import { networkSpecFromFlags } from '../../../cli/swarm/networks.js';
import { AllocHarness } from './allocator-harness.js';

/** The cluster's ingress network: made by init, one at most, kept while ports use it (specs/networking.md, "Ingress: the manager side"). */

const none: ServiceFlags = { env: [], label: [], containerLabel: [], constraint: [], placementPref: [], mount: [], publish: [] };
const spec = (name: string, ...publish: string[]) => serviceSpecFromFlags({ ...none, name, publish }, 'img', []);

async function refusal(p: Promise<unknown>): Promise<{ code: string; message: string; hint: string | undefined } | undefined> {
  return p.then(
    () => undefined,
    (e: unknown) => {
      if (!(e instanceof ApiError)) throw e;
      return { code: e.apiCode, message: e.message, hint: e.hint };
    },
  );
}

describe('init makes the ingress network', () => {
  it('with the cluster object; it is allocated from the pools like any network, so the first user network gets the next block', async () => {
    const m = await createCluster({ hostname: 'h1', advertiseAddr: '10.199.0.11', listenAddr: '0.0.0.0:4242', heartbeatPeriodMs: 2000 });
    expect(m.ingress.spec).toMatchObject({ name: 'ingress', driver: 'overlay', ingress: true, attachable: false, internal: false, ipam: { configs: [] } });
    const h = new AllocHarness();
    // What the daemon's init writes, in one transaction.
    await h.store.update((tx) => {
      tx.create('cluster', m.cluster);
      tx.create('network', m.ingress);
    });
    await h.pass();
    expect(h.network(m.ingress.id).allocation?.subnets).toEqual([{ subnet: '10.0.0.0/24', gateway: '10.0.0.1' }]);
    const { id } = await createNetwork(h.store, { spec: networkSpecFromFlags('app', { driver: 'overlay', label: [], opt: [] }) });
    await h.pass();
    expect(h.network(id).allocation?.subnets[0]?.subnet).toBe('10.0.1.0/24');
    // A second one is refused.
    expect(await refusal(createNetwork(h.store, { spec: networkSpecFromFlags('mesh', { driver: 'overlay', label: [], opt: [], ingress: true }) }))).toMatchObject({ code: 'conflict' });
  });
});

describe('network rm of the ingress network', () => {
  it('is refused while a service publishes in ingress mode (naming them, with a hint); host ports do not count', async () => {
    const h = new AllocHarness();
    await createNetwork(h.store, { spec: networkSpecFromFlags('ingress', { driver: 'overlay', label: [], opt: [], ingress: true }) });
    await createService(h.store, { spec: spec('web', '8080:80') });
    await createService(h.store, { spec: spec('api', '80') });
    await createService(h.store, { spec: spec('db', 'published=5432,target=5432,mode=host') });
    const r = await refusal(removeNetwork(h.store, 'ingress'));
    expect(r).toMatchObject({ code: 'conflict', message: 'network ingress is the ingress network and services api, web publish ports in ingress mode' });
    expect(r?.hint).toContain('--publish-rm');
    expect(r?.hint).toContain('tsswarm service rm api web');
    // prune never removes it.
    await pruneNetworks(h.store);
    expect(networkViews(h.store).map((n) => n.name)).toEqual(['ingress']);
    for (const name of ['web', 'api']) {
      const cur = h.store.view((tx) => tx.getByName('service', name))!;
      await updateService(h.store, name, { spec: { ...cur.spec, endpoint: { ...cur.spec.endpoint, ports: [] } } });
    }
    await removeNetwork(h.store, 'ingress');
    expect(networkViews(h.store)).toEqual([]);
  });
});
