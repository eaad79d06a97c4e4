import { describe, expect, it } from 'vitest';
import { ApiError } from '../../../src/swarm/api/errors.js';
import { createService, findService, serviceViews, updateService } from '../../../src/swarm/manager/services-api.js';
import { formatPorts, heldPorts, portProblems } from '../../../src/swarm/ports.js';
import { serviceSpecFromFlags, type ServiceFlags } from '../../../src/swarm/service-flags.js';
import type { MemoryStore, PortConfig } from '../../../src/swarm/store/index.js';
import { newStore } from './store-fixtures.js';
import { mkPort as port, mkService } from './task-fixtures.js';

const none: ServiceFlags = { env: [], label: [], containerLabel: [], constraint: [], placementPref: [], mount: [], publish: [] };
const spec = (name: string, ...publish: string[]) => serviceSpecFromFlags({ ...none, name, publish }, 'img', []);

async function refusal(p: Promise<unknown>): Promise<{ code: string; message: string; field: string | null; hint: string | undefined } | undefined> {
  return p.then(
    () => undefined,
    (e: unknown) => {
      if (!(e instanceof ApiError)) throw e;
      return { code: e.apiCode, message: e.message, field: e.field, hint: e.hint };
    },
  );
}

/** The allocator's write of a published port, as the loop would make it. */
async function allocated(store: MemoryStore, name: string, ports: PortConfig[]): Promise<void> {
  await store.update((tx) => {
    const s = tx.getByName('service', name)!;
    tx.update('service', { ...s, endpoint: { ports, virtualIPs: [] } });
  });
}

describe('published ports at the API: conflicts are refused before anything is written', () => {
  it('an ingress port another service publishes (in either mode) is a conflict naming it, with the field and a hint', async () => {
    const { store } = newStore();
    await createService(store, { spec: spec('web', '8080:80') });
    await createService(store, { spec: spec('dns', 'published=5353,target=53,protocol=udp,mode=host') });

    const r = await refusal(createService(store, { spec: spec('api', '9000:90', '8080:81') }));
    expect(r).toMatchObject({ code: 'conflict', field: 'spec.endpoint.ports[1].publishedPort' });
    expect(r?.message).toBe('port 8080/tcp is already published by service web (in ingress mode, which binds it on every node)');
    expect(r?.hint).toContain('--publish-rm 80/tcp web');
    expect(await refusal(createService(store, { spec: spec('api', '5353:53/udp') }))).toMatchObject({ code: 'conflict', field: 'spec.endpoint.ports[0].publishedPort' });
    // A host port another service publishes in ingress mode would bind on the same nodes.
    expect(await refusal(createService(store, { spec: spec('api', 'published=8080,target=80,mode=host') }))).toMatchObject({ code: 'conflict' });
    // Other protocols and numbers are free.
    await createService(store, { spec: spec('api', '8080:80/udp', '8081:80') });
    expect(store.view((tx) => tx.find('service')).map((s) => s.spec.name).sort()).toEqual(['api', 'dns', 'web']);
  });

  it('a dnsrr service may publish in ingress mode (Swarm refuses, swarmkit#1693; our mesh DNATs to task addresses)', async () => {
    const { store } = newStore();
    await createService(store, { spec: serviceSpecFromFlags({ ...none, name: 'dns', endpointMode: 'dnsrr', publish: ['53:53/udp'] }, 'img', []) });
    expect(findService(store, 'dns').spec.endpoint).toMatchObject({ mode: 'dnsrr', ports: [{ publishedPort: 53, publishMode: 'ingress' }] });
  });

  it('two services may share a host-mode port: the scheduler keeps their tasks apart', async () => {
    const { store } = newStore();
    await createService(store, { spec: spec('a', 'published=8080,target=80,mode=host') });
    await createService(store, { spec: spec('b', 'published=8080,target=80,mode=host') });
    expect(serviceViews(store)).toHaveLength(2);
  });

  it('a port twice in one service, or snat on a host port, is invalid', async () => {
    const { store } = newStore();
    expect(await refusal(createService(store, { spec: spec('a', '8080:80', 'published=8080,target=81,mode=host') }))).toMatchObject({
      code: 'invalid',
      field: 'spec.endpoint.ports[1].publishedPort',
      message: 'port 8080/tcp is published twice by service a (ports 0 and 1)',
    });
    const s = spec('a', '8080:80');
    s.endpoint.ports[0] = { ...s.endpoint.ports[0]!, publishMode: 'host', snat: true };
    expect(await refusal(createService(store, { spec: s }))).toMatchObject({ code: 'invalid', field: 'spec.endpoint.ports[0].snat' });
    expect(serviceViews(store)).toEqual([]);
  });

  it('an allocated port is held: asking for it explicitly is a conflict; the holder keeps it through its own updates', async () => {
    const { store } = newStore();
    await createService(store, { spec: spec('web', '80') });
    await allocated(store, 'web', [port(80, 30000)]);
    expect(await refusal(createService(store, { spec: spec('api', '30000:80') }))).toMatchObject({ code: 'conflict', field: 'spec.endpoint.ports[0].publishedPort' });
    await updateService(store, 'web', { spec: { ...spec('web', '80', '81'), labels: { x: '1' } } });
    expect(heldPorts(findService(store, 'web')).map((p) => p.publishedPort)).toEqual([30000, null]);
    // Updates are checked against the others too, and a rollback to a spec whose port was taken meanwhile is refused.
    await createService(store, { spec: spec('api', '9000:90') });
    expect(await refusal(updateService(store, 'api', { spec: spec('api', '30000:90') }))).toMatchObject({ code: 'conflict' });
    await updateService(store, 'api', { spec: spec('api', '9001:90') });
    await createService(store, { spec: spec('late', '9000:90') });
    expect(await refusal(updateService(store, 'api', { rollback: true }))).toMatchObject({ code: 'conflict', message: expect.stringContaining('service late') });
  });

  it('service ls shows the allocated number, ingress ports only, runs joined as Docker writes them', async () => {
    const { store } = newStore();
    await createService(store, { spec: spec('web', '80', 'published=8443,target=443,mode=host') });
    expect(serviceViews(store)[0]?.ports).toEqual(['*:?->80/tcp']);
    await allocated(store, 'web', [port(80, 30000), port(443, 8443, { publishMode: 'host' })]);
    expect(serviceViews(store)[0]).toMatchObject({ ports: ['*:30000->80/tcp'], publishedPorts: [{ targetPort: 80, publishedPort: 30000 }, { targetPort: 443, publishedPort: 8443, publishMode: 'host' }] });
  });
});

describe('ports rules (pure)', () => {
  it('heldPorts fills ingress ports that asked for none from the allocation, matching protocol and target', () => {
    const s = mkService('web', { spec: { endpoint: { mode: 'vip', ports: [port(80, null), port(80, null, { protocol: 'udp' }), port(22, null, { publishMode: 'host' })] } } });
    const withEndpoint = { ...s, endpoint: { ports: [port(80, 30001, { protocol: 'udp' }), port(80, 30000), port(22, null, { publishMode: 'host' })], virtualIPs: [] } };
    expect(heldPorts(withEndpoint).map((p) => p.publishedPort)).toEqual([30000, 30001, null]);
    expect(heldPorts(s).map((p) => p.publishedPort)).toEqual([null, null, null]);
  });

  it('portProblems: none for free ports', () => {
    expect(portProblems('a', [port(80, 8080), port(80, null)], [{ name: 'b', ports: [port(80, 8081), port(80, 8080, { protocol: 'udp' })] }])).toEqual([]);
  });

  it('formatPorts joins consecutive runs per protocol and leaves host ports out', () => {
    expect(formatPorts([port(81, 8001), port(80, 8000), port(82, 8002), port(53, 9001, { protocol: 'udp' }), port(53, 9000, { protocol: 'udp' }), port(22, 2222, { publishMode: 'host' })])).toEqual([
      '*:8000-8002->80-82/tcp',
      '*:9000->53/udp',
      '*:9001->53/udp',
    ]);
  });
});
