import { canonicalJson } from '../../store/canonical-json.js';
import { DEFAULT_CLUSTER_NETWORKING, isBefore, isTerminal, type Cluster, type Network, type NetworkAllocation, type Node, type PortConfig, type Service, type Task } from '../../store/index.js';
import { isLive } from '../task-model.js';
import {
  AddressPool,
  chooseSubnet,
  findOverlap,
  formatAddr,
  formatCidr,
  containsCidr,
  isIpamError,
  parseAddr,
  parseCidr,
  validatePools,
  VniPool,
  VNI_END,
  VNI_START,
  type Addr,
  type Cidr,
  type TakenRange,
} from '../../../net/ipam.js';
import { attachPrefixOf } from './attach-range.js';
import { hasIngressPort, heldPorts, INGRESS_PORT_END, INGRESS_PORT_START, portName } from '../../ports.js';

/**
 * The allocator's pure core: from one view of the store, decide network allocations (subnet,
 * VNI, per-node gateway addresses and, on attachable networks, per-node attachment ranges),
 * service VIPs and published ports, and the addresses of new tasks (on the ingress network too
 * when they publish an ingress-mode port), which then move `new → pending`. Nothing is remembered between calls: every pool is rebuilt from what the store
 * says is held, so a new leader (a fresh call on the same view) decides exactly the same.
 * Ordering hazards and the release rule: doc.ts; the rules: specs/networking.md.
 */

export interface AllocatorInput {
  /** The cluster object (address pools); null before init finished: Swarm's defaults then. */
  cluster: Cluster | null;
  networks: readonly Network[];
  services: readonly Service[];
  tasks: readonly Task[];
  nodes: readonly Node[];
}

export type ServiceEndpoint = NonNullable<Service['endpoint']>;
export type TaskAttachment = Task['networks'][number];

export interface AllocatorDecision {
  /** Networks whose allocation changes: the first allocation, node addresses added or dropped. */
  networks: { network: Network; allocation: NetworkAllocation }[];
  /** Services whose endpoint (VIPs, published ports) changes. */
  services: { service: Service; endpoint: ServiceEndpoint }[];
  /** New tasks that got every address they need: write them `pending` with these attachments. */
  ready: { task: Task; networks: TaskAttachment[] }[];
  /** New tasks that stay `new`, with the reason to show (exhaustion, missing network). */
  blocked: { task: Task; reason: string }[];
  /**
   * The allocation each usable network has after this decision. Writers check that a network
   * still has this subnet and VNI before writing addresses from it (it may have been removed).
   */
  allocations: ReadonlyMap<string, NetworkAllocation>;
  /** Networks that cannot be used (refused subnet, unusable stored allocation), with the reason. */
  refused: ReadonlyMap<string, string>;
  /** Conditions for the log: networks that cannot be allocated, inconsistencies found in the store. */
  problems: string[];
}

/**
 * A task may still get (or have) a container: not terminal, and either wanted or already handed
 * to a node. A task no longer wanted that never reached a node will never run (the scheduler
 * places only live tasks), so it needs no address.
 */
export function mayRun(t: Task): boolean {
  return !isTerminal(t.status.state) && (isLive(t) || !isBefore(t.status.state, 'assigned'));
}

/**
 * A task whose addresses are held: written past `new` (a `new` task has none yet) and still
 * possibly running. Terminal tasks release theirs: their container has stopped, so their
 * endpoint is gone from the engine. Deleted tasks release by not being in the view.
 */
export function holdsAddresses(t: Task): boolean {
  return t.status.state !== 'new' && mayRun(t);
}

/** Networks a service joins, in spec order, each once. */
function targetsOf(spec: Task['spec']): string[] {
  return [...new Set(spec.networks.map((n) => n.target))];
}

/**
 * Networks a task joins: its spec's, then the ingress network when it publishes an ingress-mode
 * port (its backends are reached there by every node's DNAT). Never the ingress network by
 * reference: the API refuses that, and a stray one is not honoured.
 */
function joinsOf(t: Pick<Task, 'spec' | 'ports'>, ingressId: string | null): string[] {
  const own = targetsOf(t.spec).filter((id) => id !== ingressId);
  return ingressId !== null && hasIngressPort(t.ports) ? [...own, ingressId] : own;
}

/** Why a task that publishes in ingress mode cannot be given its addresses: the cluster has no ingress network. */
export function noIngressReason(ports: readonly PortConfig[]): string {
  const p = ports.find((x) => x.publishMode === 'ingress');
  const which = p === undefined ? 'a port' : p.publishedPort === null ? `target port ${portName(p.protocol, p.targetPort)}` : `port ${portName(p.protocol, p.publishedPort)}`;
  return `service publishes ${which} in ingress mode but the cluster has no ingress network (tsswarm network create --driver overlay --ingress NAME)`;
}

/** What the allocator knows about one network during a pass. */
interface NetState {
  network: Network;
  pool: AddressPool;
  vni: number;
  subnet: string;
  gateway: Addr;
  /** Node id → its gateway address on this network (sorted by node id when written). */
  nodes: Map<string, Addr>;
  /** Prefix length of the nodes' attachment ranges; null when the network is not attachable. */
  attachPrefix: number | null;
  /** Node id → its attachment range (attachable networks only). */
  ranges: Map<string, Cidr>;
  changed: boolean;
  /** Free addresses tasks and VIPs must leave, so every usable node can still get its gateway. */
  headroom: number;
}

const byCreation = (a: { id: string; meta: { createdAt: number } }, b: { id: string; meta: { createdAt: number } }): number =>
  a.meta.createdAt - b.meta.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
const byId = (a: { id: string }, b: { id: string }): number => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

function tryParse<T>(f: () => T): T | null {
  try {
    return f();
  } catch (e) {
    if (isIpamError(e)) return null;
    throw e;
  }
}

export function allocate(input: AllocatorInput): AllocatorDecision {
  const problems: string[] = [];
  const nodeIds = new Set(input.nodes.map((n) => n.id));
  const networks = [...input.networks].sort(byCreation);
  // The oldest if a race ever let two in (the API refuses a second one).
  const ingressId = networks.find((n) => n.spec.ingress)?.id ?? null;
  const vnis = new VniPool();
  const states = new Map<string, NetState>();
  const unusable = new Map<string, { network: Network; reason: string }>();

  // 1. Restore what is allocated: VNIs, subnets, gateways and node addresses, as stored.
  for (const n of networks) {
    if (n.allocation === null) continue;
    const s = restoreNetwork(n, n.allocation, vnis, nodeIds, problems);
    if (typeof s === 'string') unusable.set(n.id, { network: n, reason: s });
    else states.set(n.id, s);
  }

  // 2. Allocate networks that have no allocation yet, oldest first.
  const networking = input.cluster?.spec.networking ?? DEFAULT_CLUSTER_NETWORKING;
  const taken: TakenRange[] = [...states.values()].map((s) => ({ cidr: s.pool.subnet, what: `network ${s.network.spec.name} (${s.subnet})` }));
  const allocatedSubnets = taken.map((t) => t.cidr);
  const hostRanges = nodeRanges(input.nodes, allocatedSubnets);
  for (const n of networks) {
    if (n.allocation !== null) continue;
    const r = newNetwork(n, networks, taken, hostRanges, networking, vnis);
    if (typeof r === 'string') {
      unusable.set(n.id, { network: n, reason: r });
      problems.push(`network ${n.spec.name}: ${r}`);
    } else {
      states.set(n.id, r);
      taken.push({ cidr: r.pool.subnet, what: `network ${n.spec.name} (${r.subnet})` });
    }
  }

  // 3. Reserve every address a live holder has, before anything new is handed out: node
  // gateways (step 1), then VIPs, then tasks. A second claim on one address is reported, never
  // honoured, so the store's first holder keeps it.
  const services = [...input.services].sort(byId);
  const keptVips = new Map<string, Map<string, Addr>>();
  for (const svc of services) {
    const kept = new Map<string, Addr>();
    keptVips.set(svc.id, kept);
    const wanted = new Set(vipTargets(svc, ingressId));
    for (const v of svc.endpoint?.virtualIPs ?? []) {
      const s = states.get(v.networkId);
      if (!wanted.has(v.networkId) || s === undefined || kept.has(v.networkId)) continue;
      const a = tryParse(() => parseAddr(v.addr));
      if (a !== null && s.pool.inRange(a) && s.pool.reserve(a)) kept.set(v.networkId, a);
      else problems.push(`service ${svc.spec.name}: VIP ${v.addr} on network ${s.network.spec.name} is not usable (taken twice or outside the range); a new one is allocated`);
    }
  }
  const tasks = [...input.tasks].sort(byId);
  for (const t of tasks) {
    if (!holdsAddresses(t)) continue;
    for (const att of t.networks) {
      const s = states.get(att.networkId);
      if (s === undefined) continue; // the network is gone; so is what it held
      for (const raw of att.addresses) {
        const a = tryParse(() => parseAddr(raw));
        if (a === null || !s.pool.isHost(a)) continue;
        if (!s.pool.reserve(a)) problems.push(`task ${t.id}: address ${raw} on network ${s.network.spec.name} is also held by another holder`);
      }
    }
  }

  // 4. Node gateways and attachment ranges.
  const ingress = ingressId === null ? null : { id: ingressId, active: services.some((svc) => hasIngressPort(svc.spec.endpoint.ports)) };
  nodeAddresses(states, tasks, input.nodes, nodeIds, ingress, problems);

  // 5. VIPs: one per network a `vip` service joins, none for dnsrr and none on the ingress
  // network (its traffic is DNATed to task addresses by every node); published ports.
  const published = publishedPorts(services, problems);
  const serviceChanges: AllocatorDecision['services'] = [];
  for (const svc of services) {
    const kept = keptVips.get(svc.id)!;
    for (const id of vipTargets(svc, ingressId)) {
      if (kept.has(id)) continue;
      const s = states.get(id);
      if (s === undefined) continue; // missing or unusable network: its tasks report it
      const a = s.pool.allocate({ keepFree: s.headroom });
      if (a === null) problems.push(`service ${svc.spec.name}: ${exhausted(s)} for its VIP`);
      else kept.set(id, a);
    }
    const endpoint: ServiceEndpoint = {
      ports: published.get(svc.id)!,
      virtualIPs: vipTargets(svc, ingressId)
        .filter((id) => kept.has(id))
        .map((id) => ({ networkId: id, addr: formatAddr(kept.get(id)!) })),
    };
    if (svc.endpoint === null || canonicalJson(svc.endpoint) !== canonicalJson(endpoint)) serviceChanges.push({ service: svc, endpoint });
  }

  // 6. New tasks, oldest first: every address or none.
  const ready: AllocatorDecision['ready'] = [];
  const blocked: AllocatorDecision['blocked'] = [];
  for (const t of [...input.tasks].sort(byCreation)) {
    if (t.status.state !== 'new' || !isLive(t)) continue;
    if (ingressId === null && hasIngressPort(t.ports)) {
      blocked.push({ task: t, reason: noIngressReason(published.get(t.serviceId) ?? t.ports) });
      continue;
    }
    const got: { s: NetState; a: Addr }[] = [];
    let reason: string | null = null;
    for (const id of joinsOf(t, ingressId)) {
      const s = states.get(id);
      if (s === undefined) {
        const u = unusable.get(id);
        reason = u === undefined ? `network ${id} not found (removed?)` : `network ${u.network.spec.name} has no subnet: ${u.reason}`;
        break;
      }
      const a = s.pool.allocate({ keepFree: s.headroom });
      if (a === null) {
        reason = exhausted(s);
        break;
      }
      got.push({ s, a });
    }
    if (reason !== null) {
      for (const g of got) g.s.pool.release(g.a);
      blocked.push({ task: t, reason });
    } else {
      ready.push({ task: t, networks: got.map((g) => ({ networkId: g.s.network.id, addresses: [formatAddr(g.a)] })) });
    }
  }

  const allocations = new Map<string, NetworkAllocation>();
  const networkChanges: AllocatorDecision['networks'] = [];
  for (const s of states.values()) {
    const allocation: NetworkAllocation = {
      vni: s.vni,
      subnets: [{ subnet: s.subnet, gateway: formatAddr(s.gateway) }],
      nodes: [...s.nodes].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([nodeId, a]) => {
        const r = s.ranges.get(nodeId);
        return { nodeId, address: formatAddr(a), attachRange: r === undefined ? null : formatCidr(r) };
      }),
    };
    allocations.set(s.network.id, allocation);
    if (s.changed) networkChanges.push({ network: s.network, allocation });
  }
  const refused = new Map([...unusable].map(([id, u]) => [id, u.reason]));
  return { networks: networkChanges, services: serviceChanges, ready, blocked, allocations, refused, problems };
}

/**
 * Would a network with this spec be allocated, given the store's current state? The reason it
 * would be refused (its subnet overlaps another network or a node's range, a bad gateway, ...),
 * or null. For the API to refuse `network create` up front with the allocator's own rules; the
 * allocator still checks again when it allocates, which is what holds when requests race.
 */
export function checkNetwork(input: AllocatorInput, spec: Network['spec']): string | null {
  const probeId = '\u0000probe';
  const latest = Math.max(0, ...input.networks.map((n) => n.meta.createdAt));
  const probe: Network = { id: probeId, spec, allocation: null, meta: { version: 0, createdAt: latest + 1, updatedAt: latest + 1 } };
  const d = allocate({ ...input, networks: [...input.networks, probe], services: [], tasks: [] });
  return d.refused.get(probeId) ?? null;
}

/**
 * Node gateways, lazily: a node gets one on a network when a task of that network that may
 * still run is on it; on an attachable network every ready node gets one (a standalone container
 * may be started on any of them), and an attachment range after all the gateways (so that a
 * range never takes the address a gateway needs). Kept until the node leaves the store (dropped
 * when restoring). Also sets each network's headroom for the gateways still to come.
 */
function nodeAddresses(
  states: ReadonlyMap<string, NetState>,
  tasks: readonly Task[],
  nodes: readonly Node[],
  nodeIds: ReadonlySet<string>,
  ingress: { id: string; active: boolean } | null,
  problems: string[],
): void {
  const needs = new Map<string, Set<string>>();
  const need = (networkId: string, nodeId: string): void => {
    let set = needs.get(networkId);
    if (set === undefined) needs.set(networkId, (set = new Set()));
    set.add(nodeId);
  };
  for (const t of tasks) {
    if (t.nodeId === null || !nodeIds.has(t.nodeId) || !mayRun(t)) continue;
    for (const id of joinsOf(t, ingress?.id ?? null)) if (states.has(id)) need(id, t.nodeId);
  }
  const readyNodes = nodes.filter((n) => n.status.state === 'ready');
  for (const s of states.values()) if (s.attachPrefix !== null) for (const n of readyNodes) need(s.network.id, n.id);
  // Every node answers a published ingress port, so every node is on the ingress network
  // while one is published (its address there is where replies are routed back through).
  if (ingress?.active && states.has(ingress.id)) for (const n of readyNodes) need(ingress.id, n.id);
  const hostnames = new Map(nodes.map((n) => [n.id, n.description?.hostname || n.id]));
  for (const s of states.values()) {
    const wanting = [...(needs.get(s.network.id) ?? [])].sort();
    for (const nodeId of wanting) {
      if (s.nodes.has(nodeId)) continue;
      const a = gatewayHeldBy(s) ? s.pool.allocate({ where: 'subnet' }) : s.gateway;
      if (a === null) {
        problems.push(`network ${s.network.spec.name}: no address left for node ${nodeId}'s gateway`);
        continue;
      }
      s.nodes.set(nodeId, a);
      s.changed = true;
    }
    for (const nodeId of s.attachPrefix === null ? [] : wanting) {
      if (!s.nodes.has(nodeId) || s.ranges.has(nodeId)) continue;
      const r = s.pool.allocateBlock(s.attachPrefix!);
      if (r === null) {
        problems.push(
          `network ${s.network.spec.name}: no free /${s.attachPrefix} left in ${s.subnet} for the attachment range of node ${hostnames.get(nodeId)} (standalone containers cannot attach there; free addresses or use a larger subnet)`,
        );
        continue;
      }
      s.ranges.set(nodeId, r);
      s.changed = true;
    }
    // Room kept for the gateways of usable nodes that have none here yet: any of them may be
    // picked by the scheduler for a task of this network.
    s.headroom = nodes.filter((n) => n.status.state === 'ready' && n.spec.availability === 'active' && !s.nodes.has(n.id)).length;
    if (!gatewayHeldBy(s)) s.headroom = Math.max(0, s.headroom - 1); // the reserved gateway serves the first
  }
}

function gatewayHeldBy(s: NetState): boolean {
  return [...s.nodes.values()].includes(s.gateway);
}

function vipTargets(svc: Service, ingressId: string | null): string[] {
  return svc.spec.endpoint.mode === 'vip' ? targetsOf(svc.spec.task).filter((id) => id !== ingressId) : [];
}

/**
 * Every service's `endpoint.ports`: its spec's ports, an ingress-mode port that asks for none
 * numbered from 30000-32767. Memoryless like the pools: numbers written before are restored
 * first (every service's, so a new one never takes a stored one), then the others get the lowest
 * free, services by id. Free means no service publishes that (protocol, number) in any mode: an
 * ingress port binds on every node, where a host port of that number may be bound. Host-mode
 * ports without a number stay without one (the engine picks it on the task's node).
 */
function publishedPorts(services: readonly Service[], problems: string[]): Map<string, PortConfig[]> {
  const taken = new Map<string, string>();
  const ingressOwner = new Map<string, Service>();
  for (const svc of services) {
    for (const p of svc.spec.endpoint.ports) {
      if (p.publishedPort === null) continue;
      const key = portName(p.protocol, p.publishedPort);
      if (!taken.has(key)) taken.set(key, svc.id);
      if (p.publishMode !== 'ingress') continue;
      const other = ingressOwner.get(key);
      if (other === undefined) ingressOwner.set(key, svc);
      else if (other.id !== svc.id) problems.push(`services ${other.spec.name} and ${svc.spec.name} both publish ${key} in ingress mode (the API refuses this; a rollback or a race let it in): the routing mesh sends it to ${other.spec.name}`);
    }
  }
  const held = new Map(services.map((svc) => [svc.id, heldPorts(svc)]));
  for (const svc of services) {
    held.set(
      svc.id,
      held.get(svc.id)!.map((p, i) => {
        if (svc.spec.endpoint.ports[i]!.publishedPort !== null || p.publishedPort === null) return p;
        const key = portName(p.protocol, p.publishedPort);
        const owner = taken.get(key);
        if (owner === undefined) {
          taken.set(key, svc.id);
          return p;
        }
        problems.push(`service ${svc.spec.name}: its published port ${key} is also another service's; it gets a new one`);
        return { ...p, publishedPort: null };
      }),
    );
  }
  const out = new Map<string, PortConfig[]>();
  for (const svc of services) {
    out.set(
      svc.id,
      held.get(svc.id)!.map((p) => {
        if (p.publishMode !== 'ingress' || p.publishedPort !== null) return p;
        // Lowest free: the scan restarts for each port (2,768 numbers at most).
        let n = INGRESS_PORT_START;
        while (n <= INGRESS_PORT_END && taken.has(portName(p.protocol, n))) n++;
        if (n > INGRESS_PORT_END) {
          problems.push(`service ${svc.spec.name}: no published port left in ${INGRESS_PORT_START}-${INGRESS_PORT_END} for ${portName(p.protocol, p.targetPort)}`);
          return p;
        }
        taken.set(portName(p.protocol, n), svc.id);
        return { ...p, publishedPort: n };
      }),
    );
  }
  return out;
}

/** Swarm has no such message in `service ps` (moby#37338); ours is on the task. */
function exhausted(s: NetState): string {
  const u = s.pool.usage();
  const kept = u.used < u.total && s.headroom > 0 ? `, ${s.headroom} kept for node gateways` : '';
  return `no address left on network ${s.network.spec.name} (${u.used} of ${u.total} in use${kept})`;
}

/** Rebuild one allocated network's pool from the store; a string when the stored allocation is unusable. */
function restoreNetwork(n: Network, al: NetworkAllocation, vnis: VniPool, nodeIds: ReadonlySet<string>, problems: string[]): NetState | string {
  const sub = al.subnets[0];
  const cfg = n.spec.ipam.configs[0];
  const pool = sub === undefined ? null : tryParse(() => new AddressPool(parseCidr(sub.subnet), cfg?.ipRange ? parseCidr(cfg.ipRange, 'ip range') : null));
  const gateway = sub === undefined ? null : tryParse(() => parseAddr(sub.gateway, 'gateway'));
  if (sub === undefined || pool === null || gateway === null || !pool.isHost(gateway)) {
    const r = `stored allocation ${JSON.stringify(al.subnets)} is not usable`;
    problems.push(`network ${n.spec.name}: ${r}`);
    return r;
  }
  if (!vnis.reserve(al.vni)) problems.push(`network ${n.spec.name}: VNI ${al.vni} is also another network's (or outside ${VNI_START}-${VNI_END})`);
  pool.reserve(gateway);
  const attachPrefix = attachPrefixOf(n.spec);
  const s: NetState = { network: n, pool, vni: al.vni, subnet: sub.subnet, gateway, nodes: new Map(), attachPrefix, ranges: new Map(), changed: false, headroom: 0 };
  for (const e of al.nodes) {
    const a = tryParse(() => parseAddr(e.address));
    // A node that left the store gives its address back (the only release of node addresses).
    if (!nodeIds.has(e.nodeId) || s.nodes.has(e.nodeId) || a === null) {
      s.changed = true;
      continue;
    }
    const dup = a === gateway ? gatewayHeldBy(s) : !pool.reserve(a);
    if (dup) {
      problems.push(`network ${n.spec.name}: node ${e.nodeId}'s address ${e.address} is not usable (taken twice or outside the subnet); it gets a new one`);
      s.changed = true;
      continue;
    }
    s.nodes.set(e.nodeId, a);
    if (e.attachRange === null) continue;
    const r = attachPrefix === null ? null : tryParse(() => parseCidr(e.attachRange!, 'attachment range'));
    if (r !== null && pool.reserveBlock(r)) {
      s.ranges.set(e.nodeId, r);
    } else {
      if (attachPrefix !== null) problems.push(`network ${n.spec.name}: node ${e.nodeId}'s attachment range ${e.attachRange} is not usable (taken twice or outside the subnet); it gets a new one`);
      s.changed = true;
    }
  }
  return s;
}

/**
 * Host CIDRs the nodes reported, as ranges a new subnet must not overlap. A reported range inside
 * an allocated network's subnet is that network's own bridge on the host (or its route), not
 * a conflict: without this every overlay would overlap itself once it runs somewhere.
 */
function nodeRanges(nodes: readonly Node[], allocated: readonly Cidr[]): TakenRange[] {
  const out: TakenRange[] = [];
  for (const n of [...nodes].sort(byId)) {
    for (const raw of n.description?.networks ?? []) {
      const c = tryParse(() => parseCidr(raw, 'node network', { strict: false }));
      // A default route (0.0.0.0/0) is not a network the host is on; IPv6 is not ours yet.
      if (c === null || c.prefix === 0 || allocated.some((a) => containsCidr(a, c))) continue;
      out.push({ cidr: c, what: `${formatCidr(c)} on node ${n.description?.hostname || n.id} (its interfaces and routes)` });
    }
  }
  return out;
}

/**
 * The first allocation of a network: its subnet (explicit, checked against other networks and
 * the nodes' networks; or the first free block of the default pools), gateway, ip range and VNI.
 * A string is the reason it cannot be allocated.
 */
function newNetwork(
  n: Network,
  all: readonly Network[],
  taken: readonly TakenRange[],
  hostRanges: readonly TakenRange[],
  networking: Cluster['spec']['networking'],
  vnis: VniPool,
): NetState | string {
  const configs = n.spec.ipam.configs;
  if (configs.length > 1) return 'only one ipam config (one subnet) per network is supported';
  const cfg = configs[0];
  let subnet: Cidr;
  try {
    if (cfg !== undefined) {
      subnet = parseCidr(cfg.subnet, 'subnet');
      const hit = findOverlap(subnet, taken) ?? findOverlap(subnet, hostRanges);
      if (hit !== undefined) return `subnet ${cfg.subnet} overlaps ${hit.what}`;
    } else {
      // Subnets other networks asked for explicitly are theirs even before they are allocated.
      const asked: TakenRange[] = [];
      for (const o of all) {
        const c = o.id !== n.id && o.allocation === null && o.spec.ipam.configs[0] ? tryParse(() => parseCidr(o.spec.ipam.configs[0]!.subnet)) : null;
        if (c !== null) asked.push({ cidr: c, what: `network ${o.spec.name}` });
      }
      const pools = validatePools(networking.defaultAddrPools, networking.subnetSize);
      const c = chooseSubnet(pools, networking.subnetSize, [...taken, ...asked, ...hostRanges]);
      if (c === null) return `no /${networking.subnetSize} left in the default address pools (${networking.defaultAddrPools.join(', ')})`;
      subnet = c;
    }
    const range = cfg?.ipRange ? parseCidr(cfg.ipRange, 'ip range') : null;
    const pool = new AddressPool(subnet, range);
    const gateway = cfg?.gateway ? parseAddr(cfg.gateway, 'gateway') : subnet.base + 1;
    if (!pool.isHost(gateway)) return `gateway ${formatAddr(gateway)} is not a host address of subnet ${formatCidr(subnet)}`;
    const vni = vnis.allocate();
    if (vni === null) return 'no VNI left';
    pool.reserve(gateway);
    return { network: n, pool, vni, subnet: formatCidr(subnet), gateway, nodes: new Map(), attachPrefix: attachPrefixOf(n.spec), ranges: new Map(), changed: true, headroom: 0 };
  } catch (e) {
    if (isIpamError(e)) return e.message;
    throw e;
  }
}
