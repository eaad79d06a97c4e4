import { describe, expect, it } from 'vitest';
import { allocate } from '../../../src/swarm/manager/allocator/index.js';
import { networkBodySchema } from '../../../src/swarm/store/index.js';
import { AllocHarness } from './allocator-harness.js';
import { network } from './store-fixtures.js';

describe('allocator: new -> pending', () => {
  it('moves a task without networks to pending at once, in one pass with everything else', async () => {
    const h = new AllocHarness();
    await h.nodes('n1');
    await h.svc('web');
    const [a, b] = await h.tasks('web', 2);
    expect(h.task(a!).status).toMatchObject({ state: 'new' });
    const d = await h.pass();
    expect(d.ready.map((r) => r.task.id)).toEqual([a, b]);
    expect(h.task(a!).status).toMatchObject({ state: 'pending', err: null, message: 'pending task scheduling' });
    expect(h.task(a!).networks).toEqual([]);
    // A service without networks still gets its (empty) endpoint, once.
    expect(h.service('web').endpoint).toEqual({ ports: [], virtualIPs: [] });
    const again = await h.pass();
    expect(again.ready.length + again.services.length + again.networks.length).toBe(0);
  });

  it('allocates the network from the default pool, a VIP, then task addresses, in spec order', async () => {
    const h = new AllocHarness();
    await h.cluster();
    await h.nodes('n1');
    await h.net('front');
    await h.net('back');
    await h.svc('web', { networks: ['front', 'back'] });
    const [t] = await h.tasks('web', 1);
    await h.pass();
    expect(h.network('front').allocation).toEqual({ vni: 4096, subnets: [{ subnet: '10.0.0.0/24', gateway: '10.0.0.1' }], nodes: [] });
    expect(h.network('back').allocation).toMatchObject({ vni: 4097, subnets: [{ subnet: '10.0.1.0/24', gateway: '10.0.1.1' }] });
    expect(h.vips('web')).toEqual({ front: '10.0.0.2', back: '10.0.1.2' });
    expect(h.task(t!).networks).toEqual([
      { networkId: 'front', addresses: ['10.0.0.3'] },
      { networkId: 'back', addresses: ['10.0.1.3'] },
    ]);
    expect(h.task(t!).status.state).toBe('pending');
  });

  it('gives dnsrr services no VIP, and releases VIPs when the service leaves the network, switches to dnsrr, or is removed', async () => {
    const h = new AllocHarness();
    await h.nodes('n1');
    await h.net('front');
    await h.net('back');
    await h.svc('dns', { networks: ['front'], mode: 'dnsrr' });
    await h.svc('web', { networks: ['front', 'back'] });
    await h.pass();
    expect(h.vips('dns')).toEqual({});
    expect(h.vips('web')).toEqual({ front: '10.0.0.2', back: '10.0.1.2' });

    await h.updateSvc('web', (s) => ({ ...s, spec: { ...s.spec, task: { ...s.spec.task, networks: [{ target: 'back', aliases: [] }] } } }));
    await h.pass();
    expect(h.vips('web')).toEqual({ back: '10.0.1.2' });
    await h.svc('api', { networks: ['front'] });
    await h.pass();
    expect(h.vips('api')).toEqual({ front: '10.0.0.2' }); // web's old VIP, free again

    await h.updateSvc('api', (s) => ({ ...s, spec: { ...s.spec, endpoint: { ...s.spec.endpoint, mode: 'dnsrr' } } }));
    await h.pass();
    expect(h.vips('api')).toEqual({});
    await h.removeSvc('web');
    await h.svc('other', { networks: ['back'] });
    await h.pass();
    expect(h.vips('other')).toEqual({ back: '10.0.1.2' });
  });

  it('keeps a task new with the exhaustion reason, and lets it proceed once an address is freed', async () => {
    const h = new AllocHarness();
    await h.nodes('n1');
    await h.net('tiny', { subnet: '10.9.0.0/29' }); // 6 host addresses; .1 is the gateway
    await h.svc('web', { networks: ['tiny'], mode: 'dnsrr' });
    const ids = await h.tasks('web', 6);
    await h.pass();
    const states = ids.map((id) => h.task(id).status.state);
    expect(states).toEqual(['pending', 'pending', 'pending', 'pending', 'pending', 'new']);
    expect(h.task(ids[5]!).status).toMatchObject({ state: 'new', message: 'allocating network addresses', err: 'no address left on network tiny (6 of 6 in use)' });
    expect(ids.slice(0, 5).map((id) => h.addr(id, 'tiny'))).toEqual(['10.9.0.2', '10.9.0.3', '10.9.0.4', '10.9.0.5', '10.9.0.6']);

    // The reason is written once, not on every pass.
    const v = h.task(ids[5]!).meta.version;
    await h.pass();
    expect(h.task(ids[5]!).meta.version).toBe(v);

    // Running, then failed: its container stopped, its address is free again.
    await h.setTask(ids[2]!, { state: 'running', nodeId: 'n1' });
    await h.pass();
    expect(h.task(ids[5]!).status.state).toBe('new');
    await h.setTask(ids[2]!, { state: 'failed' });
    await h.pass();
    expect(h.task(ids[5]!).status).toMatchObject({ state: 'pending', err: null });
    expect(h.addr(ids[5]!, 'tiny')).toBe('10.9.0.4');
  });

  it('does not release the address of a task that is asked to stop but has not stopped yet', async () => {
    const h = new AllocHarness();
    await h.nodes('n1');
    await h.net('tiny', { subnet: '10.9.0.0/30' }); // .1 gateway, .2 the only task address
    await h.svc('web', { networks: ['tiny'], mode: 'dnsrr' });
    const [a] = await h.tasks('web', 1);
    await h.pass();
    await h.setTask(a!, { state: 'running', nodeId: 'n1' });
    await h.setTask(a!, { desired: 'shutdown' });
    const [b] = await h.tasks('web', 1);
    await h.pass();
    expect(h.task(b!).status).toMatchObject({ state: 'new', err: 'no address left on network tiny (2 of 2 in use)' });
    await h.setTask(a!, { state: 'shutdown' });
    await h.pass();
    expect(h.addr(b!, 'tiny')).toBe('10.9.0.2');
  });

  it('releases the address of a deleted task and of a pending task no longer wanted (it never reached a node)', async () => {
    const h = new AllocHarness();
    await h.nodes('n1');
    await h.net('tiny', { subnet: '10.9.0.0/29' });
    await h.svc('web', { networks: ['tiny'], mode: 'dnsrr' });
    const ids = await h.tasks('web', 5);
    await h.pass();
    await h.deleteTask(ids[0]!);
    await h.setTask(ids[1]!, { desired: 'shutdown' }); // still pending: will never run
    const [x, y, z] = await h.tasks('web', 3);
    await h.pass();
    expect([h.addr(x!, 'tiny'), h.addr(y!, 'tiny')]).toEqual(['10.9.0.2', '10.9.0.3']);
    expect(h.task(z!).status.state).toBe('new');
  });

  it('keeps a task whose network was removed new, with a clear message, and takes nothing from a deleted network', async () => {
    const h = new AllocHarness();
    await h.nodes('n1');
    await h.net('front');
    await h.svc('web', { networks: ['front'] });
    await h.pass();
    await h.removeNetwork('front');
    const [t] = await h.tasks('web', 1);
    const d = await h.pass();
    expect(h.task(t!).status).toMatchObject({ state: 'new', err: 'network front not found (removed?)' });
    expect(h.vips('web')).toEqual({});
    expect(d.networks).toEqual([]);
  });

  it('does not write addresses from a network removed between the view and the write (race)', async () => {
    const h = new AllocHarness();
    await h.nodes('n1');
    await h.net('front');
    await h.svc('web', { networks: ['front'] });
    await h.pass();
    const [t] = await h.tasks('web', 1);
    const d = allocate(h.view());
    expect(d.ready).toHaveLength(1);
    await h.removeNetwork('front'); // lands after the decision was made
    const { writeAllocation } = await import('../../../src/swarm/manager/allocator-loop.js');
    await writeAllocation(h.store, d, 1);
    expect(h.task(t!).status.state).toBe('new');
    expect(h.task(t!).networks).toEqual([]);
  });

  it('refuses a network with more than one ipam config at the schema, with the reason', () => {
    const b = network('n');
    const r = networkBodySchema.safeParse({ ...b, spec: { ...b.spec, ipam: { configs: [b.spec.ipam.configs[0], { subnet: '10.11.0.0/24', gateway: null, ipRange: null }] } } });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.message).toBe('only one ipam config (one subnet) per network is supported');
  });
});

describe('allocator: node gateway addresses', () => {
  it('gives each node that runs a task of the network its own address, in order of need, kept until the node leaves', async () => {
    const h = new AllocHarness();
    await h.nodes('n1', 'n2', 'n3');
    await h.net('front', { subnet: '10.20.0.0/24' });
    await h.svc('web', { networks: ['front'], mode: 'dnsrr' });
    const ids = await h.tasks('web', 3);
    await h.pass();
    expect(h.network('front').allocation?.nodes).toEqual([]);
    // Room is kept for the gateways of the nodes: 3 usable nodes, the reserved .1 serves one.
    expect(ids.map((id) => h.addr(id, 'front'))).toEqual(['10.20.0.2', '10.20.0.3', '10.20.0.4']);

    await h.setTask(ids[0]!, { state: 'assigned', nodeId: 'n2' });
    await h.pass();
    expect(h.network('front').allocation?.nodes).toEqual([{ nodeId: 'n2', address: '10.20.0.1', attachRange: null }]);
    await h.setTask(ids[1]!, { state: 'assigned', nodeId: 'n1' });
    await h.setTask(ids[2]!, { state: 'assigned', nodeId: 'n1' });
    await h.pass();
    expect(h.network('front').allocation?.nodes).toEqual([
      { nodeId: 'n1', address: '10.20.0.5', attachRange: null },
      { nodeId: 'n2', address: '10.20.0.1', attachRange: null },
    ]);

    // No flapping: the tasks end, the node keeps its address.
    for (const id of ids) await h.setTask(id, { state: 'failed' });
    await h.pass();
    expect(h.network('front').allocation?.nodes).toHaveLength(2);

    // The node leaves the store: its address goes back.
    await h.removeNode('n2');
    await h.pass();
    expect(h.network('front').allocation?.nodes).toEqual([{ nodeId: 'n1', address: '10.20.0.5', attachRange: null }]);
  });

  it('hands an explicit gateway to the first node', async () => {
    const h = new AllocHarness();
    await h.nodes('n1', 'n2');
    await h.net('front', { subnet: '10.20.0.0/24', gateway: '10.20.0.254' });
    await h.svc('web', { networks: ['front'], mode: 'dnsrr' });
    await h.tasks('web', 1, { nodeId: 'n2' }); // a global task: on its node from the start
    await h.pass();
    expect(h.network('front').allocation).toMatchObject({ subnets: [{ subnet: '10.20.0.0/24', gateway: '10.20.0.254' }], nodes: [{ nodeId: 'n2', address: '10.20.0.254' }] });
  });

  it('with an ip range, node gateways come from outside it and tasks from inside', async () => {
    const h = new AllocHarness();
    await h.nodes('n1', 'n2');
    await h.net('front', { subnet: '10.20.0.0/24', ipRange: '10.20.0.128/25' });
    await h.svc('web', { networks: ['front'] });
    const [a, b] = await h.tasks('web', 2);
    await h.pass();
    expect(h.vips('web')).toEqual({ front: '10.20.0.128' });
    expect([h.addr(a!, 'front'), h.addr(b!, 'front')]).toEqual(['10.20.0.129', '10.20.0.130']);
    await h.setTask(a!, { state: 'assigned', nodeId: 'n1' });
    await h.setTask(b!, { state: 'assigned', nodeId: 'n2' });
    await h.pass();
    expect(h.network('front').allocation?.nodes).toEqual([
      { nodeId: 'n1', address: '10.20.0.1', attachRange: null },
      { nodeId: 'n2', address: '10.20.0.2', attachRange: null },
    ]);
  });
});

describe('allocator: subnets and overlaps', () => {
  it('uses the cluster pools and mask length, skipping what nodes report (interfaces and routes)', async () => {
    const h = new AllocHarness();
    await h.cluster({ defaultAddrPools: ['172.30.0.0/16'], subnetSize: 26, vxlanPort: 4789 });
    await h.nodes('n1');
    await h.nodeNetworks('n1', ['172.30.0.9/26', '0.0.0.0/0', 'fd00::1/64']);
    await h.net('front');
    await h.pass();
    expect(h.network('front').allocation?.subnets).toEqual([{ subnet: '172.30.0.64/26', gateway: '172.30.0.65' }]);
  });

  it('refuses an explicit subnet that overlaps another network or a node, naming what it overlaps', async () => {
    const h = new AllocHarness();
    await h.nodes('n1');
    await h.nodeNetworks('n1', ['192.168.1.7/24']);
    await h.net('a', { subnet: '10.5.0.0/16' });
    await h.net('b', { subnet: '10.5.3.0/24' });
    await h.net('lan', { subnet: '192.168.0.0/23' });
    await h.svc('web', { networks: ['b'] });
    const [t] = await h.tasks('web', 1);
    const d = await h.pass();
    expect(h.network('a').allocation).not.toBeNull();
    expect(h.network('b').allocation).toBeNull();
    expect(h.network('lan').allocation).toBeNull();
    expect(d.problems).toContain('network b: subnet 10.5.3.0/24 overlaps network a (10.5.0.0/16)');
    expect(d.problems).toContain('network lan: subnet 192.168.0.0/23 overlaps 192.168.1.0/24 on node n1 (its interfaces and routes)');
    expect(h.task(t!).status.err).toBe('network b has no subnet: subnet 10.5.3.0/24 overlaps network a (10.5.0.0/16)');
  });

  it('an automatic subnet avoids subnets other networks asked for, allocated or not', async () => {
    const h = new AllocHarness();
    await h.net('auto');
    await h.net('explicit', { subnet: '10.0.0.0/24' });
    await h.pass();
    expect(h.network('auto').allocation?.subnets[0]?.subnet).toBe('10.0.1.0/24');
    expect(h.network('explicit').allocation?.subnets[0]?.subnet).toBe('10.0.0.0/24');
  });

  it("ignores a node's range inside an allocated network (its own bridge), so the network never overlaps itself", async () => {
    const h = new AllocHarness();
    await h.nodes('n1');
    await h.net('front');
    await h.pass();
    await h.nodeNetworks('n1', ['10.0.0.1/24']);
    await h.net('second');
    await h.pass();
    expect(h.network('second').allocation?.subnets[0]?.subnet).toBe('10.0.1.0/24');
    expect(allocate(h.view()).problems).toEqual([]);
  });

  it('refuses IPv6, a /31 and a gateway outside the subnet with the reason on the tasks', async () => {
    const h = new AllocHarness();
    await h.net('v6', { subnet: 'fd00::/64' });
    await h.net('p2p', { subnet: '10.7.0.0/31' });
    await h.net('gw', { subnet: '10.8.0.0/24', gateway: '10.9.0.1' });
    const d = await h.pass();
    expect(d.problems).toEqual([
      'network v6: subnet fd00::/64: IPv6 is not supported yet (IPv4 only)',
      'network p2p: subnet 10.7.0.0/31 is too small: a /31 or /32 has no room for a gateway and tasks (use /30 or larger)',
      'network gw: gateway 10.9.0.1 is not a host address of subnet 10.8.0.0/24',
    ]);
  });

  it('gives every network its own VNI from 4096 up, reusing none while held', async () => {
    const h = new AllocHarness();
    for (const id of ['a', 'b', 'c']) await h.net(id);
    await h.pass();
    expect(['a', 'b', 'c'].map((id) => h.network(id).allocation?.vni)).toEqual([4096, 4097, 4098]);
    await h.removeNetwork('b');
    await h.net('d');
    await h.pass();
    expect(h.network('d').allocation?.vni).toBe(4097);
    expect(h.network('d').allocation?.subnets[0]?.subnet).toBe('10.0.1.0/24');
  });
});

describe('allocator: leader change', () => {
  it('a fresh allocator on the same store decides exactly the same, and nothing twice', async () => {
    const h = new AllocHarness();
    await h.nodes('n1', 'n2');
    await h.net('front');
    await h.svc('web', { networks: ['front'] });
    const first = await h.tasks('web', 4);
    await h.pass();
    await h.setTask(first[0]!, { state: 'running', nodeId: 'n1' });
    await h.setTask(first[1]!, { state: 'failed', nodeId: 'n2' });
    await h.tasks('web', 3);
    // Two "leaders" read the same store: the old one's pools are gone with it.
    const a = allocate(h.view());
    const b = allocate(h.view());
    expect(b).toEqual(a);
    await h.pass();
    const held = h.view().tasks.filter((t) => t.status.state !== 'failed').flatMap((t) => t.networks.flatMap((n) => n.addresses));
    expect(new Set(held).size).toBe(held.length);
    expect(held).not.toContain(h.vips('web').front);
    expect(held).not.toContain('10.0.0.1');
    // And once written, the next pass has nothing to do.
    const c = allocate(h.view());
    expect(c.ready.length + c.networks.length + c.services.length).toBe(0);
  });
});

describe('allocator: checking a network before it is created', () => {
  it('gives the reason a spec would be refused, with the same rules, or null', async () => {
    const { checkNetwork } = await import('../../../src/swarm/manager/allocator/index.js');
    const h = new AllocHarness();
    await h.nodes('n1');
    await h.nodeNetworks('n1', ['192.168.1.7/24']);
    await h.net('a', { subnet: '10.5.0.0/16' });
    await h.pass();
    const spec = (subnet: string | null, gateway: string | null = null) => {
      const b = network('x').spec;
      return { ...b, ipam: { configs: subnet === null ? [] : [{ subnet, gateway, ipRange: null }] } };
    };
    expect(checkNetwork(h.view(), spec(null))).toBeNull();
    expect(checkNetwork(h.view(), spec('10.6.0.0/24'))).toBeNull();
    expect(checkNetwork(h.view(), spec('10.5.9.0/24'))).toBe('subnet 10.5.9.0/24 overlaps network a (10.5.0.0/16)');
    expect(checkNetwork(h.view(), spec('192.168.1.0/25'))).toBe('subnet 192.168.1.0/25 overlaps 192.168.1.0/24 on node n1 (its interfaces and routes)');
    expect(checkNetwork(h.view(), spec('10.6.0.0/24', '10.6.0.255'))).toBe('gateway 10.6.0.255 is not a host address of subnet 10.6.0.0/24');
  });
});
