import { describe, expect, it } from 'vitest';
import { ApiError } from '../../../src/swarm/api/errors.js';
import { cidrsOverlap, createNetwork, findNetwork, networkViews, pruneNetworks, removeNetwork, validateNetworkSpec } from '../../../src/swarm/manager/networks-api.js';
import { createService, findService, updateService } from '../../../src/swarm/manager/services-api.js';
import { parseNetworkFlag, serviceSpecFromFlags, updatedSpec, type ServiceFlags } from '../../../src/swarm/service-flags.js';
import { networkSpecFromFlags, type NetworkCreateFlags } from '../../../cli/swarm/networks.js';
import type { NetworkSpec } from '../../../src/swarm/store/index.js';
import { newStore, node } from './store-fixtures.js';

const none: ServiceFlags = { env: [], label: [], containerLabel: [], constraint: [], placementPref: [], mount: [], publish: [] };
const flags: NetworkCreateFlags = { driver: 'overlay', label: [], opt: [] };
const net = (name: string, f: Partial<NetworkCreateFlags> = {}): NetworkSpec => networkSpecFromFlags(name, { ...flags, ...f });

async function refusal(p: Promise<unknown> | (() => unknown)): Promise<{ code: string; field: string | null; message: string } | undefined> {
  try {
    await (typeof p === 'function' ? p() : p);
    return undefined;
  } catch (e) {
    if (e instanceof ApiError) return { code: e.apiCode, field: e.field, message: e.message };
    throw e;
  }
}

describe('network create: every mistake refused before anything is written', () => {
  it.each([
    ['a subnet that is not CIDR', { subnet: '10.1.0.0' }, 'spec.ipam.configs[0].subnet', /CIDR/],
    ['host bits', { subnet: '10.1.0.5/24' }, 'spec.ipam.configs[0].subnet', /host bits/],
    ['IPv6', { subnet: 'fd00::/64' }, 'spec.ipam.configs[0].subnet', /IPv6/],
    ['too small', { subnet: '10.1.0.0/30' }, 'spec.ipam.configs[0].subnet', /too small/],
    ['a gateway outside', { subnet: '10.1.0.0/24', gateway: '10.2.0.1' }, 'spec.ipam.configs[0].gateway', /not inside/],
    ['the broadcast address as gateway', { subnet: '10.1.0.0/24', gateway: '10.1.0.255' }, 'spec.ipam.configs[0].gateway', /broadcast/],
    ['an ip range outside', { subnet: '10.1.0.0/24', ipRange: '10.1.1.0/25' }, 'spec.ipam.configs[0].ipRange', /not inside/],
    ['an unknown option', { opt: ['foo=1'] }, 'spec.driverOptions.foo', /unknown overlay option/],
    ['an mtu out of range', { opt: ['mtu=100'] }, 'spec.driverOptions.mtu', /1280\.\.9000/],
    ['encryption', { opt: ['encrypted=1'] }, 'spec.driverOptions.encrypted', /IPsec/],
    ['an attachable overlay named like a Docker network', { attachable: true, name: 'bridge' }, 'spec.name', /every Docker engine has/],
    ['an attachable ingress network', { attachable: true, ingress: true }, 'spec.attachable', /cannot be attachable/],
    ['an ingress subnet larger than a /16 (the reply marks hold 16 bits of an address)', { ingress: true, subnet: '10.0.0.0/15' }, 'spec.ipam.configs[0].subnet', /larger than a \/16/],
    ['attach-prefix without --attachable', { opt: ['attach-prefix=28'] }, 'spec.driverOptions.attach-prefix', /not attachable/],
    ['attach-prefix out of bounds', { attachable: true, opt: ['attach-prefix=31'] }, 'spec.driverOptions.attach-prefix', /24\.\.30/],
    ['a subnet with no room for attachment ranges', { attachable: true, subnet: '10.1.0.0/29' }, 'spec.ipam.configs[0].subnet', /no room for per-node \/28/],
  ] as const)('%s', async (_what, f, field, message) => {
    const { store } = newStore();
    const { name, ...rest } = { name: 'n', ...f } as Partial<NetworkCreateFlags> & { name: string };
    const r = await refusal(createNetwork(store, { spec: net(name, rest) }));
    expect(r).toMatchObject({ code: 'invalid', field });
    expect(r?.message).toMatch(message);
    expect(networkViews(store)).toEqual([]);
  });

  it('accepts a valid spec, refuses a taken name, an overlapping subnet and a second ingress', async () => {
    const { store } = newStore();
    await createNetwork(store, { spec: net('back', { subnet: '10.30.0.0/16', gateway: '10.30.0.1', ipRange: '10.30.4.0/24', opt: ['mtu=1400'] }) });
    expect((await refusal(createNetwork(store, { spec: net('back') })))?.code).toBe('conflict');
    const overlap = await refusal(createNetwork(store, { spec: net('front', { subnet: '10.30.7.0/24' }) }));
    expect(overlap).toMatchObject({ code: 'conflict' });
    expect(overlap?.message).toMatch(/overlaps network back \(10\.30\.0\.0\/16\)/);
    await createNetwork(store, { spec: net('ingress', { ingress: true }) });
    expect((await refusal(createNetwork(store, { spec: net('ingress2', { ingress: true }) })))?.message).toMatch(/already has an ingress network \(ingress\)/);
    expect(networkViews(store).map((n) => n.name)).toEqual(['back', 'ingress']);
    expect(findNetwork(store, 'back').spec.driverOptions).toEqual({ mtu: '1400' });
  });

  it('the CLI refuses drivers other than overlay and --gateway without --subnet (exit 2)', () => {
    expect(() => networkSpecFromFlags('n', { ...flags, driver: 'bridge' })).toThrow(/not supported/);
    expect(() => networkSpecFromFlags('n', { ...flags, gateway: '10.0.0.1' })).toThrow(/--gateway needs --subnet/);
    expect(() => networkSpecFromFlags('n', { ...flags, label: ['novalue'] })).toThrow(/KEY=VALUE/);
  });

  it('validateNetworkSpec accepts what the defaults produce', () => {
    expect(() => validateNetworkSpec(net('n'))).not.toThrow();
  });

  it('overlap covers containment both ways and disjoint ranges', () => {
    expect(cidrsOverlap('10.0.0.0/8', '10.1.2.0/24')).toBe(true);
    expect(cidrsOverlap('10.1.2.0/24', '10.0.0.0/8')).toBe(true);
    expect(cidrsOverlap('10.1.2.0/24', '10.1.3.0/24')).toBe(false);
  });
});

describe('services join networks by name; networks in use cannot go', () => {
  it('resolves names to ids, refuses unknown, ingress and duplicates; rm and prune respect users', async () => {
    const { store } = newStore();
    const { id: backId } = await createNetwork(store, { spec: net('back') });
    await createNetwork(store, { spec: net('spare') });
    await createNetwork(store, { spec: net('ingress', { ingress: true }) });
    const spec = serviceSpecFromFlags({ ...none, name: 'api', network: ['name=back,alias=db-api'] }, 'img', []);
    await createService(store, { spec });
    expect(findService(store, 'api').spec.task.networks).toEqual([{ target: backId, aliases: ['db-api'] }]);
    const missing = await refusal(createService(store, { spec: serviceSpecFromFlags({ ...none, name: 'x', network: ['nope'] }, 'img', []) }));
    expect(missing).toMatchObject({ code: 'not-found', field: 'spec.task.networks[0].target' });
    expect((await refusal(createService(store, { spec: serviceSpecFromFlags({ ...none, name: 'x', network: ['ingress'] }, 'img', []) })))?.message).toMatch(/cannot be joined/);
    expect((await refusal(createService(store, { spec: serviceSpecFromFlags({ ...none, name: 'x', network: ['back', 'back'] }, 'img', []) })))?.message).toMatch(/given twice/);

    const rm = await refusal(removeNetwork(store, 'back'));
    expect(rm).toMatchObject({ code: 'conflict' });
    expect(rm?.message).toMatch(/in use by service api/);
    expect(networkViews(store).find((n) => n.name === 'back')?.usedBy).toEqual(['api']);
    expect(await pruneNetworks(store)).toEqual({ removed: ['spare'] });

    // --network-rm then lets it go.
    const cur = findService(store, 'api');
    await updateService(store, 'api', { spec: updatedSpec(cur.spec, { envAdd: [], envRm: [], networkRm: [backId] }) });
    expect(findService(store, 'api').spec.task.networks).toEqual([]);
    await removeNetwork(store, 'back');
    expect(networkViews(store).map((n) => n.name)).toEqual(['ingress']);
  });

  it('--network flags: short and long forms, bad ones name the flag', () => {
    expect(parseNetworkFlag('--network', 'back')).toEqual({ target: 'back', aliases: [] });
    expect(parseNetworkFlag('--network', 'name=back,alias=a,alias=b')).toEqual({ target: 'back', aliases: ['a', 'b'] });
    expect(parseNetworkFlag('--network', 'target=back')).toEqual({ target: 'back', aliases: [] });
    expect(() => parseNetworkFlag('--network', 'alias=a')).toThrow(/--network.*name=NAME/);
    expect(() => parseNetworkFlag('--network', 'name=back,driver-opt=x=1')).toThrow(/--network/);
    expect(() => parseNetworkFlag('--network-add', 'bad name')).toThrow(/--network-add/);
  });

  it('--network-add replaces an existing attachment of the same network (new aliases)', () => {
    const spec = serviceSpecFromFlags({ ...none, name: 'api', network: ['back'] }, 'img', []);
    const out = updatedSpec(spec, { envAdd: [], envRm: [], networkAdd: ['name=back,alias=x', 'front'] });
    expect(out.task.networks).toEqual([{ target: 'back', aliases: ['x'] }, { target: 'front', aliases: [] }]);
  });

  it('--endpoint-mode takes vip or dnsrr', () => {
    expect(serviceSpecFromFlags({ ...none, endpointMode: 'dnsrr' }, 'img', []).endpoint.mode).toBe('dnsrr');
    expect(() => serviceSpecFromFlags({ ...none, endpointMode: 'rr' }, 'img', [])).toThrow(/--endpoint-mode/);
  });
});

describe('attachable overlays in the API', () => {
  it('accepts --attachable (with attach-prefix), shows it and each node\'s range; rm and prune wait for its standalone containers', async () => {
    const { store } = newStore();
    const spec = net('shared', { attachable: true, subnet: '10.40.0.0/24', opt: ['attach-prefix=27'] });
    expect(spec.attachable).toBe(true);
    const { id } = await createNetwork(store, { spec });
    await store.update((tx) => {
      tx.create('node', node('n1', 'h1'));
      const n = tx.get('network', id)!;
      tx.update('network', { ...n, allocation: { vni: 4096, subnets: [{ subnet: '10.40.0.0/24', gateway: '10.40.0.1' }], nodes: [{ nodeId: 'n1', address: '10.40.0.1', attachRange: '10.40.0.224/27' }] } });
    });
    let v = networkViews(store)[0]!;
    expect(v).toMatchObject({ attachable: true, attachRanges: [{ node: 'h1', nodeId: 'n1', gateway: '10.40.0.1', range: '10.40.0.224/27' }], containers: [] });
    // The gateway and the 32 addresses of the block (31 host addresses: .255 is the broadcast).
    expect(v.usage).toEqual({ used: 32, total: 254 });
    await store.update((tx) => {
      const n = tx.get('node', 'n1')!;
      tx.update('node', { ...n, status: { ...n.status, attachments: [{ networkId: id, containerId: 'a'.repeat(64), name: 'probe', address: '10.40.0.224' }] } });
    });
    v = networkViews(store)[0]!;
    expect(v.containers).toEqual([{ name: 'probe', node: 'h1', address: '10.40.0.224', containerId: 'a'.repeat(64) }]);
    const rm = await refusal(removeNetwork(store, 'shared'));
    expect(rm).toMatchObject({ code: 'conflict' });
    expect(rm?.message).toBe('network shared is in use by container probe (on h1)');
    expect(await pruneNetworks(store)).toEqual({ removed: [] });
  });
});

