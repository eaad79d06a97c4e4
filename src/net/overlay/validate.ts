/**
 * Checks and normalises the wanted state before anything is planned: a mistake in it (an IPv6
 * VTEP, two networks on one VNI, a remote endpoint "on" this host) fails the whole pass before a
 * command runs, with the network and field named. Normal form (canonical addresses, sorted peers
 * and remotes) also makes plans deterministic.
 */
import { normalizeIpv4, normalizeMac } from './addressing.js';
import { OverlayWantedError } from './errors.js';
import { MAX_IFNAME, SHIM_PREFIX, VXLAN_PREFIX } from './names.js';
import type { OverlayHostWanted, OverlayRemote, OverlayWanted } from './types.js';

const IFNAME_RE = /^[A-Za-z0-9_.-]+$/;
const MAX_VNI = 2 ** 24 - 1;

function ipv4(path: string, v: string): string {
  const ip = normalizeIpv4(v);
  // IPv6 underlays would need `local6`/an ip6 set; nothing here produces them yet.
  if (ip === undefined) throw new OverlayWantedError(path, `${JSON.stringify(v)} is not an IPv4 address`);
  return ip;
}

/** `a.b.c.d/len`, normalised. */
function hostAddress(path: string, v: string): string {
  const [ip, len, ...rest] = v.split('/');
  const n = Number(len);
  if (rest.length > 0 || len === undefined || !/^\d{1,2}$/.test(len) || n < 1 || n > 32) throw new OverlayWantedError(path, `${JSON.stringify(v)} is not an IPv4 address with a prefix length (a.b.c.d/len)`);
  return `${ipv4(path, ip ?? '')}/${n}`;
}

function int(path: string, v: number, lo: number, hi: number): number {
  if (!Number.isInteger(v) || v < lo || v > hi) throw new OverlayWantedError(path, `${v} is not an integer in ${lo}..${hi}`);
  return v;
}

function ifname(path: string, v: string): string {
  if (v.length === 0 || v.length > MAX_IFNAME || !IFNAME_RE.test(v)) throw new OverlayWantedError(path, `${JSON.stringify(v)} is not a device name (1..${MAX_IFNAME} of [A-Za-z0-9_.-])`);
  return v;
}

function overlay(o: OverlayWanted): OverlayWanted {
  const at = `overlays[${o.key}]`;
  if (o.key.length === 0) throw new OverlayWantedError('overlays[]', 'empty key');
  const vxlan = ifname(`${at}.vxlan`, o.vxlan);
  // Stale devices are found by prefix; a device without it would be invisible to that sweep.
  if (!vxlan.startsWith(VXLAN_PREFIX)) throw new OverlayWantedError(`${at}.vxlan`, `${JSON.stringify(vxlan)} must start with ${VXLAN_PREFIX} (use overlayDeviceNames)`);
  const shim = ifname(`${at}.shim`, o.shim);
  if (!shim.startsWith(SHIM_PREFIX)) throw new OverlayWantedError(`${at}.shim`, `${JSON.stringify(shim)} must start with ${SHIM_PREFIX} (use overlayDeviceNames)`);
  const address = hostAddress(`${at}.address`, o.address);
  const local = ipv4(`${at}.local`, o.local);
  const peers = [...new Set(o.peers.map((p, i) => ipv4(`${at}.peers[${i}]`, p)))].sort(cmpIp);
  if (peers.includes(local)) throw new OverlayWantedError(`${at}.peers`, `lists this host's own address ${local}`);
  const byIp = new Map<string, OverlayRemote>();
  const ipOfMac = new Map<string, string>();
  o.remotes.forEach((r, i) => {
    const rat = `${at}.remotes[${i}]`;
    const ip = ipv4(`${rat}.ip`, r.ip);
    const mac = normalizeMac(r.mac);
    if (mac === undefined || mac === '00:00:00:00:00:00') throw new OverlayWantedError(`${rat}.mac`, `${JSON.stringify(r.mac)} is not a unicast MAC`);
    const vtep = ipv4(`${rat}.vtep`, r.vtep);
    if (vtep === local) throw new OverlayWantedError(`${rat}.vtep`, `${ip} is on this host (${local}); only endpoints on other hosts are remotes`);
    const seen = byIp.get(ip);
    if (seen !== undefined && (seen.mac !== mac || seen.vtep !== vtep)) throw new OverlayWantedError(`${rat}.ip`, `${ip} is listed twice with different MAC or VTEP`);
    const macIp = ipOfMac.get(mac);
    if (macIp !== undefined && macIp !== ip) throw new OverlayWantedError(`${rat}.mac`, `${mac} is listed for both ${macIp} and ${ip}`);
    byIp.set(ip, { ip, mac, vtep });
    ipOfMac.set(mac, ip);
  });
  return {
    key: o.key,
    shim,
    vxlan,
    address,
    vni: int(`${at}.vni`, o.vni, 1, MAX_VNI),
    port: int(`${at}.port`, o.port, 1, 65535),
    mtu: int(`${at}.mtu`, o.mtu, 68, 65535),
    local,
    peers,
    remotes: [...byIp.values()].sort((a, b) => cmpIp(a.ip, b.ip)),
  };
}

/** Numeric order of dotted quads (sorted plans read better than string-sorted ones). */
export function cmpIp(a: string, b: string): number {
  const n = (s: string): number => s.split('.').reduce((acc, x) => acc * 256 + Number(x), 0);
  return n(a) - n(b);
}

/** Returns the wanted state in normal form, or throws {@link OverlayWantedError}. */
export function validateWanted(w: OverlayHostWanted): OverlayHostWanted {
  const overlays = w.overlays.map(overlay).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const unique = (what: string, f: (o: OverlayWanted) => string): void => {
    const seen = new Map<string, string>();
    for (const o of overlays) {
      const v = f(o);
      const other = seen.get(v);
      if (other !== undefined) throw new OverlayWantedError(`overlays[${o.key}]`, `same ${what} as overlays[${other}]: ${v}`);
      seen.set(v, o.key);
    }
  };
  unique('key', (o) => o.key);
  unique('vxlan device', (o) => o.vxlan);
  unique('shim', (o) => o.shim);
  // The kernel refuses a second VXLAN device with the same VNI on the same UDP port.
  unique('VNI and port', (o) => `${o.vni}/${o.port}`);
  return {
    overlays,
    allowedVteps: [...new Set(w.allowedVteps.map((v, i) => ipv4(`allowedVteps[${i}]`, v)))].sort(cmpIp),
    port: int('port', w.port, 1, 65535),
  };
}
