import ipaddr from 'ipaddr.js';
import { z } from 'zod';
import { ApiError } from '../api/errors.js';
import { bounded } from '../api/schemas.js';
import { resolveRef } from '../api/refs.js';
import { networkSpecProblems, networkSpecSchema, type MemoryStore, type Network, type NetworkSpec, type ObjectBody, type ServiceSpec } from '../store/index.js';
import { randomTaskId } from './loop-runner.js';
import { checkNetwork, holdsAddresses } from './allocator/allocator.js';
import { ATTACH_PREFIX_OPTION, MAX_ATTACH_PREFIX, MIN_ATTACH_PREFIX, attachPrefixOf } from './allocator/attach-range.js';
import { AddressPool, formatAddr, overlaps, parseAddr as ipamAddr, parseCidr as ipamCidr } from '../../net/ipam.js';

/**
 * The manager side of `tsswarm network ...` and of service network references (specs/api.md,
 * specs/networking.md). Everything a network create can get wrong is refused here, before
 * anything is written: a network the allocator could not realise never enters the store.
 */

export const networkCreateSchema = z.strictObject({ spec: bounded(networkSpecSchema, networkSpecProblems) });

/** Driver options an overlay understands; anything else is refused rather than stored and ignored. */
const MTU_OPTIONS = new Set(['mtu', 'com.docker.network.driver.mtu']);
const KNOWN_OPTIONS = new Set([...MTU_OPTIONS, ATTACH_PREFIX_OPTION]);
const MIN_MTU = 1280;
const MAX_MTU = 9000;
/** Docker's own networks on every engine: an attachable overlay's engine network carries its name. */
const PREDEFINED_NAMES = new Set(['bridge', 'host', 'none']);

/** Docker's name for the routing-mesh network `init` creates. */
export const INGRESS_NETWORK_NAME = 'ingress';

/**
 * The ingress network of a fresh cluster, written by `tsswarm init` in the transaction that
 * writes the cluster object, so no cluster is ever without one (Docker's `init` does the same).
 * No subnet: the allocator cuts it from the cluster's pools like any network's (with the default
 * pool, 10.0.0.0/24, as Docker's).
 */
export function defaultIngressNetwork(id: string): ObjectBody<'network'> {
  return {
    id,
    spec: { name: INGRESS_NETWORK_NAME, labels: {}, driver: 'overlay', driverOptions: {}, ipam: { configs: [] }, internal: false, attachable: false, ingress: true },
    allocation: null,
  };
}

/** What `network ls|inspect` shows. */
export interface NetworkView {
  id: string;
  name: string;
  driver: string;
  scope: 'swarm';
  internal: boolean;
  attachable: boolean;
  ingress: boolean;
  labels: Record<string, string>;
  options: Record<string, string>;
  /** As asked for (spec) and as allocated (null until the allocator ran). */
  ipam: { configs: NetworkSpec['ipam']['configs'] };
  allocation: Network['allocation'];
  /** Addresses in use (tasks, VIPs, node gateways) and in all, counted where tasks can get one. */
  usage: { used: number; total: number } | null;
  /** Services whose tasks join it. */
  usedBy: string[];
  /** Attachable networks: each node's gateway and attachment range (null: none was free), by hostname. */
  attachRanges: Array<{ node: string; nodeId: string; gateway: string; range: string | null }>;
  /** Standalone containers attached to it, as their nodes reported them. */
  containers: Array<{ name: string; node: string; address: string; containerId: string }>;
  createdAt: number;
}

/** A network by id, name or unique id prefix (api/refs.ts). */
export function findNetwork(store: MemoryStore, ref: string): Network {
  return store.view((tx) => resolveRef(tx, 'network', ref));
}

/** The MTU a network asks for, or null for "derive it from the underlay". */
export function networkMtu(spec: NetworkSpec): number | null {
  const v = spec.driverOptions.mtu ?? spec.driverOptions['com.docker.network.driver.mtu'];
  return v === undefined ? null : Number(v);
}

function parseCidr(field: string, v: string): [ipaddr.IPv4, number] {
  let parsed: [ipaddr.IPv4 | ipaddr.IPv6, number];
  try {
    parsed = ipaddr.parseCIDR(v);
  } catch {
    throw new ApiError('invalid', `${JSON.stringify(v)} is not a subnet in CIDR form`, { field, hint: 'e.g. 10.20.0.0/24' });
  }
  const [addr, bits] = parsed;
  if (addr.kind() !== 'ipv4') throw new ApiError('invalid', `IPv6 subnets are not supported yet (${v})`, { field });
  const v4 = addr as ipaddr.IPv4;
  if (bits > 29) throw new ApiError('invalid', `subnet ${v} is too small: at most /29 (a /${bits} leaves no room for gateways and tasks)`, { field });
  if (bits < 8) throw new ApiError('invalid', `subnet ${v} is too large: at least /8`, { field });
  const net = ipaddr.IPv4.networkAddressFromCIDR(v);
  if (net.toString() !== v4.toString()) throw new ApiError('invalid', `${v} has host bits set`, { field, hint: `did you mean ${net.toString()}/${bits}?` });
  return [v4, bits];
}

function parseAddr(field: string, v: string): ipaddr.IPv4 {
  if (!ipaddr.IPv4.isValidFourPartDecimal(v)) throw new ApiError('invalid', `${JSON.stringify(v)} is not an IPv4 address`, { field });
  return ipaddr.IPv4.parse(v);
}

/** Whether two CIDRs share any address. */
export function cidrsOverlap(a: string, b: string): boolean {
  return overlaps(ipamCidr(a), ipamCidr(b));
}

/** Checks a spec on its own: driver, options, IPAM shape. */
export function validateNetworkSpec(spec: NetworkSpec): void {
  if (spec.attachable) {
    // Its engine network on every node is named by the network's name (what `docker run
    // --network NAME` looks up), so Docker's own names cannot be it.
    if (PREDEFINED_NAMES.has(spec.name)) throw new ApiError('invalid', `${spec.name} is the name of a network every Docker engine has: an attachable overlay cannot take it`, { field: 'spec.name', hint: 'choose another name' });
    if (spec.ingress) throw new ApiError('invalid', 'the ingress network cannot be attachable', { field: 'spec.attachable', hint: 'create a separate attachable overlay' });
  }
  for (const [k, v] of Object.entries(spec.driverOptions)) {
    const field = `spec.driverOptions.${k}`;
    if (k === 'encrypted') throw new ApiError('invalid', 'encrypted overlays are not supported: this kernel has neither IPsec AEAD nor WireGuard', { field });
    if (!KNOWN_OPTIONS.has(k)) throw new ApiError('invalid', `unknown overlay option ${JSON.stringify(k)}`, { field, hint: `known: ${[...KNOWN_OPTIONS].join(', ')}` });
    if (MTU_OPTIONS.has(k) && (!/^\d+$/.test(v) || Number(v) < MIN_MTU || Number(v) > MAX_MTU)) throw new ApiError('invalid', `mtu must be a whole number ${MIN_MTU}..${MAX_MTU}, got ${JSON.stringify(v)}`, { field });
    if (k === ATTACH_PREFIX_OPTION) {
      if (!spec.attachable) throw new ApiError('invalid', `${k} sizes the attachment ranges of an attachable overlay; this one is not attachable`, { field, hint: 'add --attachable, or leave the option out' });
      if (!/^\d+$/.test(v) || Number(v) < MIN_ATTACH_PREFIX || Number(v) > MAX_ATTACH_PREFIX) throw new ApiError('invalid', `${k} must be a prefix length ${MIN_ATTACH_PREFIX}..${MAX_ATTACH_PREFIX} (each node's block of the subnet), got ${JSON.stringify(v)}`, { field, hint: 'e.g. attach-prefix=28 (16 addresses per node)' });
    }
  }
  if (spec.ipam.configs.length > 1) throw new ApiError('invalid', `a network has at most one subnet for now (got ${spec.ipam.configs.length})`, { field: 'spec.ipam.configs' });
  spec.ipam.configs.forEach((c, i) => {
    const f = `spec.ipam.configs[${i}]`;
    const [, bits] = parseCidr(`${f}.subnet`, c.subnet);
    // Replies of the mesh are routed by a mark holding the low 16 bits of the entry node's address
    // on the ingress network (specs/networking.md, "Ingress: the dataplane").
    if (spec.ingress && bits < 16) throw new ApiError('invalid', `the ingress subnet ${c.subnet} is larger than a /16`, { field: `${f}.subnet`, hint: 'use a /16 or smaller, e.g. 10.0.0.0/24' });
    const inSubnet = (field: string, a: string): void => {
      if (!parseAddr(field, a).match(ipaddr.IPv4.parseCIDR(c.subnet))) throw new ApiError('invalid', `${a} is not inside the subnet ${c.subnet}`, { field });
    };
    if (c.gateway !== null) {
      inSubnet(`${f}.gateway`, c.gateway);
      const net = ipaddr.IPv4.networkAddressFromCIDR(c.subnet).toString();
      const bcast = ipaddr.IPv4.broadcastAddressFromCIDR(c.subnet).toString();
      if (c.gateway === net || c.gateway === bcast) throw new ApiError('invalid', `${c.gateway} is the subnet's ${c.gateway === net ? 'network' : 'broadcast'} address`, { field: `${f}.gateway` });
    }
    if (c.ipRange !== null) {
      const [r, rbits] = parseCidr(`${f}.ipRange`, c.ipRange);
      if (rbits < bits || !r.match(ipaddr.IPv4.parseCIDR(c.subnet))) throw new ApiError('invalid', `ip range ${c.ipRange} is not inside the subnet ${c.subnet}`, { field: `${f}.ipRange` });
    }
    const block = attachPrefixOf(spec);
    if (block !== null && block <= bits) {
      throw new ApiError('invalid', `subnet ${c.subnet} has no room for per-node /${block} attachment ranges`, { field: `${f}.subnet`, hint: `use a subnet larger than /${block}, or -o ${ATTACH_PREFIX_OPTION}=N with N > ${bits}` });
    }
  });
}

export async function createNetwork(store: MemoryStore, body: z.infer<typeof networkCreateSchema>): Promise<{ id: string }> {
  const spec = body.spec;
  validateNetworkSpec(spec);
  const id = randomTaskId();
  await store.update((tx) => {
    if (tx.getByName('network', spec.name)) throw new ApiError('conflict', `a network named ${JSON.stringify(spec.name)} already exists`, { field: 'spec.name' });
    const others = tx.find('network');
    if (spec.ingress) {
      const ing = others.find((n) => n.spec.ingress);
      if (ing) throw new ApiError('conflict', `the cluster already has an ingress network (${ing.spec.name})`, { field: 'spec.ingress', hint: `remove ${ing.spec.name} first` });
    }
    for (const c of spec.ipam.configs) {
      for (const o of others) {
        const theirs = [...o.spec.ipam.configs.map((x) => x.subnet), ...(o.allocation?.subnets.map((x) => x.subnet) ?? [])];
        const hit = theirs.find((s) => cidrsOverlap(s, c.subnet));
        if (hit) throw new ApiError('conflict', `subnet ${c.subnet} overlaps network ${o.spec.name} (${hit})`, { field: 'spec.ipam.configs[0].subnet', hint: 'choose another subnet, or leave it out and the cluster picks a free one' });
      }
    }
    // What the allocator would refuse (a node's interface or route in the subnet, exhausted
    // pools, no VNI left) is refused now, not left unallocated in the store.
    const why = checkNetwork({ cluster: tx.find('cluster')[0] ?? null, networks: others, services: [], tasks: [], nodes: tx.find('node') }, spec);
    if (why) throw new ApiError('conflict', why, { field: spec.ipam.configs.length > 0 ? 'spec.ipam.configs[0].subnet' : 'spec', hint: spec.ipam.configs.length > 0 ? 'choose another subnet' : 'add an address pool (init --default-addr-pool) or remove unused networks' });
    tx.create('network', { id, spec, allocation: null });
  });
  return { id };
}

function usedBy(store: MemoryStore, id: string): string[] {
  return store.view((tx) =>
    tx
      .find('service')
      .filter((s) => s.spec.task.networks.some((n) => n.target === id))
      .map((s) => s.spec.name)
      .sort(),
  );
}

/** Pool usage from what the store holds (the allocator's own rule for who holds an address). */
function usageOf(store: MemoryStore, n: Network): NetworkView['usage'] {
  const sub = n.allocation?.subnets[0];
  if (!sub) return null;
  const range = n.spec.ipam.configs[0]?.ipRange;
  const pool = new AddressPool(ipamCidr(sub.subnet), range ? ipamCidr(range, 'ip range') : null);
  const held = store.view((tx) => [
    sub.gateway,
    ...(n.allocation?.nodes.map((x) => x.address) ?? []),
    ...(n.allocation?.nodes.flatMap((x) => (x.attachRange ? addressesOf(x.attachRange) : [])) ?? []),
    ...tx.find('service').flatMap((s) => (s.endpoint?.virtualIPs ?? []).filter((v) => v.networkId === n.id).map((v) => v.addr)),
    ...tx.find('task').filter(holdsAddresses).flatMap((t) => t.networks.filter((a) => a.networkId === n.id).flatMap((a) => a.addresses)),
  ]);
  for (const a of held) pool.reserve(ipamAddr(a.split('/')[0]!));
  return pool.usage();
}

/** Every address of a block (a node's attachment range), for counting; the pool skips non-host ones. */
function addressesOf(range: string): string[] {
  const c = ipamCidr(range, 'attachment range');
  return Array.from({ length: 2 ** (32 - c.prefix) }, (_x, i) => formatAddr(c.base + i));
}

/** Standalone containers on network `id`, from every node's report. */
function containersOn(store: MemoryStore, id: string): NetworkView['containers'] {
  return store.view((tx) =>
    tx
      .find('node')
      .flatMap((node) => {
        const host = node.description?.hostname || node.id;
        return node.status.attachments.filter((a) => a.networkId === id).map((a) => ({ name: a.name, node: host, address: a.address, containerId: a.containerId }));
      })
      .sort((a, b) => a.name.localeCompare(b.name)),
  );
}

function attachRangesOf(store: MemoryStore, n: Network): NetworkView['attachRanges'] {
  if (!n.spec.attachable) return [];
  const hostnames = new Map(store.view((tx) => tx.find('node')).map((x) => [x.id, x.description?.hostname || x.id]));
  return (n.allocation?.nodes ?? []).map((e) => ({ node: hostnames.get(e.nodeId) ?? e.nodeId, nodeId: e.nodeId, gateway: e.address, range: e.attachRange }));
}

function view(store: MemoryStore, n: Network): NetworkView {
  return {
    id: n.id,
    name: n.spec.name,
    driver: n.spec.driver,
    scope: 'swarm',
    internal: n.spec.internal,
    attachable: n.spec.attachable,
    ingress: n.spec.ingress,
    labels: n.spec.labels,
    options: n.spec.driverOptions,
    ipam: { configs: n.spec.ipam.configs },
    allocation: n.allocation,
    usage: usageOf(store, n),
    usedBy: usedBy(store, n.id),
    attachRanges: attachRangesOf(store, n),
    containers: containersOn(store, n.id),
    createdAt: n.meta.createdAt,
  };
}

export function networkViews(store: MemoryStore): NetworkView[] {
  return store
    .view((tx) => tx.find('network'))
    .sort((a, b) => a.spec.name.localeCompare(b.spec.name))
    .map((n) => view(store, n));
}

export function networkView(store: MemoryStore, ref: string): NetworkView {
  return view(store, findNetwork(store, ref));
}

/**
 * Docker refuses to remove a network a service still uses; so do we, naming the services. The
 * ingress network is used by every service that publishes a port in ingress mode.
 */
export async function removeNetwork(store: MemoryStore, ref: string): Promise<{ id: string }> {
  const n = findNetwork(store, ref);
  await store.update((tx) => {
    if (n.spec.ingress) {
      const publishing = tx
        .find('service')
        .filter((s) => s.spec.endpoint.ports.some((p) => p.publishMode === 'ingress'))
        .map((s) => s.spec.name)
        .sort();
      if (publishing.length > 0) {
        throw new ApiError('conflict', `network ${n.spec.name} is the ingress network and service${publishing.length > 1 ? 's' : ''} ${publishing.join(', ')} publish${publishing.length > 1 ? '' : 'es'} ports in ingress mode`, {
          hint: `remove those ports first (tsswarm service update --publish-rm TARGET ${publishing[0]}) or the services (tsswarm service rm ${publishing.join(' ')})`,
        });
      }
    }
    const users = tx.find('service').filter((s) => s.spec.task.networks.some((a) => a.target === n.id));
    if (users.length > 0) {
      const names = users.map((s) => s.spec.name).sort();
      throw new ApiError('conflict', `network ${n.spec.name} is in use by service${names.length > 1 ? 's' : ''} ${names.join(', ')}`, { hint: 'remove the services or `service update --network-rm` first' });
    }
    // Docker refuses to remove a network with active endpoints; a standalone container is one.
    const attached = tx.find('node').flatMap((node) => node.status.attachments.filter((a) => a.networkId === n.id).map((a) => `${a.name} (on ${node.description?.hostname || node.id})`));
    if (attached.length > 0) {
      throw new ApiError('conflict', `network ${n.spec.name} is in use by container${attached.length > 1 ? 's' : ''} ${attached.sort().join(', ')}`, { hint: 'stop them or `docker network disconnect` them first' });
    }
    if (tx.get('network', n.id)) tx.delete('network', n.id);
  });
  return { id: n.id };
}

/** `network prune`: every network no service and no standalone container uses (the ingress network stays). */
export async function pruneNetworks(store: MemoryStore): Promise<{ removed: string[] }> {
  const r = await store.update((tx) => {
    const used = new Set([...tx.find('service').flatMap((s) => s.spec.task.networks.map((a) => a.target)), ...tx.find('node').flatMap((n) => n.status.attachments.map((a) => a.networkId))]);
    const gone = tx.find('network').filter((n) => !n.spec.ingress && !used.has(n.id));
    for (const n of gone) tx.delete('network', n.id);
    return gone.map((n) => n.spec.name).sort();
  });
  return { removed: r.value };
}

/**
 * A service spec with its network references resolved to ids (callers may name networks by name,
 * id or unique prefix). A reference to the ingress network is refused, as Docker does: tasks join
 * it through published ports, not by asking. Aliases are kept; duplicates are an error.
 */
export function resolveServiceNetworks(store: MemoryStore, spec: ServiceSpec): ServiceSpec {
  const seen = new Set<string>();
  const networks = spec.task.networks.map((a, i) => {
    const field = `spec.task.networks[${i}].target`;
    let n: Network;
    try {
      n = findNetwork(store, a.target);
    } catch (e) {
      if (e instanceof ApiError) throw new ApiError(e.apiCode, e.message, { field, hint: 'create it with `tsswarm network create -d overlay NAME`' });
      throw e;
    }
    if (n.spec.ingress) throw new ApiError('invalid', `the ingress network ${n.spec.name} cannot be joined by a service`, { field, hint: 'publish a port (-p) instead' });
    if (seen.has(n.id)) throw new ApiError('invalid', `network ${n.spec.name} is given twice`, { field });
    seen.add(n.id);
    return { target: n.id, aliases: a.aliases };
  });
  return { ...spec, task: { ...spec.task, networks } };
}
