import { execFile } from 'node:child_process';
import os from 'node:os';
import { promisify } from 'node:util';
import { formatCidr, isIpamError, parseCidr } from '../../net/ipam.js';

/**
 * The IPv4 networks this host is on — its interface addresses and its routes — as the node
 * reports them in its heartbeat. The allocator keeps overlay subnets off them: Swarm's pools do
 * not look, and a 10.0.0.0/24 overlay on a host whose LAN is 10.0.0.0/24 cuts it off
 * (moby#50011).
 *
 * Left out: loopback, the default route (it "overlaps" everything), IPv6 (the allocator is IPv4
 * only), and our own overlay shims (`tsgw-*`), which carry cluster subnets and would make every
 * overlay overlap itself. The manager also ignores a reported range that lies inside an allocated
 * cluster network, which covers bridges made by other names.
 */

/** Names of the host's own interfaces on our overlays (src/net/overlay's shims). */
export const OVERLAY_SHIM_PREFIX = 'tsgw-';

/** The parts of an `ip -j route` entry we read. */
export interface RouteEntry {
  dst?: string;
  dev?: string;
}

type Interfaces = NodeJS.Dict<os.NetworkInterfaceInfo[]>;

/** Pure: the CIDR blocks (sorted, each once) of the interfaces and routes given. */
export function hostCidrs(interfaces: Interfaces, routes: readonly RouteEntry[]): string[] {
  const out = new Set<string>();
  const add = (cidr: string): void => {
    try {
      const c = parseCidr(cidr, 'host network', { strict: false });
      if (c.prefix > 0) out.add(formatCidr(c));
    } catch (e) {
      if (!isIpamError(e)) throw e; // IPv6 or something odd: not ours to report
    }
  };
  for (const [name, addrs] of Object.entries(interfaces)) {
    if (name.startsWith(OVERLAY_SHIM_PREFIX)) continue;
    for (const a of addrs ?? []) if (a.family === 'IPv4' && !a.internal && a.cidr !== null) add(a.cidr);
  }
  for (const r of routes) {
    if (r.dst === undefined || r.dst === 'default' || r.dev?.startsWith(OVERLAY_SHIM_PREFIX) || r.dev === 'lo') continue;
    add(r.dst.includes('/') ? r.dst : `${r.dst}/32`);
  }
  return [...out].sort();
}

const run = promisify(execFile);

/**
 * Read them from this host: os.networkInterfaces() for addresses, `ip -j route` for routes.
 * Without `ip` (not Linux, a minimal image) the interfaces alone are reported.
 */
export async function readHostNetworks(): Promise<string[]> {
  let routes: RouteEntry[] = [];
  try {
    const { stdout } = await run('ip', ['-j', '-4', 'route', 'show'], { timeout: 5000 });
    const parsed: unknown = JSON.parse(stdout);
    if (Array.isArray(parsed)) routes = parsed.filter((r): r is RouteEntry => typeof r === 'object' && r !== null);
  } catch {
    // Interfaces still cover every directly connected network; routes add the ones behind gateways.
  }
  return hostCidrs(os.networkInterfaces(), routes);
}

/**
 * A reader that reads at most once per `ttlMs`: the heartbeat asks every beat (seconds), and
 * host networks change rarely.
 */
export function cachedHostNetworks(o: { ttlMs?: number; now?: () => number; read?: () => Promise<string[]> } = {}): () => Promise<string[]> {
  const ttl = o.ttlMs ?? 30_000;
  const now = o.now ?? Date.now;
  const read = o.read ?? readHostNetworks;
  let last: { at: number; value: string[] } | null = null;
  return async () => {
    if (last === null || now() - last.at >= ttl) last = { at: now(), value: await read() };
    return last.value;
  };
}
