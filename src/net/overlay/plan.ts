/**
 * The planner: a pure function of (wanted, observed) to the ordered commands that make the kernel
 * hold exactly the wanted overlays. Level-triggered: it trusts only the observation, so a restarted
 * agent re-plans from whatever is there, and a host that already matches gets no commands at all
 * (nothing that is right is ever flapped).
 *
 * Order matters and is fixed:
 *  1. the firewall (before any VXLAN socket might open, and so it is never missing while we work);
 *  2. deletions of devices: our VXLAN devices that no wanted network accounts for, and wanted ones
 *     whose VNI, port, local address or learning differ (the kernel cannot change those in place).
 *     All deletions come before creations, so a VNI can move between devices in one pass;
 *  3. per network, sorted by key: the VXLAN device (create or fix mtu/master/up), then fdb entries,
 *     then the bridge's neighbour entries; within each, additions before removals, so an endpoint
 *     that moves never becomes unreachable in between.
 * A network whose bridge does not exist yet (Docker has not created it) is left pending, not
 * failed: the others are still programmed and the next pass retries.
 */
import { isOurBridge, isOurVxlan } from './names.js';
import { firewallTeardown, planFirewall } from './firewall.js';
import { cmpIp, validateWanted } from './validate.js';
import type {
  ObservedFdbEntry,
  ObservedLink,
  ObservedNeighbour,
  OverlayCommand,
  OverlayHostWanted,
  OverlayObserved,
  OverlayPending,
  OverlayPlan,
  OverlayWanted,
  ObservedBridgeEntry,
} from './types.js';

const ZERO_MAC = '00:00:00:00:00:00';

/** Devices whose fdb / neighbour tables an observation must read for {@link plan} to see them. */
export function devicesToRead(links: readonly ObservedLink[], wanted: OverlayHostWanted | undefined): { vxlans: string[]; bridges: string[] } {
  const names = new Set(links.map((l) => l.name));
  const vx = new Set<string>();
  const br = new Set<string>();
  for (const l of links) {
    if (isOurVxlan(l.name) && l.kind === 'vxlan') vx.add(l.name);
    if (isOurBridge(l.name) && l.kind === 'bridge') br.add(l.name);
  }
  for (const o of wanted?.overlays ?? []) {
    if (names.has(o.vxlan)) vx.add(o.vxlan);
    if (names.has(o.bridge)) br.add(o.bridge);
  }
  return { vxlans: [...vx].sort(), bridges: [...br].sort() };
}

/** Why an existing device cannot be kept as the wanted VXLAN device (undefined: it can). */
function mismatch(l: ObservedLink, o: OverlayWanted): string | undefined {
  if (l.kind !== 'vxlan' || l.vxlan === undefined) return `is a ${l.kind ?? 'plain'} device`;
  const v = l.vxlan;
  if (v.vni !== o.vni) return `vni ${v.vni} != ${o.vni}`;
  if (v.port !== o.port) return `port ${v.port} != ${o.port}`;
  if (v.local !== o.local) return `local ${v.local ?? 'none'} != ${o.local}`;
  // A learning device would fill its fdb from traffic, beyond what the cluster says.
  if (v.learning) return 'learning is on';
  return undefined;
}

function linkDel(name: string): OverlayCommand {
  return { argv: ['ip', 'link', 'del', 'dev', name], subject: name };
}

function neighDel(bridge: string, ip: string): OverlayCommand {
  return { argv: ['ip', 'neigh', 'del', ip, 'dev', bridge], subject: bridge };
}

/**
 * The bridge must not learn addresses on the VXLAN port. Addresses are handed out lowest-free
 * first and MACs follow addresses, so a new task often gets a gone task's address and MAC on
 * another host; an entry the bridge learned from the old holder's frames (aged 300 s) would send
 * the new holder's traffic into the tunnel, or drop it there. Remote MACs get static entries
 * instead (planBridgeFdb), so frames to them are not flooded to local containers either.
 */
function noLearning(o: OverlayWanted): OverlayCommand {
  return { argv: ['bridge', 'link', 'set', 'dev', o.vxlan, 'learning', 'off'], subject: o.vxlan };
}

function planDevice(o: OverlayWanted, have: ObservedLink | undefined): OverlayCommand[] {
  if (have === undefined) {
    return [
      {
        argv: ['ip', 'link', 'add', o.vxlan, 'mtu', String(o.mtu), 'master', o.bridge, 'up', 'type', 'vxlan', 'id', String(o.vni), 'dstport', String(o.port), 'local', o.local, 'nolearning'],
        subject: o.vxlan,
      },
      noLearning(o),
    ];
  }
  const set: string[] = [];
  if (have.mtu !== o.mtu) set.push('mtu', String(o.mtu));
  if (have.master !== o.bridge) set.push('master', o.bridge);
  if (!have.up) set.push('up');
  const out: OverlayCommand[] = set.length === 0 ? [] : [{ argv: ['ip', 'link', 'set', 'dev', o.vxlan, ...set], subject: o.vxlan }];
  // A port newly enslaved learns again: turn it off after (re)attaching.
  if (have.portLearning !== false || have.master !== o.bridge) out.push(noLearning(o));
  return out;
}

/** The bridge's entries on the VXLAN port: exactly the remote endpoints' MACs, static. */
function planBridgeFdb(o: OverlayWanted, have: readonly ObservedBridgeEntry[]): OverlayCommand[] {
  const dev = o.vxlan;
  const byMac = new Map(have.map((e) => [e.mac, e]));
  const wanted = new Set(o.remotes.map((r) => r.mac));
  const out: OverlayCommand[] = [];
  for (const mac of [...wanted].sort()) {
    if (byMac.get(mac)?.static !== true) out.push({ argv: ['bridge', 'fdb', 'replace', mac, 'dev', dev, 'master', 'static'], subject: dev });
  }
  for (const e of have) if (!wanted.has(e.mac)) out.push({ argv: ['bridge', 'fdb', 'del', e.mac, 'dev', dev, 'master'], subject: dev });
  return out;
}

function planFdb(o: OverlayWanted, have: readonly ObservedFdbEntry[]): OverlayCommand[] {
  const dev = o.vxlan;
  const fdb = (verb: string, mac: string, dst?: string): OverlayCommand => ({
    argv: ['bridge', 'fdb', verb, mac, 'dev', dev, ...(dst === undefined ? [] : ['dst', dst]), ...(verb === 'del' ? [] : ['self', 'permanent'])],
    subject: dev,
  });
  const adds: OverlayCommand[] = [];
  const dels: OverlayCommand[] = [];
  // Flood entries: the all-zero MAC may have many remotes (head-end replication to every peer).
  const flood = new Set(have.filter((e) => e.mac === ZERO_MAC).map((e) => e.dst));
  for (const p of o.peers) if (!flood.has(p)) adds.push(fdb('append', ZERO_MAC, p));
  for (const d of [...flood].sort(cmpIp)) if (!o.peers.includes(d)) dels.push(fdb('del', ZERO_MAC, d));
  // Unicast entries: the kernel keeps one remote per unicast MAC, so `replace` moves it atomically.
  const unicast = new Map<string, string[]>();
  for (const e of have) if (e.mac !== ZERO_MAC) unicast.set(e.mac, [...(unicast.get(e.mac) ?? []), e.dst]);
  for (const r of o.remotes) {
    const dsts = unicast.get(r.mac) ?? [];
    if (dsts.length !== 1 || dsts[0] !== r.vtep) adds.push(fdb('replace', r.mac, r.vtep));
  }
  const wantedMacs = new Set(o.remotes.map((r) => r.mac));
  for (const mac of [...unicast.keys()].sort()) if (!wantedMacs.has(mac)) dels.push(fdb('del', mac));
  return [...adds, ...dels];
}

/**
 * Permanent neighbours on the bridge are ours: Docker's bridge driver creates none, and the kernel
 * never makes an entry permanent by itself. Dynamic ones (learned by ARP) are left to age.
 */
function planNeighbours(o: OverlayWanted, have: readonly ObservedNeighbour[]): OverlayCommand[] {
  const byIp = new Map(have.map((n) => [n.ip, n]));
  const out: OverlayCommand[] = [];
  for (const r of o.remotes) {
    const n = byIp.get(r.ip);
    if (n === undefined || !n.permanent || n.mac !== r.mac) out.push({ argv: ['ip', 'neigh', 'replace', r.ip, 'lladdr', r.mac, 'dev', o.bridge, 'nud', 'permanent'], subject: o.bridge });
  }
  const wanted = new Set(o.remotes.map((r) => r.ip));
  for (const n of have) if (n.permanent && !wanted.has(n.ip)) out.push(neighDel(o.bridge, n.ip));
  return out;
}

/** The commands (and pending networks) that converge `observed` to `wanted`. Throws OverlayWantedError on bad input. */
export function plan(wantedIn: OverlayHostWanted, observed: OverlayObserved): OverlayPlan {
  const wanted = validateWanted(wantedIn);
  const links = new Map(observed.links.map((l) => [l.name, l]));
  const wantedVx = new Set(wanted.overlays.map((o) => o.vxlan));
  const wantedBr = new Set(wanted.overlays.map((o) => o.bridge));
  const ports = [...new Set([wanted.port, ...wanted.overlays.map((o) => o.port)])].sort((a, b) => a - b);

  const commands: OverlayCommand[] = [...planFirewall(wanted.allowedVteps, ports, observed.firewall)];
  const pending: OverlayPending[] = [];

  // 2. Deletions. A device deleted here is planned below as absent.
  const gone = new Set<string>();
  for (const l of observed.links) {
    if (isOurVxlan(l.name) && !wantedVx.has(l.name)) {
      commands.push(linkDel(l.name));
      gone.add(l.name);
    }
  }
  for (const o of wanted.overlays) {
    const l = links.get(o.vxlan);
    if (l !== undefined && mismatch(l, o) !== undefined) {
      commands.push(linkDel(o.vxlan));
      gone.add(o.vxlan);
    }
  }
  // Our entries on one of our bridges whose network this host no longer has (Docker keeps a
  // bridge it did not create; leave nothing of ours on it).
  for (const br of Object.keys(observed.neighbours).sort()) {
    if (wantedBr.has(br) || !isOurBridge(br)) continue;
    for (const n of observed.neighbours[br] ?? []) if (n.permanent) commands.push(neighDel(br, n.ip));
  }

  // 3. Per network.
  for (const o of wanted.overlays) {
    const bridge = links.get(o.bridge);
    if (bridge === undefined || bridge.kind !== 'bridge') {
      pending.push({ key: o.key, reason: bridge === undefined ? `bridge ${o.bridge} does not exist yet (is the Docker network created?)` : `${o.bridge} is a ${bridge.kind ?? 'plain'} device, not a bridge` });
      continue;
    }
    const have = gone.has(o.vxlan) ? undefined : links.get(o.vxlan);
    // A device that is not ours holding the VNI on this port (whatever its local address) makes
    // the kernel refuse ours: say so instead of failing the pass on "VNI already exists".
    const squatter = observed.links.find((l) => l.name !== o.vxlan && !gone.has(l.name) && l.vxlan !== undefined && l.vxlan.vni === o.vni && l.vxlan.port === o.port);
    if (have === undefined && squatter !== undefined) {
      pending.push({ key: o.key, reason: `vni ${o.vni} on port ${o.port} is held by ${squatter.name}, which is not ours` });
      continue;
    }
    commands.push(...planDevice(o, have));
    commands.push(...planFdb(o, have === undefined ? [] : (observed.fdb[o.vxlan] ?? [])));
    commands.push(...planBridgeFdb(o, have === undefined ? [] : (observed.bridgeFdb?.[o.vxlan] ?? [])));
    commands.push(...planNeighbours(o, observed.neighbours[o.bridge] ?? []));
  }
  return { commands, pending };
}

/** Everything teardown removes: the firewall, our VXLAN devices (their fdb goes with them), our permanent neighbours on our bridges. */
export function planTeardown(observed: OverlayObserved): OverlayCommand[] {
  const out: OverlayCommand[] = observed.firewall === undefined ? [] : [firewallTeardown()];
  for (const l of observed.links) if (isOurVxlan(l.name)) out.push(linkDel(l.name));
  for (const br of Object.keys(observed.neighbours).sort()) {
    if (!isOurBridge(br)) continue;
    for (const n of observed.neighbours[br] ?? []) if (n.permanent) out.push(neighDel(br, n.ip));
  }
  return out;
}
