import type { IngressPort, IngressState, NodeNetworkState, NetworkEndpoint } from '../api/network-state.js';
import type { Network, Node, Service, Task } from '../store/index.js';
import { isTerminal } from '../store/index.js';
import { hostOf } from '../../util/host-of.js';
import { parseAddr } from '../../net/ipam.js';

/**
 * What one node must program for east-west networking, derived from the store alone
 * (specs/networking.md): the overlays its tasks join (and every attachable overlay), its own
 * gateway address and attachment range on each, the peer VTEPs, every endpoint on those overlays
 * (tasks, and the standalone containers nodes reported: for fdb/neighbour entries, DNS and load
 * balancing), the services' virtual IPs, and the routing mesh (`ingress`: every published
 * ingress-mode port with its backends, every node's address on the ingress overlay). Pure: the same store gives every node the same
 * answer for the same node id, so a restarted agent or another manager can never disagree with
 * what was programmed.
 */

/** The request body's schema lives with the wire contract; re-exported for the API server. */
export { networkStateRequestSchema } from '../api/network-state.js';

export interface NetworkStateInput {
  index: number;
  vxlanPort: number;
  networks: readonly Network[];
  services: readonly Service[];
  tasks: readonly Task[];
  nodes: readonly Node[];
}

/** `10.0.0.5/24` (the allocator's form) or a bare address -> the bare address. */
export function bareAddress(a: string): string {
  const i = a.indexOf('/');
  return i < 0 ? a : a.slice(0, i);
}

/** A node's underlay address: its advertise address without a port. */
export function underlayOf(n: Node): string {
  return hostOf(n.status.addr);
}

/** A task that has, or may soon have, a container holding its addresses. */
function holdsEndpoint(t: Task): boolean {
  return t.nodeId !== null && !isTerminal(t.status.state) && t.networks.length > 0;
}

/**
 * A load-balancing backend: running, healthy when it has a healthcheck, and still wanted. A task
 * asked to stop leaves at once (before its container gets SIGTERM, see specs/networking.md).
 */
export function isBackend(t: Task): boolean {
  return t.desiredState === 'running' && t.status.state === 'running' && (t.status.health === null || t.status.health === 'healthy');
}

/** Swarm's task name: `<service>.<slot>.<task id>` (global tasks use the node id for the slot). */
export function taskName(serviceName: string, t: Pick<Task, 'id' | 'slot' | 'nodeId'>): string {
  return `${serviceName}.${t.slot > 0 ? String(t.slot) : (t.nodeId ?? 'x')}.${t.id}`;
}

/**
 * The ingress overlay while the mesh is on: it exists, is allocated, and some service has an
 * ingress-mode port with a number. Otherwise no node has it, tasks on it or not.
 */
function meshNetwork(i: NetworkStateInput): Network | null {
  const net = [...i.networks].filter((n) => n.spec.ingress && n.allocation !== null).sort((a, b) => a.meta.createdAt - b.meta.createdAt || (a.id < b.id ? -1 : 1))[0];
  if (net === undefined) return null;
  return i.services.some((s) => (s.endpoint?.ports ?? []).some((p) => p.publishMode === 'ingress' && p.publishedPort !== null)) ? net : null;
}

export function nodeNetworkState(nodeId: string, settled: number, i: NetworkStateInput): NodeNetworkState {
  const nodes = new Map(i.nodes.map((n) => [n.id, n]));
  const services = new Map(i.services.map((s) => [s.id, s]));
  const live = i.tasks.filter(holdsEndpoint);
  const mesh = meshNetwork(i);
  const mine = new Set(live.filter((t) => t.nodeId === nodeId).flatMap((t) => t.networks.map((n) => n.networkId)));
  // An attachable overlay is everywhere: a standalone container may be started on any node; so
  // is the ingress overlay while the mesh is on (every node answers the published ports).
  const networks = i.networks.filter((n) => n.allocation !== null && (n.spec.ingress ? n === mesh : mine.has(n.id) || n.spec.attachable));
  const wanted = new Set(networks.map((n) => n.id));
  const named = new Set([...wanted].filter((id) => id !== mesh?.id));

  const endpoints: NetworkEndpoint[] = [];
  for (const t of live) {
    const svc = services.get(t.serviceId);
    const node = nodes.get(t.nodeId!);
    if (!svc || !node) continue;
    for (const att of t.networks) {
      if (!wanted.has(att.networkId) || att.addresses.length === 0) continue;
      endpoints.push({
        networkId: att.networkId,
        kind: 'task',
        taskId: t.id,
        taskName: taskName(svc.spec.name, t),
        serviceId: svc.id,
        address: bareAddress(att.addresses[0]!),
        nodeId: node.id,
        vtep: underlayOf(node),
        backend: isBackend(t),
      });
    }
  }
  endpoints.push(...containerEndpoints(i, networks, endpoints));

  return {
    index: i.index,
    settled,
    vxlanPort: i.vxlanPort,
    nodeAddrs: [...new Set(i.nodes.filter((n) => n.status.state !== 'down').map(underlayOf))].sort(),
    networks: networks.map((n) => {
      const alloc = n.allocation!;
      const gateways = alloc.nodes ?? [];
      const self = gateways.find((g) => g.nodeId === nodeId);
      const peers = gateways
        .filter((g) => g.nodeId !== nodeId)
        .map((g) => nodes.get(g.nodeId))
        .filter((x): x is Node => x !== undefined && x.status.state !== 'down')
        .map(underlayOf);
      const mtu = n.spec.driverOptions.mtu ?? n.spec.driverOptions['com.docker.network.driver.mtu'];
      return {
        id: n.id,
        name: n.spec.name,
        vni: alloc.vni,
        subnet: alloc.subnets[0]!.subnet,
        gateway: self ? bareAddress(self.address) : null,
        internal: n.spec.internal,
        attachable: n.spec.attachable,
        attachRange: n.spec.attachable ? (self?.attachRange ?? null) : null,
        mtu: mtu === undefined ? null : Number(mtu),
        peers: [...new Set(peers)].sort(),
      };
    }),
    endpoints,
    // No names and no VIP on the ingress overlay: it carries published ports only.
    services: i.services
      .filter((s) => s.spec.task.networks.some((a) => named.has(a.target)))
      .map((s) => ({
        id: s.id,
        name: s.spec.name,
        mode: s.spec.endpoint.mode,
        networks: s.spec.task.networks.filter((a) => named.has(a.target)).map((a) => ({ networkId: a.target, aliases: a.aliases })),
        vips: (s.endpoint?.virtualIPs ?? []).filter((v) => named.has(v.networkId)).map((v) => ({ networkId: v.networkId, address: bareAddress(v.addr) })),
      })),
    ingress: mesh === null ? null : ingressState(mesh, i, nodes, endpoints),
  };
}

const byAddress = (a: string, b: string): number => parseAddr(a) - parseAddr(b);
const PROTOCOL_ORDER = { tcp: 0, udp: 1, sctp: 2 } as const;

/**
 * The mesh as every node sees it: each node's address on the ingress overlay (not down), and one
 * entry per (service, ingress-mode port with a number) with the service's backends there. A
 * number two services hold (only a race or a rollback lets one in; the allocator reports it)
 * goes to the one whose id sorts first, the allocator's own order.
 */
function ingressState(mesh: Network, i: NetworkStateInput, nodes: ReadonlyMap<string, Node>, endpoints: readonly NetworkEndpoint[]): IngressState {
  const gateways = (mesh.allocation?.nodes ?? [])
    .filter((g) => {
      const n = nodes.get(g.nodeId);
      return n !== undefined && n.status.state !== 'down';
    })
    .map((g) => ({ nodeId: g.nodeId, address: bareAddress(g.address), vtep: underlayOf(nodes.get(g.nodeId)!) }))
    .sort((a, b) => (a.nodeId < b.nodeId ? -1 : a.nodeId > b.nodeId ? 1 : 0));
  const backends = new Map<string, string[]>();
  for (const e of endpoints) {
    if (e.networkId !== mesh.id || !e.backend || e.serviceId === null) continue;
    backends.set(e.serviceId, [...(backends.get(e.serviceId) ?? []), e.address]);
  }
  const ports: IngressPort[] = [];
  const seen = new Set<string>();
  for (const s of [...i.services].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))) {
    for (const p of s.endpoint?.ports ?? []) {
      if (p.publishMode !== 'ingress' || p.publishedPort === null) continue;
      const key = `${p.protocol}/${p.publishedPort}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const to = [...new Set(backends.get(s.id) ?? [])].sort(byAddress);
      ports.push({ protocol: p.protocol, published: p.publishedPort, target: p.targetPort, snat: p.snat, serviceId: s.id, serviceName: s.spec.name, backends: to });
    }
  }
  ports.sort((a, b) => PROTOCOL_ORDER[a.protocol] - PROTOCOL_ORDER[b.protocol] || a.published - b.published);
  return { networkId: mesh.id, gateways, ports };
}

/**
 * The standalone containers nodes reported on the given attachable overlays: from nodes that are
 * not down (a node that went away took its containers' reachability with it), on a network still
 * attachable, and never an address a task endpoint already has there (the ranges keep them apart;
 * a stale report must not shadow a task). Never backends: they are reached by name and address only.
 */
function containerEndpoints(i: NetworkStateInput, networks: readonly Network[], tasks: readonly NetworkEndpoint[]): NetworkEndpoint[] {
  const attachable = new Set(networks.filter((n) => n.spec.attachable).map((n) => n.id));
  const taken = new Set(tasks.map((e) => `${e.networkId} ${e.address}`));
  const out: NetworkEndpoint[] = [];
  for (const node of i.nodes) {
    if (node.status.state === 'down') continue;
    for (const a of node.status.attachments) {
      const key = `${a.networkId} ${a.address}`;
      if (!attachable.has(a.networkId) || taken.has(key)) continue;
      taken.add(key);
      out.push({ networkId: a.networkId, kind: 'container', taskId: a.containerId, taskName: a.name, serviceId: null, address: a.address, nodeId: node.id, vtep: underlayOf(node), backend: false });
    }
  }
  return out;
}
