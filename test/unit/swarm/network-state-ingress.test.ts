import { describe, expect, it } from 'vitest';
import { nodeNetworkState, type NetworkStateInput } from '../../../src/swarm/manager/network-state.js';
import type { Network, Node, PortConfig, Service, Task } from '../../../src/swarm/store/index.js';
import { mkNode, mkPort as port, mkService, mkTask } from './task-fixtures.js';
import { network as networkBody } from './store-fixtures.js';

/** The routing mesh in the network state (specs/networking.md, "Ingress: the manager side"). */

const meta = { version: 1, createdAt: 0, updatedAt: 0 };

function net(id: string, subnet: string, nodes: Array<[string, string]>, o: { ingress?: boolean; allocated?: boolean } = {}): Network {
  const b = networkBody(id);
  return {
    ...b,
    spec: { ...b.spec, ingress: o.ingress ?? false, ipam: { configs: [] } },
    allocation: o.allocated === false ? null : { vni: 4096, subnets: [{ subnet, gateway: subnet.replace(/0\/\d+$/, '1') }], nodes: nodes.map(([nodeId, address]) => ({ nodeId, address, attachRange: null })) },
    meta,
  };
}

function node(id: string, addr: string, state: 'ready' | 'down' = 'ready'): Node {
  const n = mkNode(id, { state });
  return { ...n, status: { ...n.status, addr } };
}

/** A service on `app`, with the ports as the allocator wrote them. */
function svc(id: string, ports: PortConfig[], o: { vip?: string; mode?: 'vip' | 'dnsrr' } = {}): Service {
  const s = mkService(id, { name: id });
  const spec = ports.map((p) => (p.publishMode === 'ingress' ? { ...p, publishedPort: null } : p));
  return {
    ...s,
    spec: { ...s.spec, endpoint: { mode: o.mode ?? 'vip', ports: spec }, task: { ...s.spec.task, networks: [{ target: 'app', aliases: [id] }] } },
    endpoint: { ports, virtualIPs: o.vip ? [{ networkId: 'app', addr: o.vip }] : [] },
  };
}

function task(id: string, serviceId: string, nodeId: string, addrs: Record<string, string>, o: { state?: Task['status']['state']; health?: Task['status']['health'] } = {}): Task {
  const t = mkTask(id, serviceId, 1, { nodeId, state: o.state ?? 'running', desired: 'running', health: o.health ?? null });
  return { ...t, networks: Object.entries(addrs).map(([networkId, address]) => ({ networkId, addresses: [address] })) };
}

/**
 * n1, n2, n3 (down), n4 with no task at all. web (vip) publishes 80 -> 30000 and 8080/udp;
 * dns (dnsrr) publishes 53/udp; db publishes only a host port.
 */
function world(): NetworkStateInput {
  return {
    index: 9,
    vxlanPort: 4789,
    nodes: [node('n1', '10.199.0.11'), node('n2', '10.199.0.12'), node('n3', '10.199.0.13', 'down'), node('n4', '10.199.0.14')],
    networks: [
      net('ingress', '10.0.0.0/24', [['n1', '10.0.0.1'], ['n2', '10.0.0.2'], ['n3', '10.0.0.3'], ['n4', '10.0.0.4']], { ingress: true }),
      net('app', '10.0.1.0/24', [['n1', '10.0.1.1'], ['n2', '10.0.1.2']]),
    ],
    services: [
      svc('web', [port(80, 30000), port(8080, 8080, { protocol: 'udp', snat: true })], { vip: '10.0.1.100' }),
      svc('dns', [port(53, 53, { protocol: 'udp' })], { mode: 'dnsrr' }),
      svc('db', [port(5432, 5432, { publishMode: 'host' })]),
    ],
    tasks: [
      task('w1', 'web', 'n2', { app: '10.0.1.10', ingress: '10.0.0.10' }),
      task('w2', 'web', 'n1', { app: '10.0.1.9', ingress: '10.0.0.9' }),
      task('w3', 'web', 'n1', { app: '10.0.1.11', ingress: '10.0.0.100' }, { health: 'starting' }),
      task('d1', 'dns', 'n2', { app: '10.0.1.20', ingress: '10.0.0.20' }),
      task('p1', 'db', 'n1', { app: '10.0.1.30' }),
    ],
  };
}

describe('network state: the routing mesh', () => {
  it('carries every published ingress port with its backends, sorted by protocol then number, and every node\'s gateway', () => {
    const st = nodeNetworkState('n4', 0, world());
    expect(st.ingress).toEqual({
      networkId: 'ingress',
      gateways: [
        { nodeId: 'n1', address: '10.0.0.1', vtep: '10.199.0.11' },
        { nodeId: 'n2', address: '10.0.0.2', vtep: '10.199.0.12' },
        { nodeId: 'n4', address: '10.0.0.4', vtep: '10.199.0.14' },
      ],
      ports: [
        { protocol: 'tcp', published: 30000, target: 80, snat: false, serviceId: 'web', serviceName: 'web', backends: ['10.0.0.9', '10.0.0.10'] },
        { protocol: 'udp', published: 53, target: 53, snat: false, serviceId: 'dns', serviceName: 'dns', backends: ['10.0.0.20'] },
        { protocol: 'udp', published: 8080, target: 8080, snat: true, serviceId: 'web', serviceName: 'web', backends: ['10.0.0.9', '10.0.0.10'] },
      ],
    });
  });

  it('the ingress overlay is in every node\'s networks, with its own gateway and the peers not down, and its endpoints', () => {
    for (const [id, gw, peers] of [
      ['n4', '10.0.0.4', ['10.199.0.11', '10.199.0.12']],
      ['n1', '10.0.0.1', ['10.199.0.12', '10.199.0.14']],
    ] as const) {
      const st = nodeNetworkState(id, 0, world());
      const ing = st.networks.find((n) => n.id === 'ingress');
      expect(ing).toMatchObject({ name: 'ingress', gateway: gw, peers, attachable: false, attachRange: null });
    }
    const st = nodeNetworkState('n4', 0, world());
    // n4 has no task on app, so app is not there; the ingress endpoints are, backends as for any overlay.
    expect(st.networks.map((n) => n.id)).toEqual(['ingress']);
    expect(st.endpoints.map((e) => [e.taskId, e.address, e.backend])).toEqual([
      ['w1', '10.0.0.10', true],
      ['w2', '10.0.0.9', true],
      ['w3', '10.0.0.100', false],
      ['d1', '10.0.0.20', true],
    ]);
  });

  it('no service names and no VIP on the ingress overlay', () => {
    const st = nodeNetworkState('n1', 0, world());
    expect(st.services.map((s) => [s.id, s.networks.map((n) => n.networkId), s.vips.map((v) => v.networkId)])).toEqual([
      ['web', ['app'], ['app']],
      ['dns', ['app'], []],
      ['db', ['app'], []],
    ]);
    expect(nodeNetworkState('n4', 0, world()).services).toEqual([]);
  });

  it('is null, and the ingress overlay nowhere, while no ingress port has a number, or the network is not allocated', () => {
    const hostOnly = { ...world(), services: world().services.filter((s) => s.id === 'db') };
    const unnumbered = { ...world(), services: [{ ...svc('web', [port(80, null)]) }] };
    const unallocated = { ...world(), networks: world().networks.map((n) => (n.id === 'ingress' ? { ...n, allocation: null } : n)) };
    const none = { ...world(), networks: world().networks.filter((n) => n.id !== 'ingress') };
    for (const w of [hostOnly, unnumbered, unallocated, none]) {
      const st = nodeNetworkState('n1', 0, w);
      expect(st.ingress).toBeNull();
      expect(st.networks.map((n) => n.id)).toEqual(['app']);
      expect(st.endpoints.every((e) => e.networkId === 'app')).toBe(true);
    }
  });

  it('a number two services hold goes to the one whose id sorts first, once', () => {
    const w = world();
    w.services = [...w.services, svc('aaa', [port(81, 30000)])];
    w.tasks = [...w.tasks, task('a1', 'aaa', 'n2', { app: '10.0.1.40', ingress: '10.0.0.40' })];
    const tcp = nodeNetworkState('n1', 0, w).ingress!.ports.filter((p) => p.protocol === 'tcp');
    expect(tcp).toMatchObject([{ published: 30000, serviceId: 'aaa', backends: ['10.0.0.40'] }]);
  });
});
