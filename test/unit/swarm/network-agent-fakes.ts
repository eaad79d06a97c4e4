import type { ContainerInfo, ContainerRuntime, NetworkInfo, NetworkSpec } from '../../../src/runtime/index.js';
import { NetworkAgent, type IngressHostPort, type IngressReplyPort, type OverlayPort } from '../../../src/swarm/agent/network-agent.js';
import type { DnsTable } from '../../../src/net/dns/index.js';
import type { VipTable } from '../../../src/net/lb/index.js';

/** A fake container: its engine networks, and its address on each (what network inspect lists). */
export interface FakeContainer {
  id: string;
  name?: string;
  labels: Record<string, string>;
  status: string;
  pid: number;
  networks: string[];
  addresses?: Record<string, string>;
  /** Changes when the container restarts (a new sandbox). */
  endpointSeq?: number;
}

/** A fake engine (networks and containers only), named as such: what NetworkAgent asks of a runtime. */
export class FakeEngine {
  networks: NetworkInfo[] = [];
  containers: FakeContainer[] = [];
  failCreate = new Set<string>();
  created: NetworkSpec[] = [];
  inspectedContainers: string[] = [];
  /** `network container` of every connect. */
  connected: string[] = [];
  /** Endpoints listed by network inspect beyond the containers' (as an engine lists one whose container is going away). */
  strayEndpoints: Array<{ network: string; containerId: string; name: string; endpointId: string; ipv4Address: string | null }> = [];

  runtime(): ContainerRuntime {
    const self = this; // eslint-disable-line @typescript-eslint/no-this-alias -- the fake's methods are plain functions over its state
    const partial = {
      async listNetworks(o: { names?: string[]; labels?: Record<string, string | true> } = {}) {
        const labelled = (n: NetworkInfo) => Object.entries(o.labels ?? {}).every(([k, v]) => (v === true ? k in n.labels : n.labels[k] === v));
        return self.networks.filter((n) => (!o.names || o.names.includes(n.name)) && labelled(n)).map((n) => ({ ...n }));
      },
      async inspectNetwork(id: string) {
        const n = self.networks.find((x) => x.id === id || x.name === id);
        if (!n) throw new Error('no such network');
        const on = self.containers.filter((c) => c.networks.includes(n.name));
        return {
          ...n,
          containers: on.map((c) => c.id),
          endpoints: [
            ...on.map((c) => ({ containerId: c.id, name: c.name ?? c.id, endpointId: `ep-${c.id}-${n.name}-${c.endpointSeq ?? 0}`, ipv4Address: c.addresses?.[n.name] ?? null })),
            ...self.strayEndpoints.filter((x) => x.network === n.name).map(({ network: _n, ...ep }) => ep),
          ],
        };
      },
      async createNetwork(spec: NetworkSpec) {
        if (self.failCreate.has(spec.name)) throw new Error('Pool overlaps with other one on this address space');
        self.created.push(spec);
        // Without an ipam config the engine picks a subnet from its own pools.
        const cfg = spec.ipam?.config?.[0] ?? { subnet: '172.18.0.0/16', gateway: '172.18.0.1' };
        self.networks.push({
          id: `id-${spec.name}`,
          name: spec.name,
          driver: spec.driver ?? 'bridge',
          scope: 'local',
          labels: spec.labels ?? {},
          internal: spec.internal ?? false,
          attachable: spec.attachable ?? false,
          subnets: [cfg.subnet!],
          options: spec.driverOpts ?? {},
          ipam: { driver: 'default', config: [{ subnet: cfg.subnet!, gateway: cfg.gateway!, ...(cfg.ipRange ? { ipRange: cfg.ipRange } : {}) }], options: {} },
          containers: [],
        });
        return `id-${spec.name}`;
      },
      async removeNetwork(id: string) {
        const n = self.networks.find((x) => x.id === id);
        if (n && self.containers.some((c) => c.networks.includes(n.name))) throw new Error(`network ${n.name} has active endpoints`);
        self.networks = self.networks.filter((x) => x.id !== id);
      },
      async connectNetwork(network: string, container: string) {
        const c = self.containers.find((x) => x.id === container);
        if (!c) throw new Error(`No such container: ${container}`);
        if (c.networks.includes(network)) throw new Error(`endpoint with name ${c.name ?? c.id} already exists in network ${network}`);
        c.networks.push(network);
        self.connected.push(`${network} ${container}`);
      },
      async listContainers() {
        return self.containers.map((c) => ({ id: c.id, labels: c.labels, status: c.status }));
      },
      async inspectContainer(id: string) {
        self.inspectedContainers.push(id);
        const c = self.containers.find((x) => x.id === id);
        if (!c) throw new Error(`No such container: ${id}`);
        return { id, pid: c.pid, labels: c.labels, running: c.status === 'running' } as unknown as ContainerInfo;
      },
    };
    return partial as unknown as ContainerRuntime;
  }
}

/** A NetworkAgent for node `n1` over the fake engine, with fake dataplane ports that record what they were asked. */
export function agentWith(engine: FakeEngine, o: { log?: (msg: string) => void; now?: () => number } = {}) {
  const overlays: Parameters<OverlayPort['converge']>[0][] = [];
  const lb = new Map<string, VipTable>();
  const dns = { table: null as DnsTable | null, bound: [] as string[], failListen: false };
  /** Namespace -> resolver its DNS is redirected to; every apply and remove, in order. */
  const redirects = { now: new Map<string, string>(), calls: [] as string[] };
  /** Every entry table the agent asked for (null: none), and each backend netns's reply routing. */
  const ingress = { tables: [] as Array<Parameters<IngressHostPort['sync']>[0]>, replies: new Map<string, Parameters<IngressReplyPort['sync']>[1]>() };
  const agent = new NetworkAgent({
    runtime: engine.runtime(),
    nodeId: 'n1',
    log: o.log ?? (() => undefined),
    ...(o.now ? { now: o.now } : {}),
    overlay: {
      converge: async (w) => {
        overlays.push(w);
        return { pending: [] };
      },
      teardown: async () => undefined,
    },
    lb: { sync: async (ns, t) => void lb.set(ns, t), forget: (ns) => void lb.delete(ns) },
    dns: {
      setTable: (t) => void (dns.table = t),
      listen: async (a) => {
        if (dns.failListen) throw new Error('address 10.10.0.1 is not on this host yet');
        dns.bound = a.map((x) => x.address);
      },
      close: async () => undefined,
    },
    dnsRedirect: {
      apply: async (ns, to) => {
        redirects.calls.push(`apply ${ns} ${to}`);
        redirects.now.set(ns, to);
      },
      remove: async (ns) => {
        redirects.calls.push(`remove ${ns}`);
        redirects.now.delete(ns);
      },
    },
    ingress: {
      sync: async (t) => void ingress.tables.push(t),
      remove: async () => void ingress.tables.push(null),
    },
    ingressReply: { sync: async (ns, w) => void ingress.replies.set(ns, w), forget: (ns) => void ingress.replies.delete(ns) },
    underlay: async () => ({ address: '10.199.0.11', mtu: 1500 }),
    deviceNames: (k) => ({ shim: `tsgw-${k}`, vxlan: `tsvx-${k}` }),
    macForIp: (ip) => `mac-${ip}`,
    flushFlows: async () => undefined,
  });
  return { agent, overlays, lb, dns, redirects, ingress };
}
