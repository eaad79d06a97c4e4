import type { NodeNetworkState } from '../api/network-state.js';

/** One client container's VIP table (src/net/lb's model): each reachable VIP and its backends. */
export interface VipTable {
  vips: Array<{ vip: string; backends: string[] }>;
}

/**
 * The VIPs task `taskId` can reach: every `vip`-mode service on a network the task is on, with
 * that service's backends on that network. Sorted, so an unchanged state renders an unchanged
 * table and the programmer sends nothing. Pure.
 */
export function vipTableFor(state: NodeNetworkState, taskId: string): VipTable {
  return vipTableOn(state, new Set(state.endpoints.filter((e) => e.taskId === taskId).map((e) => e.networkId)));
}

/**
 * The VIPs a client on the networks `mine` can reach (a standalone container: the attachable
 * overlays it is on here, known before its node's report reached the state). Pure.
 */
export function vipTableOn(state: NodeNetworkState, mine: ReadonlySet<string>): VipTable {
  const vips: VipTable['vips'] = [];
  for (const s of state.services) {
    if (s.mode !== 'vip') continue;
    for (const v of s.vips) {
      if (!mine.has(v.networkId)) continue;
      const backends = state.endpoints
        .filter((e) => e.serviceId === s.id && e.networkId === v.networkId && e.backend)
        .map((e) => e.address)
        .sort();
      vips.push({ vip: v.address, backends });
    }
  }
  vips.sort((a, b) => (a.vip < b.vip ? -1 : a.vip > b.vip ? 1 : 0));
  return { vips };
}
