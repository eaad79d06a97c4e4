import { describe, expect, it } from 'vitest';
import { allocate } from '../../../src/swarm/manager/allocator/index.js';
import { writeAllocation } from '../../../src/swarm/manager/allocator-loop.js';
import { AllocHarness } from './allocator-harness.js';
import { mkPort as port } from './task-fixtures.js';

/** The manager side of the routing mesh in the allocator (specs/networking.md, "Ingress: the manager side"). */

const published = (h: AllocHarness, id: string) => h.service(id).endpoint?.ports.map((p) => p.publishedPort);
const gateways = (h: AllocHarness, id: string) => Object.fromEntries((h.network(id).allocation?.nodes ?? []).map((e) => [e.nodeId, e.address]));

describe('allocator: published ports', () => {
  it('an ingress port without a number gets the lowest free from 30000-32767; host ports without one stay null', async () => {
    const h = new AllocHarness();
    await h.svc('a', { ports: [port(80, null), port(81, 8080), port(22, null, { publishMode: 'host' })] });
    await h.svc('b', { ports: [port(80, null), port(53, null, { protocol: 'udp' })] });
    await h.pass();
    expect(published(h, 'a')).toEqual([30000, 8080, null]);
    expect(published(h, 'b')).toEqual([30001, 30000]);
    // Stable: another pass changes nothing.
    expect(allocate(h.view()).services).toEqual([]);
  });

  it('skips numbers any service publishes explicitly, in any mode (an ingress port binds on every node)', async () => {
    const h = new AllocHarness();
    await h.svc('a', { ports: [port(22, 30000, { publishMode: 'host' }), port(80, 30001)] });
    await h.svc('b', { ports: [port(80, null)] });
    await h.pass();
    expect(published(h, 'b')).toEqual([30002]);
  });

  it('a number once written is kept: by a new leader (a fresh pass), through spec changes, and never taken by a newcomer', async () => {
    const h = new AllocHarness();
    await h.svc('m', { ports: [port(80, null)] });
    await h.pass();
    expect(published(h, 'm')).toEqual([30000]);
    // A service with a smaller id appears: it must not take m's number, though it sorts first.
    await h.svc('a', { ports: [port(80, null)] });
    await h.updateSvc('m', (s) => ({ ...s, spec: { ...s.spec, endpoint: { ...s.spec.endpoint, ports: [port(443, null), port(80, null)] } } }));
    await h.pass();
    expect(published(h, 'm')).toEqual([30002, 30000]);
    expect(published(h, 'a')).toEqual([30001]);
    // A leader change: a fresh decision on the same store keeps every number.
    expect(allocate(h.view()).services).toEqual([]);
    // Removing the port gives its number back.
    await h.updateSvc('m', (s) => ({ ...s, spec: { ...s.spec, endpoint: { ...s.spec.endpoint, ports: [port(443, null)] } } }));
    await h.svc('z', { ports: [port(80, null)] });
    await h.pass();
    expect(published(h, 'z')).toEqual([30000]);
  });

  it('an allocated number another service asked for meanwhile is not written (that service wins), and the next pass picks another', async () => {
    const h = new AllocHarness();
    await h.svc('a', { ports: [port(80, null)] });
    const stale = allocate(h.view());
    // Between the view and the write, an API create takes 30000 explicitly.
    await h.svc('b', { ports: [port(80, 30000)] });
    await writeAllocation(h.store, stale, 1_000);
    expect(h.service('a').endpoint).toBeNull();
    await h.pass();
    expect(published(h, 'a')).toEqual([30001]);
  });
});

describe('allocator: the ingress network', () => {
  async function cluster(): Promise<AllocHarness> {
    const h = new AllocHarness();
    await h.nodes('n1', 'n2', 'n3');
    await h.net('ingress', { subnet: '10.255.0.0/24', ingress: true });
    await h.net('app', { subnet: '10.10.0.0/24' });
    return h;
  }

  it('a task publishing in ingress mode gets an address there too, after its own networks; no VIP on ingress', async () => {
    const h = await cluster();
    await h.svc('web', { networks: ['app'], ports: [port(80, 8080)] });
    await h.svc('db', { networks: ['app'], ports: [port(5432, 5432, { publishMode: 'host' })] });
    const [w] = await h.tasks('web', 1);
    const [d] = await h.tasks('db', 1);
    await h.pass();
    expect(h.task(w!).networks.map((n) => n.networkId)).toEqual(['app', 'ingress']);
    expect(h.addr(w!, 'ingress')).toMatch(/^10\.255\.0\.\d+$/);
    expect(h.task(d!).networks.map((n) => n.networkId)).toEqual(['app']);
    expect(Object.keys(h.vips('web'))).toEqual(['app']);
  });

  it('every ready node gets a gateway on it while a service publishes in ingress mode; they are kept when none does', async () => {
    const h = await cluster();
    await h.setNode('n3', 'down');
    await h.pass();
    expect(gateways(h, 'ingress')).toEqual({});
    await h.svc('web', { ports: [port(80, null)] });
    await h.pass();
    expect(gateways(h, 'ingress')).toEqual({ n1: '10.255.0.1', n2: '10.255.0.2' });
    expect(h.network('ingress').allocation?.nodes.every((e) => e.attachRange === null)).toBe(true);
    await h.setNode('n3', 'ready');
    await h.pass();
    expect(gateways(h, 'ingress')).toMatchObject({ n3: '10.255.0.3' });
    // No churn: the last port going away leaves the addresses where they are.
    await h.removeSvc('web');
    await h.pass();
    expect(Object.keys(gateways(h, 'ingress'))).toEqual(['n1', 'n2', 'n3']);
  });

  it('without an ingress network such a task stays new with the reason service ps shows', async () => {
    const h = new AllocHarness();
    await h.nodes('n1');
    await h.net('app', { subnet: '10.10.0.0/24' });
    await h.svc('web', { networks: ['app'], ports: [port(80, 8080)] });
    await h.svc('auto', { ports: [port(80, null)] });
    const [w] = await h.tasks('web', 1);
    const [a] = await h.tasks('auto', 1);
    await h.pass();
    expect(h.task(w!).status).toMatchObject({
      state: 'new',
      message: 'allocating network addresses',
      err: 'service publishes port 8080/tcp in ingress mode but the cluster has no ingress network (tsswarm network create --driver overlay --ingress NAME)',
    });
    expect(h.task(w!).networks).toEqual([]);
    expect(h.task(a!).status.err).toContain('publishes port 30000/tcp in ingress mode');
    // Creating it lets them go on.
    await h.net('ingress', { subnet: '10.255.0.0/24', ingress: true });
    await h.pass();
    expect(h.task(w!).status.state).toBe('pending');
  });
});
