/**
 * The wire contract of `POST /v1/dispatcher/network-state`: what a node programs for east-west
 * networking (overlay devices, DNS, virtual IPs), derived by the managers from the store
 * (src/swarm/manager/network-state.ts) and acted on by the agent (src/swarm/agent/network-agent.ts).
 */

/** An overlay this node has tasks on. */
export interface NodeNetwork {
  id: string;
  name: string;
  vni: number;
  subnet: string;
  /** This node's own address on the overlay (its bridge); null until the allocator gave one. */
  gateway: string | null;
  internal: boolean;
  /** Null: derived from the underlay interface. */
  mtu: number | null;
  /** Underlay addresses of the other nodes on this overlay. */
  peers: string[];
}

/** One task address on an overlay this node has. */
export interface NetworkEndpoint {
  networkId: string;
  taskId: string;
  taskName: string;
  serviceId: string;
  /** Bare IPv4 address. */
  address: string;
  nodeId: string;
  /** Underlay address of the node running it. */
  vtep: string;
  /** Running, healthy (if it has a healthcheck) and still wanted: receives VIP traffic and DNS answers. */
  backend: boolean;
}

export interface NetworkService {
  id: string;
  name: string;
  mode: 'vip' | 'dnsrr';
  networks: Array<{ networkId: string; aliases: string[] }>;
  vips: Array<{ networkId: string; address: string }>;
}

export interface NodeNetworkState {
  /** Store index the state is as of; the agent acknowledges it once programmed. */
  index: number;
  /** The index every live node has programmed: stops of tasks written at or before it may proceed. */
  settled: number;
  vxlanPort: number;
  /** Underlay addresses of every node not down: the only sources accepted on the VXLAN port. */
  nodeAddrs: string[];
  networks: NodeNetwork[];
  endpoints: NetworkEndpoint[];
  services: NetworkService[];
}
