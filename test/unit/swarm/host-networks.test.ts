import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { cachedHostNetworks, hostCidrs, readHostNetworks } from '../../../src/swarm/agent/host-networks.js';
import { Dispatcher } from '../../../src/swarm/manager/dispatcher.js';
import { newStore, node } from './store-fixtures.js';

const v4 = (cidr: string, internal = false): os.NetworkInterfaceInfo => ({ address: cidr.split('/')[0]!, netmask: '', family: 'IPv4', mac: '', internal, cidr });

describe('host networks (what a node reports)', () => {
  it('reports interface blocks and routes, without loopback, default route, IPv6 or our overlay bridges', () => {
    const ifaces = {
      lo: [v4('127.0.0.1/8', true)],
      eth0: [v4('192.168.1.7/24'), { address: 'fe80::1', netmask: '', family: 'IPv6' as const, mac: '', internal: false, cidr: 'fe80::1/64', scopeid: 2 }],
      docker0: [v4('172.17.0.1/16')],
      'tsgw-4096': [v4('10.0.0.1/24')],
    };
    const routes = [
      { dst: 'default', dev: 'eth0' },
      { dst: '192.168.1.0/24', dev: 'eth0' },
      { dst: '10.50.0.0/16', dev: 'eth0' },
      { dst: '10.99.1.5', dev: 'eth0' },
      { dst: '10.0.0.0/24', dev: 'tsgw-4096' },
    ];
    expect(hostCidrs(ifaces, routes)).toEqual(['10.50.0.0/16', '10.99.1.5/32', '172.17.0.0/16', '192.168.1.0/24']);
  });

  it('reads this host (interfaces always; routes where ip is installed)', async () => {
    const got = await readHostNetworks();
    for (const c of got) expect(c).toMatch(/^\d+\.\d+\.\d+\.\d+\/\d+$/);
    expect(got).not.toContain('127.0.0.0/8');
  });

  it('reads at most once per ttl', async () => {
    let reads = 0;
    let t = 0;
    const get = cachedHostNetworks({ ttlMs: 1000, now: () => t, read: async () => [`10.0.${++reads}.0/24`] });
    expect(await get()).toEqual(['10.0.1.0/24']);
    t = 999;
    expect(await get()).toEqual(['10.0.1.0/24']);
    t = 1000;
    expect(await get()).toEqual(['10.0.2.0/24']);
  });

  it('the dispatcher records them on the node when they change, and keeps them when an agent does not say', async () => {
    const { store } = newStore();
    await store.update((tx) => void tx.create('node', node('n1')));
    const d = new Dispatcher({ store, periodMs: 1000, log: () => undefined });
    await d.heartbeat('n1', '10.0.0.1', 'n1', ['192.168.1.0/24']);
    const v1 = store.view((tx) => tx.get('node', 'n1'))!;
    expect(v1.description?.networks).toEqual(['192.168.1.0/24']);
    await d.heartbeat('n1', '10.0.0.1', 'n1', ['192.168.1.0/24']);
    await d.heartbeat('n1', '10.0.0.1', 'n1');
    const v2 = store.view((tx) => tx.get('node', 'n1'))!;
    expect(v2.meta.version).toBe(v1.meta.version);
    await d.heartbeat('n1', '10.0.0.1', 'n1', []);
    expect(store.view((tx) => tx.get('node', 'n1'))?.description?.networks).toEqual([]);
  });
});
