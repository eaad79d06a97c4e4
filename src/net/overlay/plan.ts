/**
 * The planner: a pure function of (wanted, observed) to the ordered commands that make the kernel
 * hold exactly the wanted overlays. Level-triggered: it trusts only the observation, so a restarted
 * agent re-plans from whatever is there, and a host that already matches gets no commands at all
 * (nothing that is right is ever flapped).
 *
 * Order matters and is fixed:
 *  1. the firewall (before any VXLAN socket might open, and so it is never missing while we work);
 *  2. deletions of devices: our VXLAN devices that no wanted network accounts for, and wanted ones
 *     whose VNI, port, local address or learning differ (the kernel cannot change those in place;
 *     deleting one also deletes every macvlan on it, containers' included), then our shims that no
 *     wanted network accounts for or that are not a bridge-mode macvlan of their VXLAN device.
 *     All deletions come before creations, so a VNI can move between devices in one pass;
 *  3. per network, sorted by key: the VXLAN device (create or fix mtu/up), the shim (create, fix
 *     mtu, address, up), then fdb entries, then the shim's neighbour entries; within each,
 *     additions before removals, so an endpoint that moves never becomes unreachable in between.
 * A network whose VNI is held by a device that is not ours is left pending, not failed: the others
 * are still programmed and the next pass retries.
 */
import { macForIp } from './addressing.js';
import { isOurShim, isOurVxlan } from './names.js';
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
} from './types.js';

const ZERO_MAC = '00:00:00:00:00:00';

/** Devices whose fdb / neighbour tables an observation must read for {@link plan} to see them. */
export function devicesToRead(links: readonly ObservedLink[]): { vxlans: string[]; shims: string[] } {
  const vx = new Set<string>();
  const sh = new Set<string>();
  for (const l of links) {
    if (isOurVxlan(l.name) && l.kind === 'vxlan') vx.add(l.name);
    if (isOurShim(l.name) && l.kind === 'macvlan') sh.add(l.name);
  }
  return { vxlans: [...vx].sort(), shims: [...sh].sort() };
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

/** Whether an existing shim can be kept: a bridge-mode macvlan of the wanted VXLAN device. */
function shimFits(l: ObservedLink, o: OverlayWanted): boolean {
  return l.kind === 'macvlan' && l.parent === o.vxlan && l.macvlanMode === 'bridge';
}

function linkDel(name: string): OverlayCommand {
  return { argv: ['ip', 'link', 'del', 'dev', name], subject: name };
}

function neighDel(shim: string, ip: string): OverlayCommand {
  return { argv: ['ip', 'neigh', 'del', ip, 'dev', shim], subject: shim };
}

function planVxlan(o: OverlayWanted, have: ObservedLink | undefined): OverlayCommand[] {
  if (have === undefined) {
    return [
      {
        argv: ['ip', 'link', 'add', o.vxlan, 'mtu', String(o.mtu), 'up', 'type', 'vxlan', 'id', String(o.vni), 'dstport', String(o.port), 'local', o.local, 'nolearning'],
        subject: o.vxlan,
      },
    ];
  }
  const set: string[] = [];
  if (have.mtu !== o.mtu) set.push('mtu', String(o.mtu));
  // Enslaved by the bridge layout of earlier versions: macvlans need it free.
  if (have.master !== undefined) set.push('nomaster');
  if (!have.up) set.push('up');
  return set.length === 0 ? [] : [{ argv: ['ip', 'link', 'set', 'dev', o.vxlan, ...set], subject: o.vxlan }];
}

/** The shim: created down, given exactly its address, then brought up (DNS binds to that address). */
function planShim(o: OverlayWanted, have: ObservedLink | undefined): OverlayCommand[] {
  const out: OverlayCommand[] = [];
  const mac = macForIp(o.address.split('/')[0]!);
  if (have === undefined) out.push({ argv: ['ip', 'link', 'add', o.shim, 'link', o.vxlan, 'address', mac, 'mtu', String(o.mtu), 'type', 'macvlan', 'mode', 'bridge'], subject: o.shim });
  else {
    const set = [...(have.mtu !== o.mtu ? ['mtu', String(o.mtu)] : []), ...(have.mac !== undefined && have.mac !== mac ? ['address', mac] : [])];
    if (set.length > 0) out.push({ argv: ['ip', 'link', 'set', 'dev', o.shim, ...set], subject: o.shim });
  }
  const addrs = have?.addresses ?? [];
  if (!addrs.includes(o.address)) out.push({ argv: ['ip', 'addr', 'replace', o.address, 'dev', o.shim], subject: o.shim });
  for (const a of addrs) if (a !== o.address) out.push({ argv: ['ip', 'addr', 'del', a, 'dev', o.shim], subject: o.shim });
  if (have?.up !== true) out.push({ argv: ['ip', 'link', 'set', 'dev', o.shim, 'up'], subject: o.shim });
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
 * Permanent neighbours on the shim are ours (the kernel never makes an entry permanent by itself):
 * the host reaches a remote endpoint without an ARP broadcast over the tunnel. Dynamic ones
 * (learned by ARP) are left to age.
 */
function planNeighbours(o: OverlayWanted, have: readonly ObservedNeighbour[]): OverlayCommand[] {
  const byIp = new Map(have.map((n) => [n.ip, n]));
  const out: OverlayCommand[] = [];
  for (const r of o.remotes) {
    const n = byIp.get(r.ip);
    if (n === undefined || !n.permanent || n.mac !== r.mac) out.push({ argv: ['ip', 'neigh', 'replace', r.ip, 'lladdr', r.mac, 'dev', o.shim, 'nud', 'permanent'], subject: o.shim });
  }
  const wanted = new Set(o.remotes.map((r) => r.ip));
  for (const n of have) if (n.permanent && !wanted.has(n.ip)) out.push(neighDel(o.shim, n.ip));
  return out;
}

/** The commands (and pending networks) that converge `observed` to `wanted`. Throws OverlayWantedError on bad input. */
export function plan(wantedIn: OverlayHostWanted, observed: OverlayObserved): OverlayPlan {
  const wanted = validateWanted(wantedIn);
  const links = new Map(observed.links.map((l) => [l.name, l]));
  const byVxlan = new Map(wanted.overlays.map((o) => [o.vxlan, o]));
  const byShim = new Map(wanted.overlays.map((o) => [o.shim, o]));
  const ports = [...new Set([wanted.port, ...wanted.overlays.map((o) => o.port)])].sort((a, b) => a - b);

  const commands: OverlayCommand[] = [...planFirewall(wanted.allowedVteps, ports, observed.firewall)];
  const pending: OverlayPending[] = [];

  // 2. Deletions. A device deleted here is planned below as absent; a VXLAN device takes its
  // macvlans with it.
  const gone = new Set<string>();
  for (const l of observed.links) {
    if (!isOurVxlan(l.name)) continue;
    const o = byVxlan.get(l.name);
    if (o === undefined || mismatch(l, o) !== undefined) {
      commands.push(linkDel(l.name));
      gone.add(l.name);
    }
  }
  for (const l of observed.links) {
    if (!isOurShim(l.name)) continue;
    if (l.parent !== undefined && gone.has(l.parent)) {
      gone.add(l.name);
      continue;
    }
    const o = byShim.get(l.name);
    if (o === undefined || !shimFits(l, o)) {
      commands.push(linkDel(l.name));
      gone.add(l.name);
    }
  }

  // 3. Per network.
  for (const o of wanted.overlays) {
    const have = gone.has(o.vxlan) ? undefined : links.get(o.vxlan);
    // A device that is not ours holding the VNI on this port (whatever its local address) makes
    // the kernel refuse ours: say so instead of failing the pass on "VNI already exists".
    const squatter = observed.links.find((l) => l.name !== o.vxlan && !gone.has(l.name) && l.vxlan !== undefined && l.vxlan.vni === o.vni && l.vxlan.port === o.port);
    if (have === undefined && squatter !== undefined) {
      pending.push({ key: o.key, reason: `vni ${o.vni} on port ${o.port} is held by ${squatter.name}, which is not ours` });
      continue;
    }
    const shim = gone.has(o.shim) ? undefined : links.get(o.shim);
    commands.push(...planVxlan(o, have));
    commands.push(...planShim(o, shim));
    commands.push(...planFdb(o, have === undefined ? [] : (observed.fdb[o.vxlan] ?? [])));
    commands.push(...planNeighbours(o, shim === undefined ? [] : (observed.neighbours[o.shim] ?? [])));
  }
  return { commands, pending };
}

/** Everything teardown removes: the firewall and our devices (fdb and neighbours go with them). */
export function planTeardown(observed: OverlayObserved): OverlayCommand[] {
  const out: OverlayCommand[] = observed.firewall === undefined ? [] : [firewallTeardown()];
  const vxlans = new Set(observed.links.filter((l) => isOurVxlan(l.name)).map((l) => l.name));
  for (const l of observed.links) if (isOurShim(l.name) && (l.parent === undefined || !vxlans.has(l.parent))) out.push(linkDel(l.name));
  for (const name of vxlans) out.push(linkDel(name));
  return out;
}
