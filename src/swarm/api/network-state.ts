import { z } from 'zod';
import { MAX_NODE_ATTACHMENTS, nodeAttachmentSchema } from '../store/index.js';

/**
 * The wire contract of `POST /v1/dispatcher/network-state`: what a node programs for east-west
 * networking (overlay devices, DNS, virtual IPs), derived by the managers from the store
 * (src/swarm/manager/network-state.ts) and acted on by the agent (src/swarm/agent/network-agent.ts);
 * and what the node tells the leader with the request (what it programmed, its standalone
 * containers).
 */

/**
 * The request body: the store index the node last programmed fully, and the standalone
 * containers on its attachable overlays (absent: the agent has not looked yet, keep what is
 * stored). A container or an address listed twice on one network is refused.
 */
export const networkStateRequestSchema = z
  .strictObject({
    programmed: z.int().nonnegative().optional(),
    attachments: z.array(nodeAttachmentSchema).max(MAX_NODE_ATTACHMENTS).optional(),
  })
  .superRefine((b, ctx) => {
    const seen = new Set<string>();
    (b.attachments ?? []).forEach((a, i) => {
      for (const key of [`c ${a.networkId} ${a.containerId}`, `a ${a.networkId} ${a.address}`]) {
        if (seen.has(key)) ctx.addIssue({ code: 'custom', path: ['attachments', i], message: `${key.startsWith('c') ? `container ${a.containerId}` : `address ${a.address}`} is listed twice on network ${a.networkId}` });
        seen.add(key);
      }
    });
  });
export type NetworkStateRequest = z.infer<typeof networkStateRequestSchema>;

/** An overlay this node has tasks on. */
export interface NodeNetwork {
  id: string;
  name: string;
  vni: number;
  subnet: string;
  /** This node's own address on the overlay (its bridge); null until the allocator gave one. */
  gateway: string | null;
  internal: boolean;
  /**
   * Standalone containers may join it: its engine network is named by `name` (else
   * `tss-<id20>`) and this node's engine hands out `attachRange` to them.
   */
  attachable: boolean;
  /** This node's attachment range (CIDR) on an attachable overlay; null otherwise or when none was free. */
  attachRange: string | null;
  /** Null: derived from the underlay interface. */
  mtu: number | null;
  /** Underlay addresses of the other nodes on this overlay. */
  peers: string[];
}

/** One address on an overlay this node has: a task's, or a standalone container's (attachable overlays). */
export interface NetworkEndpoint {
  networkId: string;
  kind: 'task' | 'container';
  /** The task's id; a standalone container's engine id. */
  taskId: string;
  /** What DNS answers for it: the task's name (`svc.slot.id`); a standalone container's name. */
  taskName: string;
  /** Null for a standalone container. */
  serviceId: string | null;
  /** Bare IPv4 address. */
  address: string;
  nodeId: string;
  /** Underlay address of the node running it. */
  vtep: string;
  /** Running, healthy (if it has a healthcheck) and still wanted: receives VIP traffic and DNS answers. Never a standalone container. */
  backend: boolean;
}

export interface NetworkService {
  id: string;
  name: string;
  mode: 'vip' | 'dnsrr';
  networks: Array<{ networkId: string; aliases: string[] }>;
  vips: Array<{ networkId: string; address: string }>;
}

/**
 * One published port of the ingress routing mesh (specs/networking.md, "Ingress"): every node
 * answers it on all its addresses and DNATs new connections to one of `backends`.
 */
export interface IngressPort {
  protocol: 'tcp' | 'udp' | 'sctp';
  published: number;
  target: number;
  /**
   * Masquerade at the entry node (the per-port opt-out of client-address preservation): the
   * backend sees the entry node's ingress address and replies need no policy routing.
   */
  snat: boolean;
  serviceId: string;
  serviceName: string;
  /** Ingress-overlay addresses of the service's backends (running, healthy, wanted) on every node, sorted. */
  backends: string[];
}

/** The routing mesh as one node programs it; the ingress overlay itself is also in `networks`. */
export interface IngressState {
  networkId: string;
  /**
   * Every node's own address on the ingress overlay (its shim, whose MAC is derived from it): a
   * backend's reply is routed back through the node its connection came in by.
   */
  gateways: Array<{ nodeId: string; address: string; /** The node's underlay address (its shim's frames come from there). */ vtep: string }>;
  /** Sorted by protocol, then published port. */
  ports: IngressPort[];
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
  /** Null while no service publishes a port in ingress mode (then no node has the ingress overlay). */
  ingress: IngressState | null;
}
