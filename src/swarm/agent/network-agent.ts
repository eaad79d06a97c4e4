import type { ContainerRuntime, ContainerSpec } from '../../runtime/index.js';
import type { AssignedTask } from '../api/assignments.js';
import { TASK_LABELS } from './task-container.js';
import { mapLimit } from '../../util/map-limit.js';
import type { NodeNetworkState, NodeNetwork } from '../api/network-state.js';
import { buildTable, type DnsTable } from '../../net/dns/index.js';
import { dnsRecordsFor } from './network-dns.js';
import { vipTableFor, type VipTable } from './network-vips.js';
import { StandaloneContainers } from './network-attachments.js';
import type { NodeAttachment } from '../store/index.js';
import { NETWORK_LABEL, engineNetworkMatches, engineNetworkNameOf, engineNetworkSpec } from './engine-network.js';

export { engineNetworkName, engineNetworkNameOf } from './engine-network.js';

/**
 * The agent's side of east-west networking (specs/networking.md): a lifecycle the task executor
 * drives — `configure(state)` each pass from the cluster's view of this node, `attach(task)`
 * before a container is created, `started(task)` once it runs, `release()` is implied by
 * `configure` (what the state no longer names is taken down). Level-triggered: every pass derives
 * the wanted Docker networks, kernel devices, DNS names and VIP tables from the state alone and
 * converges to them, so a restarted daemon repairs what is wrong and leaves what is right alone.
 * On attachable overlays it also finds the standalone containers someone started with `docker
 * run --network NAME` (`refreshAttachments`, every network pass), reports them (`attachments`)
 * and gives them VIP tables and DNS like task clients (network-attachments.ts).
 *
 * The dataplane pieces are injected (src/net/*: overlay devices, the VIP programmer, the resolver)
 * so unit tests can pass fakes and lab tests the real ones.
 */

/** The overlay dataplane as the agent uses it (src/net/overlay's OverlayDataplane). */
export interface OverlayPort {
  converge(wanted: {
    overlays: Array<{
      key: string;
      shim: string;
      vxlan: string;
      address: string;
      vni: number;
      port: number;
      mtu: number;
      local: string;
      peers: string[];
      remotes: Array<{ ip: string; mac: string; vtep: string }>;
    }>;
    allowedVteps: string[];
    port: number;
  }): Promise<{ pending: ReadonlyArray<{ key: string; reason: string }> }>;
  teardown(): Promise<unknown>;
}

/** The VIP programmer (src/net/lb): one table per client container's network namespace. */
export interface LoadBalancerPort {
  sync(netnsPath: string, table: VipTable): Promise<unknown>;
  /** The namespace is gone (its container was removed): drop what is remembered of it. */
  forget(netnsPath: string): void;
  /** The daemon stops: end any helper processes (nft sessions); tables stay in the kernel. */
  close?(): void;
}

/** The ingress mesh's entry table on this host (src/net/ingress's IngressHostProgrammer). */
export interface IngressHostPort {
  sync(table: { shim: string; ports: Array<{ protocol: 'tcp' | 'udp' | 'sctp'; port: number; target: number; snat: boolean; backends: string[] }> } | null): Promise<unknown>;
  remove(): Promise<unknown>;
}

/** Reply routing in each local backend's netns (src/net/ingress's IngressReplyProgrammer). */
export interface IngressReplyPort {
  sync(netnsPath: string, wanted: { address: string; gateways: string[]; self: string }): Promise<unknown>;
  forget(netnsPath: string): void;
}

/** DNS of standalone containers through this host's resolver (src/net/dns's DnsRedirector). */
export interface DnsRedirectPort {
  apply(netnsPath: string, to: string): Promise<void>;
  remove(netnsPath: string): Promise<void>;
}

/** The per-host resolver (src/net/dns's DnsResolver). */
export interface ResolverPort {
  setTable(table: DnsTable): void;
  listen(addresses: ReadonlyArray<{ address: string; port?: number }>): Promise<void>;
  close(): Promise<void>;
}

export interface NetworkAgentOptions {
  runtime: ContainerRuntime;
  nodeId: string;
  log: (msg: string) => void;
  /** The clock the egress network's linger is measured with (tests pass their own). */
  now?: () => number;
  overlay: OverlayPort;
  lb: LoadBalancerPort;
  dns: ResolverPort;
  dnsRedirect: DnsRedirectPort;
  ingress: IngressHostPort;
  ingressReply: IngressReplyPort;
  /** This node's underlay address (the VXLAN source) and its interface's MTU. */
  underlay: () => Promise<{ address: string; mtu: number }>;
  deviceNames: (key: string) => { shim: string; vxlan: string };
  macForIp: (ip: string) => string;
  /** Deletes this host's conntrack entries of VXLAN traffic on `port` (if given) and of the given overlay subnets. */
  flushFlows: (port: number | null, subnets: string[]) => Promise<void>;
}

/** Raised by `attach` when the task's networks are not programmed on this node yet (retry later). */
export class NetworkNotReadyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NetworkNotReadyError';
  }
}

/** Engine networks and devices are re-checked at least this often even when the state says nothing changed. */
const DEVICE_REPAIR_MS = 10_000;

/** What engine networks and kernel devices are made of: everything but backends, VIPs and names. */
function devicesDigest(state: NodeNetworkState, under: { address: string; mtu: number }): string {
  return JSON.stringify([
    under,
    state.vxlanPort,
    state.nodeAddrs,
    state.networks,
    state.endpoints.map((e) => [e.networkId, e.address, e.nodeId, e.vtep]),
    state.ingress?.gateways ?? null,
  ]);
}
/** Marks the node's egress network (one per node, not a cluster network). */
const EGRESS_LABEL = 'com.tsswarm.egress';

/**
 * The node's egress network: a Docker bridge with NAT and inter-container traffic off (as Swarm's
 * docker_gwbridge), joined by tasks on at least one non-internal overlay. Overlay interfaces are
 * macvlans on the VXLAN device and carry no default route (see specs/networking.md, "Egress").
 */
export const EGRESS_NETWORK = 'tss-egress';
/** How long the egress network outlives the last overlay that wanted it. */
const EGRESS_LINGER_MS = 5_000;
const EGRESS_BRIDGE = 'tsegress0';

export class NetworkAgent {
  private state: NodeNetworkState | null = null;
  /** Cluster network ids whose Docker network exists here with the wanted subnet and gateway. */
  private ready = new Map<string, NodeNetwork>();
  /** pid of each running task container, by container id (a restarted container gets a new one). */
  private readonly pids = new Map<string, number>();
  private programmed = 0;
  /** Standalone containers on this node's attachable overlays (docker run --network NAME). */
  private readonly standalone: StandaloneContainers;

  constructor(private readonly o: NetworkAgentOptions) {
    this.standalone = new StandaloneContainers({ runtime: o.runtime, log: o.log, lb: o.lb, dnsRedirect: o.dnsRedirect, egress: () => (this.egressReady ? EGRESS_NETWORK : null) });
  }

  /** What to tell the leader about standalone containers here; undefined until the first scan (keep what it has). */
  get attachments(): NodeAttachment[] | undefined {
    return this.standalone.attachments;
  }

  /**
   * Looks for standalone containers on this node's attachable overlays (every network pass: a
   * `docker run` is seen within one) and programs a new one's VIP table and DNS redirect at
   * once, from the state it already has, before its node's report reaches the others. True when
   * the set changed (the worker then reports it without waiting for the next period).
   */
  async refreshAttachments(): Promise<boolean> {
    if (!this.state) return false;
    const r = await this.standalone.refresh(this.state, this.ready);
    this.noteStandalone(r.problems);
    return r.changed;
  }

  private noteStandalone(problems: readonly string[]): void {
    if (problems.length > 0) this.incomplete = true;
    for (const p of problems) this.logOnce(p);
  }

  private lastLog = '';
  private logOnce(msg: string): void {
    if (msg !== this.lastLog) this.o.log(msg);
    this.lastLog = msg;
  }

  /** The store index of the last state fully programmed here (the stop gate waits on it). */
  get programmedIndex(): number {
    return this.programmed;
  }

  markCurrent(index: number): void {
    if (this.state) this.state = { ...this.state, index };
    this.programmed = Math.max(this.programmed, index);
  }

  /**
   * Whether the last pass left something unconverged (a stale engine network still in use, a
   * network the engine refused, an address the resolver could not bind yet): the worker then
   * programs again on its next pass instead of waiting for the state to change.
   */
  get needsRetry(): boolean {
    // A lingering egress network is looked at again on the next pass, not the repair period.
    return this.incomplete || this.egressLingering;
  }

  private incomplete = false;

  /**
   * One pass: Docker networks, kernel devices, DNS and VIP tables to what `state` says. A failure
   * on one network is logged and leaves that network unready (its tasks wait); the others are
   * programmed. The programmed index advances only when VIP tables and DNS reflect `state`.
   */
  async configure(state: NodeNetworkState): Promise<void> {
    this.state = state;
    const under = await this.o.underlay();
    // Most changes are backends coming and going (health, scaling, updates): they touch only DNS
    // and VIP tables. Engine networks and kernel devices are converged when what they are made
    // of changed, when the last pass left something unfinished, or on the repair period.
    const devices = devicesDigest(state, under);
    if (devices === this.lastDevices && !this.incomplete && !this.repairDue() && !this.egressExpired()) {
      await this.programNames(state);
      return;
    }
    // Names and VIP tables first: a backend that went away must leave them at once, not after the
    // device work (process spawns that take a while on a busy host). A new endpoint is in the
    // state from `pending` on, long before it runs, so its devices are programmed by then.
    await this.programNames(state);
    this.incomplete = false;
    this.lastRepair = Date.now();
    // Stale engine networks first: a removed network's subnet may come back for a new one, and a
    // VXLAN device is only deleted once no engine network names it as parent.
    await this.removeStaleEngineNetworks(state);
    // Devices before engine networks: Docker's macvlan driver needs the VXLAN device (its parent).
    const placed = state.networks.filter((n) => n.gateway !== null);
    const overlays = placed.map((n) => {
      const names = this.o.deviceNames(n.id);
      return {
        key: n.id,
        shim: names.shim,
        vxlan: names.vxlan,
        address: `${n.gateway!}/${n.subnet.split('/')[1]!}`,
        vni: n.vni,
        port: state.vxlanPort,
        mtu: n.mtu ?? under.mtu - 50,
        local: under.address,
        peers: n.peers.filter((p) => p !== under.address),
        remotes: [
          ...state.endpoints.filter((e) => e.networkId === n.id && e.nodeId !== this.o.nodeId).map((e) => ({ ip: e.address, mac: this.o.macForIp(e.address), vtep: e.vtep })),
          // Backends reply to an entry node's shim: unicast, not flooded to every peer.
          ...(state.ingress?.networkId === n.id ? state.ingress.gateways.filter((g) => g.nodeId !== this.o.nodeId).map((g) => ({ ip: g.address, mac: this.o.macForIp(g.address), vtep: g.vtep })) : []),
        ],
      };
    });
    let pending = new Set<string>(placed.map((n) => n.id));
    try {
      const ov = await this.o.overlay.converge({ overlays, allowedVteps: state.nodeAddrs, port: state.vxlanPort });
      pending = new Set(ov.pending.map((p) => p.key));
      for (const p of ov.pending) {
        this.incomplete = true;
        this.logOnce(`overlay ${p.key}: ${p.reason}`);
      }
    } catch (e) {
      this.incomplete = true;
      this.logOnce(`overlay devices: ${(e as Error).message}`);
    }
    await this.convergeEngineNetworks(state, pending);
    this.lastDevices = devices;
    await this.programNames(state);
  }

  private lastDevices = '';
  private lastRepair = 0;

  private repairDue(): boolean {
    return Date.now() - this.lastRepair > DEVICE_REPAIR_MS;
  }

  /** DNS and VIP tables: what every backend change needs, and all that most of them need. */
  private async programNames(state: NodeNetworkState): Promise<void> {
    const view = dnsRecordsFor(state);
    this.o.dns.setTable(buildTable(view.networks, view.records, view.clients));
    // A gateway address the kernel does not hold yet is bound on a later pass; names are served
    // on the others meanwhile, and nothing about removals depends on it (the table is in memory).
    await this.o.dns.listen([...this.ready.values()].map((n) => ({ address: n.gateway! }))).catch((e: unknown) => {
      this.incomplete = true;
      this.logOnce(`dns: ${(e as Error).message}`);
    });
    await this.syncClients(state);
    await this.syncIngress(state);
    this.programmed = state.index;
  }

  /**
   * The published ports this node answers (every node does, with or without a task): DNAT to the
   * backends on the ingress overlay, once that overlay is programmed here. Part of what
   * `programmed` acknowledges, so a task leaves every node's published ports before its SIGTERM.
   */
  private async syncIngress(state: NodeNetworkState): Promise<void> {
    const ing = state.ingress;
    if (ing !== null && !this.ready.has(ing.networkId)) {
      this.incomplete = true; // the overlay comes first; the next pass programs the ports
      return;
    }
    const table =
      ing === null
        ? null
        : {
            shim: this.o.deviceNames(ing.networkId).shim,
            ports: ing.ports.map((p) => ({ protocol: p.protocol, port: p.published, target: p.target, snat: p.snat, backends: p.backends })),
          };
    await this.o.ingress.sync(table).catch((e: unknown) => {
      this.incomplete = true;
      this.logOnce(`ingress: ${(e as Error).message}`);
    });
  }

  /**
   * A local task on the ingress overlay: its replies go back through the node each connection
   * came in by (src/net/ingress/reply-render.ts). Before it is reported running, and whenever the
   * set of nodes changes.
   */
  private async syncReply(state: NodeNetworkState, taskId: string, netns: string): Promise<void> {
    const ing = state.ingress;
    const mine = ing === null ? undefined : state.endpoints.find((e) => e.taskId === taskId && e.networkId === ing.networkId);
    const self = ing === null ? null : (state.networks.find((n) => n.id === ing.networkId)?.gateway ?? null);
    if (ing === null || mine === undefined || self === null) return;
    await this.o.ingressReply.sync(netns, { address: mine.address, gateways: ing.gateways.map((g) => g.address), self });
  }

  /**
   * Where a new task container is attached: every overlay it joins, with the address the cluster
   * gave it and DNS through this node's address on the first one, and the node's egress network
   * when one of them is not internal (the default route). Tasks without networks keep the
   * engine's default bridge, as before networking existed.
   */
  attach(a: AssignedTask): Pick<ContainerSpec, 'networkMode' | 'networks' | 'dns'> {
    const atts = a.task.networks;
    if (atts.length === 0) return { networkMode: 'bridge' };
    const networks: NonNullable<ContainerSpec['networks']> = {};
    let dns: string | null = null;
    let egress = false;
    const ingress = this.state?.ingress?.networkId;
    // The ingress overlay last: it is no one's DNS and no way out (the host routes only the mesh's connections through it).
    for (const att of [...atts].sort((x, y) => Number(x.networkId === ingress) - Number(y.networkId === ingress))) {
      const n = this.ready.get(att.networkId);
      if (!n) throw new NetworkNotReadyError(`network ${att.networkId} is not programmed on this node yet`);
      const addr = att.addresses[0];
      if (!addr) throw new NetworkNotReadyError(`no address on network ${n.name} yet`);
      networks[engineNetworkNameOf(n)] = { ipv4Address: addr.split('/')[0]! };
      if (n.id === ingress) continue;
      dns ??= n.gateway;
      egress ||= !n.internal;
    }
    const first = Object.keys(networks)[0]!;
    // Only on the ingress overlay (a service that publishes ports and joins no network): the way
    // out it would have had on the engine's default bridge.
    egress ||= atts.every((x) => x.networkId === ingress);
    // Host-mode ports are bound by the engine on a bridge network: the egress network is one.
    egress ||= a.task.ports.some((p) => p.publishMode === 'host');
    if (egress) {
      if (!this.egressReady) throw new NetworkNotReadyError(`the egress network ${EGRESS_NETWORK} is not created on this node yet`);
      networks[EGRESS_NETWORK] = {};
    }
    return { networkMode: first, networks, ...(dns ? { dns: [dns] } : {}) };
  }

  private egressReady = false;
  /** When an overlay that is not internal was last wanted here (convergeEgress). */
  private egressWantedAt = 0;
  /** The egress network outlives its last user (convergeEgress); the pass after its linger removes it. */
  private egressLingering = false;

  private egressExpired(): boolean {
    return this.egressLingering && (this.o.now ?? Date.now)() - this.egressWantedAt >= EGRESS_LINGER_MS;
  }

  /** A task container runs: program its VIP table now, before the task is reported running. */
  async started(a: AssignedTask, containerId: string, pid: number): Promise<void> {
    if (a.task.networks.length === 0 || !this.state || pid <= 0) return;
    this.pids.set(containerId, pid);
    await this.o.lb.sync(netnsOf(pid), vipTableFor(this.state, a.task.id));
    await this.syncReply(this.state, a.task.id, netnsOf(pid));
  }

  /** The daemon stops: close the resolver's sockets; devices and tables stay for running tasks. */
  async stop(): Promise<void> {
    this.o.lb.close?.();
    await this.o.dns.close();
  }

  /** The node leaves: everything this agent programmed goes (task containers are already gone). */
  async teardown(): Promise<void> {
    this.o.lb.close?.();
    await this.o.dns.close();
    await this.standalone.teardown();
    await this.o.ingress.remove().catch((e: unknown) => this.o.log(`removing the ingress table: ${(e as Error).message}`));
    await this.o.overlay.teardown();
    const subnets: string[] = [];
    for (const label of [NETWORK_LABEL, EGRESS_LABEL]) {
      for (const n of await this.o.runtime.listNetworks({ labels: { [label]: true } })) {
        subnets.push(...n.subnets);
        await this.o.runtime.removeNetwork(n.id).catch((e: unknown) => this.o.log(`removing network ${n.name}: ${(e as Error).message}`));
      }
    }
    this.egressReady = false;
    // Flow entries of tunnels and overlay addresses would otherwise linger for minutes.
    await this.o.flushFlows(this.state?.vxlanPort ?? 4789, subnets).catch((e: unknown) => this.o.log(`removing overlay conntrack entries: ${(e as Error).message}`));
    this.ready.clear();
  }

  /** Engine networks of the overlays whose devices are programmed (not `pending`), and the egress network. */
  private async convergeEngineNetworks(state: NodeNetworkState, pending: ReadonlySet<string>): Promise<void> {
    const have = await this.o.runtime.listNetworks({ labels: { [NETWORK_LABEL]: true } });
    const next = new Map<string, NodeNetwork>();
    for (const n of state.networks) {
      if (n.gateway === null || pending.has(n.id)) continue;
      try {
        if (await this.ensureEngineNetwork(n, have)) next.set(n.id, n);
      } catch (e) {
        this.incomplete = true;
        this.logOnce(`network ${n.name}: ${(e as Error).message}`);
      }
    }
    this.ready = next;
    try {
      this.egressReady = await this.convergeEgress(state.networks.some((n) => !n.internal));
    } catch (e) {
      this.egressReady = false;
      this.incomplete = true;
      this.logOnce(`network ${EGRESS_NETWORK}: ${(e as Error).message}`);
    }
  }

  /**
   * The egress network while some overlay here is not internal; removed once none has been for
   * EGRESS_LINGER_MS and nothing uses it. Not at once: in a rolling update the old task's
   * overlay can leave this node's state a moment before the new task's comes, and the task loop
   * (beside this one) may be creating a container that names the network; removed then, its
   * start failed with "network tss-egress not found" (the executor now also retries that).
   */
  private async convergeEgress(wanted: boolean): Promise<boolean> {
    const cur = (await this.o.runtime.listNetworks({ labels: { [EGRESS_LABEL]: true } })).find((x) => x.name === EGRESS_NETWORK);
    const now = (this.o.now ?? Date.now)();
    if (wanted) this.egressWantedAt = now;
    this.egressLingering = false;
    if (!wanted) {
      if (cur && now - this.egressWantedAt < EGRESS_LINGER_MS) {
        this.egressLingering = true;
        return true;
      }
      if (cur && (await this.o.runtime.inspectNetwork(cur.id)).containers.length === 0) await this.o.runtime.removeNetwork(cur.id);
      return false;
    }
    if (cur) return true;
    await this.o.runtime.createNetwork({
      name: EGRESS_NETWORK,
      driver: 'bridge',
      labels: { [EGRESS_LABEL]: 'true' },
      // Tasks of different overlays share it: they must not reach each other through it.
      driverOpts: { 'com.docker.network.bridge.name': EGRESS_BRIDGE, 'com.docker.network.bridge.enable_icc': 'false' },
    });
    return true;
  }

  /** The engine network carrying `n` on this host (engine-network.ts), created or rebuilt as needed; false if it must wait. */
  private async ensureEngineNetwork(n: NodeNetwork, have: Awaited<ReturnType<ContainerRuntime['listNetworks']>>): Promise<boolean> {
    const name = engineNetworkNameOf(n);
    const parent = this.o.deviceNames(n.id).vxlan;
    // Only one of ours is ever rebuilt (`have` is the engine's networks with our label).
    const cur = have.find((x) => x.name === name && x.labels[NETWORK_LABEL] !== undefined);
    if (cur && engineNetworkMatches(cur, n, parent)) return true;
    if (!cur && n.attachable && (await this.o.runtime.listNetworks({ names: [name] })).length > 0) {
      // Someone's own engine network has the name: never clobbered. Retried each pass, so
      // removing or renaming it is all it takes.
      this.incomplete = true;
      this.logOnce(`network ${n.name}: this engine already has a network named ${name} that is not tsswarm's; standalone containers and tasks cannot join the overlay here until it is removed or renamed (docker network rm ${name})`);
      return false;
    }
    if (cur) {
      // This node's address or range changed, an older layout, or the name came back as another
      // network: rebuild it once nothing is attached.
      const info = await this.o.runtime.inspectNetwork(cur.id);
      if (info.containers.length > 0) {
        this.incomplete = true;
        this.logOnce(`network ${n.name}: the engine network differs from the cluster's and still has containers; rebuilt once they are gone`);
        return false;
      }
      await this.o.runtime.removeNetwork(cur.id);
    }
    await this.o.runtime.createNetwork(engineNetworkSpec(n, parent));
    return true;
  }

  /** Engine networks of cluster networks this node no longer has; one still in use waits (the executor removes its containers). */
  private async removeStaleEngineNetworks(state: NodeNetworkState): Promise<void> {
    const wanted = new Set(state.networks.filter((n) => n.gateway !== null).map((n) => engineNetworkNameOf(n)));
    for (const n of await this.o.runtime.listNetworks({ labels: { [NETWORK_LABEL]: true } })) {
      if (wanted.has(n.name)) continue;
      try {
        await this.o.runtime.removeNetwork(n.id);
      } catch (e) {
        this.incomplete = true;
        this.logOnce(`removing network ${n.name}: ${(e as Error).message.split('\n')[0]}`);
        continue;
      }
      // The bridge's own flows (IGMP, NAT) would otherwise linger for minutes.
      await this.o.flushFlows(null, n.subnets).catch((e: unknown) => this.logOnce(`removing conntrack entries of ${n.name}: ${(e as Error).message}`));
    }
  }

  /** VIP tables for every running task container on an overlay, by its network namespace. */
  private async syncClients(state: NodeNetworkState): Promise<void> {
    const containers = await this.o.runtime.listContainers({ labels: { [TASK_LABELS.node]: this.o.nodeId } });
    const live = new Set<string>();
    const local = new Set(state.endpoints.filter((e) => e.nodeId === this.o.nodeId).map((e) => e.taskId));
    // Clients are independent namespaces: programmed side by side (the programmer serialises per namespace).
    await mapLimit(containers, 4, async (c) => {
      const taskId = c.labels[TASK_LABELS.task];
      if (c.status !== 'running' || !taskId || !local.has(taskId)) return;
      let pid = this.pids.get(c.id);
      if (pid === undefined) {
        pid = (await this.o.runtime.inspectContainer(c.id)).pid;
        if (pid > 0) this.pids.set(c.id, pid);
      }
      if (!pid) return;
      live.add(c.id);
      await this.o.lb.sync(netnsOf(pid), vipTableFor(state, taskId));
      await this.syncReply(state, taskId, netnsOf(pid)).catch((e: unknown) => {
        this.incomplete = true;
        this.logOnce(`ingress reply routing of task ${taskId}: ${(e as Error).message}`);
      });
    });
    for (const [id, pid] of this.pids) {
      if (live.has(id)) continue;
      this.pids.delete(id);
      this.o.lb.forget(netnsOf(pid));
      this.o.ingressReply.forget(netnsOf(pid));
    }
    this.noteStandalone(await this.standalone.sync(state, this.ready));
  }
}

function netnsOf(pid: number): string {
  return `/proc/${pid}/ns/net`;
}
