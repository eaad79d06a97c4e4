import type { NodeNetworkState, NetworkEndpoint } from '../api/network-state.js';
import type { Network, Node, Service, Task } from '../store/index.js';
import { isTerminal } from '../store/index.js';
import { hostOf } from '../../util/host-of.js';

/**
 * What one node must program for east-west networking, derived from the store alone
 * (specs/networking.md): the overlays its tasks join (and every attachable overlay), its own
 * gateway address and attachment range on each, the peer VTEPs, every endpoint on those overlays
 * (tasks, and the standalone containers nodes reported: for fdb/neighbour entries, DNS and load
 * balancing), and the services' virtual IPs. Pure: the same store gives every node the same
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

export function nodeNetworkState(nodeId: string, settled: number, i: NetworkStateInput): NodeNetworkState {
  const nodes = new Map(i.nodes.map((n) => [n.id, n]));
  const services = new Map(i.services.map((s) => [s.id, s]));
  const live = i.tasks.filter(holdsEndpoint);
  const mine = new Set(live.filter((t) => t.nodeId === nodeId).flatMap((t) => t.networks.map((n) => n.networkId)));
  // An attachable overlay is everywhere: a standalone container may be started on any node.
  const networks = i.networks.filter((n) => (mine.has(n.id) || n.spec.attachable) && n.allocation !== null);
  const wanted = new Set(networks.map((n) => n.id));

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
    services: i.services
      .filter((s) => s.spec.task.networks.some((a) => wanted.has(a.target)))
      .map((s) => ({
        id: s.id,
        name: s.spec.name,
        mode: s.spec.endpoint.mode,
        networks: s.spec.task.networks.filter((a) => wanted.has(a.target)).map((a) => ({ networkId: a.target, aliases: a.aliases })),
        vips: (s.endpoint?.virtualIPs ?? []).filter((v) => wanted.has(v.networkId)).map((v) => ({ networkId: v.networkId, address: bareAddress(v.addr) })),
      })),
    ingress: null,
  };
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
