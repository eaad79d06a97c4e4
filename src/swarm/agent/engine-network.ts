import type { NetworkInfo, NetworkSpec } from '../../runtime/index.js';
import type { NodeNetwork } from '../api/network-state.js';

/**
 * The Docker network that carries a cluster overlay on one host: its name, its labels, and the
 * spec it is created with (a `macvlan` network on the overlay's VXLAN device, the overlay's
 * subnet and this node's own address; see specs/networking.md). Pure: the agent compares what the engine has with
 * {@link engineNetworkMatches} and creates what {@link engineNetworkSpec} says.
 */

/** Marks an engine network as ours, with the cluster network it carries. */
export const NETWORK_LABEL = 'com.tsswarm.network.id';
export const NETWORK_NAME_LABEL = 'com.tsswarm.network.name';

/** The Docker network that carries non-attachable cluster network `id` on every host (never a user's name). */
export function engineNetworkName(id: string): string {
  return `tss-${id.slice(0, 20)}`;
}

/**
 * The Docker network that carries `n` here: an attachable overlay's is named by the network's
 * own name, which is what `docker run --network NAME` looks up; any other keeps its `tss-` name,
 * so a standalone container asking for it by name is refused by the engine (no such network).
 */
export function engineNetworkNameOf(n: Pick<NodeNetwork, 'id' | 'name' | 'attachable'>): string {
  return n.attachable ? n.name : engineNetworkName(n.id);
}

/**
 * The `IPRange` of the engine network: on an attachable overlay, this node's attachment range
 * (the only addresses its engine hands out by itself); without one (none was free) the gateway
 * alone, which is taken, so the engine refuses standalone containers ("no available IPv4
 * addresses") instead of handing out an address a task may hold. Tasks always bring theirs.
 */
export function ipRangeOf(n: Pick<NodeNetwork, 'attachable' | 'attachRange' | 'gateway'>): string | undefined {
  if (!n.attachable) return undefined;
  return n.attachRange ?? `${n.gateway}/32`;
}

/**
 * What to create for `n` (which has its gateway) on the VXLAN device `parent`: a macvlan network,
 * internal to Docker (no default route through it: egress has its own network), the container
 * interfaces inheriting the device's MTU. The gateway is this node's address (on its shim);
 * Docker only keeps it from handing it out.
 */
export function engineNetworkSpec(n: NodeNetwork, parent: string): NetworkSpec {
  const ipRange = ipRangeOf(n);
  return {
    name: engineNetworkNameOf(n),
    driver: 'macvlan',
    labels: { [NETWORK_LABEL]: n.id, [NETWORK_NAME_LABEL]: n.name },
    internal: true,
    attachable: n.attachable,
    driverOpts: { parent, macvlan_mode: 'bridge' },
    ipam: { driver: 'default', config: [{ subnet: n.subnet, gateway: n.gateway!, ...(ipRange === undefined ? {} : { ipRange }) }] },
  };
}

/** Whether the engine's network `cur` is ours for `n` and is what {@link engineNetworkSpec} would make. */
export function engineNetworkMatches(cur: NetworkInfo, n: NodeNetwork, parent: string): boolean {
  const cfg = cur.ipam?.config[0];
  return (
    cur.labels[NETWORK_LABEL] === n.id &&
    cur.driver === 'macvlan' &&
    cur.options?.parent === parent &&
    cur.internal &&
    cfg?.subnet === n.subnet &&
    cfg.gateway === n.gateway &&
    cfg.ipRange === ipRangeOf(n) &&
    cur.attachable === n.attachable
  );
}
