/**
 * The data the overlay dataplane works on: what the agent wants programmed on this host, and what
 * the kernel was seen to hold. Plain data, no behaviour, so the planner can be a pure function of
 * (wanted, observed) and tests can write both sides by hand.
 */

/** A container on another host that this host must reach over one overlay. */
export interface OverlayRemote {
  /** The container's overlay address (IPv4). */
  readonly ip: string;
  /** Its MAC on the overlay (Docker derives it from the IP: {@link macForIp}). */
  readonly mac: string;
  /** Underlay address of the host it runs on (that host's VTEP). */
  readonly vtep: string;
}

/** One overlay network as this host should program it. */
export interface OverlayWanted {
  /** Stable identity of the network (the cluster's network id); names the devices. */
  readonly key: string;
  /**
   * Our macvlan (bridge mode) on {@link vxlan}: this host's own interface on the overlay, holding
   * {@link address}. Containers get macvlans of the same VXLAN device from Docker's macvlan
   * driver, so frames between them and the tunnel never cross a Linux bridge (see
   * specs/networking.md, "Why macvlan").
   */
  readonly shim: string;
  /** Our VXLAN device: the parent of the shim and of every container's interface on the overlay. */
  readonly vxlan: string;
  /**
   * This host's address on the overlay with its prefix length (`10.0.1.2/24`): the tasks' DNS
   * server. The shim's MAC is derived from it ({@link macForIp}), so every node knows every other
   * node's shim MAC: the ingress mesh routes a reply back by the MAC its request came from.
   */
  readonly address: string;
  /** VXLAN network identifier, 1..16777215, one per network cluster-wide. */
  readonly vni: number;
  /** UDP destination port of the VXLAN device. */
  readonly port: number;
  /** MTU of the VXLAN device (underlay MTU minus 50: {@link overlayMtu}). */
  readonly mtu: number;
  /** This host's underlay address: the VXLAN source. */
  readonly local: string;
  /** Underlay addresses of the other hosts that have this network: one flood entry each. */
  readonly peers: readonly string[];
  /** Endpoints on other hosts: one unicast fdb entry and one permanent neighbour each. */
  readonly remotes: readonly OverlayRemote[];
}

/** Everything the overlay dataplane of one host should hold. */
export interface OverlayHostWanted {
  readonly overlays: readonly OverlayWanted[];
  /** Underlay addresses allowed to send VXLAN to this host (every cluster node's). */
  readonly allowedVteps: readonly string[];
  /**
   * The cluster's VXLAN port. It is filtered even while no overlay uses it, so that the first
   * overlay is never briefly open to the world; ports of individual overlays are filtered too.
   */
  readonly port: number;
}

/** VXLAN parameters of a link, as the kernel reports them. */
export interface ObservedVxlan {
  readonly vni: number;
  readonly port: number;
  readonly local: string | undefined;
  readonly learning: boolean;
}

/** One network device. */
export interface ObservedLink {
  readonly name: string;
  /** `linkinfo.info_kind`: `vxlan`, `bridge`, `veth`, ... (undefined for plain devices). */
  readonly kind: string | undefined;
  readonly mtu: number;
  /** The link's hardware address (lower case), when the kernel reports one. */
  readonly mac?: string | undefined;
  /** Administratively up (the UP flag; a VXLAN device's operstate stays UNKNOWN). */
  readonly up: boolean;
  /** Bridge it is enslaved to. */
  readonly master: string | undefined;
  /** The lower device of a macvlan (iproute2's `link`), when it is in the same namespace. */
  readonly parent?: string | undefined;
  /** A macvlan's mode (`bridge`, `private`, ...). */
  readonly macvlanMode?: string | undefined;
  /** IPv4 addresses with prefix length (`10.0.1.2/24`), when read with addresses. */
  readonly addresses?: readonly string[];
  readonly vxlan: ObservedVxlan | undefined;
}

/** A forwarding entry of a VXLAN device (`self` entries with a remote). */
export interface ObservedFdbEntry {
  readonly mac: string;
  readonly dst: string;
}

/** A neighbour entry on a shim. */
export interface ObservedNeighbour {
  readonly ip: string;
  readonly mac: string | undefined;
  readonly permanent: boolean;
}

/** Our nftables table, as listed. */
export interface ObservedFirewall {
  /** Chain, hook, priority, policy and both rules are exactly ours (else the table is rebuilt). */
  readonly intact: boolean;
  readonly vteps: readonly string[];
  readonly ports: readonly number[];
  /** Packets the drop rule's counter has seen (for tests and metrics). */
  readonly dropped: number;
}

/** What one observation of the host kernel found. */
export interface OverlayObserved {
  readonly links: readonly ObservedLink[];
  /** fdb entries per VXLAN device name (only devices that were read). */
  readonly fdb: Readonly<Record<string, readonly ObservedFdbEntry[]>>;
  /** Neighbour entries per shim name (only shims that were read). */
  readonly neighbours: Readonly<Record<string, readonly ObservedNeighbour[]>>;
  /** Undefined when the table does not exist. */
  readonly firewall: ObservedFirewall | undefined;
}

/** One step of a plan: one program invocation, no shell. */
export interface OverlayCommand {
  readonly argv: readonly string[];
  /** Fed to stdin (nft transactions). */
  readonly input?: string;
  /** The device or table it acts on, for error messages. */
  readonly subject: string;
}

/** An overlay the planner could not program yet, and why (the next pass retries). */
export interface OverlayPending {
  readonly key: string;
  readonly reason: string;
}

/** The planner's answer: commands in order, and overlays it had to leave for later. */
export interface OverlayPlan {
  readonly commands: readonly OverlayCommand[];
  readonly pending: readonly OverlayPending[];
}
