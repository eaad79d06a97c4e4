import type { ContainerRuntime } from '../../runtime/index.js';
import { containsAddr, isIpamError, parseAddr, parseCidr } from '../../net/ipam.js';
import { MAX_NODE_ATTACHMENTS, nodeAttachmentSchema, type NodeAttachment } from '../store/index.js';
import type { NodeNetwork, NodeNetworkState } from '../api/network-state.js';
import { mapLimit } from '../../util/map-limit.js';
import { engineNetworkNameOf } from './engine-network.js';
import { vipTableOn, type VipTable } from './network-vips.js';
import { TASK_LABELS } from './task-container.js';

/**
 * The standalone containers on this node's attachable overlays (`docker run --network NAME`):
 * what the agent reports to the leader (so other nodes reach them by address and name) and
 * whose network namespaces it programs (VIP table, DNS redirect). Found by inspecting those
 * engine networks each pass, one call per network: task containers are left out (by their
 * labels), and so is any address outside this node's attachment range (a static `--ip` could
 * be a task's address elsewhere), logged once per container.
 */

/** A standalone container on one overlay here, with the pid whose netns is its. */
export interface LocalAttachment extends NodeAttachment {
  pid: number;
}

/** An attachable overlay programmed here: its id, its engine network's name, this node's range. */
export interface AttachableNetwork {
  id: string;
  engineName: string;
  attachRange: string | null;
}

const CONTAINER_ID = /^[0-9a-f]{64}$/;

interface Seen {
  task: boolean;
  pid: number;
}

export class AttachmentScanner {
  /**
   * What one inspect said about a container, by container and endpoint id: a restart re-creates
   * the endpoint (new netns, new pid), so a container is inspected once per endpoint, not once
   * per pass.
   */
  private readonly seen = new Map<string, Seen>();
  private readonly warned = new Set<string>();

  constructor(private readonly o: { runtime: ContainerRuntime; log: (msg: string) => void }) {}

  async scan(networks: readonly AttachableNetwork[]): Promise<LocalAttachment[]> {
    const out: LocalAttachment[] = [];
    const live = new Set<string>();
    for (const n of networks) {
      let endpoints: NonNullable<Awaited<ReturnType<ContainerRuntime['inspectNetwork']>>['endpoints']>;
      try {
        endpoints = (await this.o.runtime.inspectNetwork(n.engineName)).endpoints ?? [];
      } catch (e) {
        // Removed or not created yet: the network pass reports that; nothing is attached there.
        this.warnOnce(`inspect ${n.engineName}`, `attachments: cannot inspect network ${n.engineName}: ${(e as Error).message.split('\n')[0]}`);
        continue;
      }
      for (const ep of endpoints) {
        // An endpoint whose container is going away is listed as `ep-<endpoint id>`: no container.
        if (!CONTAINER_ID.test(ep.containerId)) continue;
        const key = `${ep.containerId} ${ep.endpointId}`;
        live.add(key);
        const who = await this.who(key, ep.containerId);
        if (who === null || who.task || ep.ipv4Address === null) continue;
        if (!inRange(ep.ipv4Address, n.attachRange)) {
          this.warnOnce(
            `${ep.containerId} ${n.id}`,
            `attachments: container ${ep.name} on network ${n.engineName} has address ${ep.ipv4Address}, outside this node's attachment range ${n.attachRange ?? '(none)'}: not published to the cluster (a static --ip?)`,
          );
          continue;
        }
        const a = { networkId: n.id, containerId: ep.containerId, name: ep.name, address: ep.ipv4Address };
        // What the leader would refuse (the whole request with it) is left out here, said once.
        const ok = nodeAttachmentSchema.safeParse(a);
        if (!ok.success) {
          this.warnOnce(`${ep.containerId} ${n.id} schema`, `attachments: container ${ep.name} on network ${n.engineName} is not published: ${ok.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
          continue;
        }
        out.push({ ...a, pid: who.pid });
      }
    }
    for (const id of this.seen.keys()) if (!live.has(id)) this.seen.delete(id);
    out.sort((a, b) => (a.networkId + a.containerId < b.networkId + b.containerId ? -1 : 1));
    if (out.length > MAX_NODE_ATTACHMENTS) this.warnOnce('too many', `attachments: ${out.length} standalone containers here; only the first ${MAX_NODE_ATTACHMENTS} are published`);
    return out.slice(0, MAX_NODE_ATTACHMENTS);
  }

  /** Task or not, and its pid; null while it has no running process yet (asked again next pass). */
  private async who(key: string, containerId: string): Promise<Seen | null> {
    const cached = this.seen.get(key);
    if (cached) return cached;
    let info: Awaited<ReturnType<ContainerRuntime['inspectContainer']>>;
    try {
      info = await this.o.runtime.inspectContainer(containerId);
    } catch {
      return null; // removed between the two calls
    }
    const seen = { task: info.labels[TASK_LABELS.task] !== undefined, pid: info.pid };
    if (!seen.task && seen.pid <= 0) return null;
    this.seen.set(key, seen);
    return seen;
  }

  private warnOnce(key: string, msg: string): void {
    if (this.warned.has(key)) return;
    if (this.warned.size >= 4096) this.warned.clear(); // bounded: a repeat now and then beats a leak
    this.warned.add(key);
    this.o.log(msg);
  }
}

function inRange(address: string, range: string | null): boolean {
  if (range === null) return false;
  try {
    return containsAddr(parseCidr(range), parseAddr(address));
  } catch (e) {
    if (isIpamError(e)) return false;
    throw e;
  }
}

/** The ports StandaloneContainers programs through (NetworkAgent's own: the VIP programmer and the DNS redirect). */
export interface StandalonePorts {
  runtime: ContainerRuntime;
  log: (msg: string) => void;
  lb: { sync(netnsPath: string, table: VipTable): Promise<unknown>; forget(netnsPath: string): void };
  dnsRedirect: { apply(netnsPath: string, to: string): Promise<void>; remove(netnsPath: string): Promise<void> };
  /**
   * The node's egress network when it exists here. A container on a non-internal attachable
   * overlay is connected to it, as a task is (the overlay gives no default route); without it,
   * Docker's embedded resolver, which does not forward for containers only on internal networks,
   * would also leave the cluster's names unresolved there.
   */
  egress: () => string | null;
}

/**
 * The agent's standalone containers: found by the scanner, reported through `attachments`, and
 * programmed like a task client — a VIP table with every VIP of the overlays each is on here,
 * and DNS through this node's gateway on the first of them (a redirect: it was not started with
 * our `--dns`). Problems (a container that exited between the scan and its programming) come
 * back as log lines and are retried on the next pass; a container that is gone is forgotten and
 * its redirect removed (it may only have left the network).
 */
export class StandaloneContainers {
  private readonly scanner: AttachmentScanner;
  /** From the last scan; null before the first. */
  private local: LocalAttachment[] | null = null;
  /** Namespaces programmed, and the resolver address their DNS goes to ('' for none yet). */
  private readonly programmed = new Map<string, string>();
  /** Containers this agent connected to the egress network. */
  private readonly egressed = new Set<string>();

  constructor(private readonly o: StandalonePorts) {
    this.scanner = new AttachmentScanner({ runtime: o.runtime, log: o.log });
  }

  get attachments(): NodeAttachment[] | undefined {
    return this.local?.map(({ pid: _p, ...a }) => a);
  }

  /** Scans the attachable overlays programmed here (`ready`), then programs what changed. */
  async refresh(state: NodeNetworkState, ready: ReadonlyMap<string, NodeNetwork>): Promise<{ changed: boolean; problems: string[] }> {
    const nets = state.networks.filter((n) => n.attachable && ready.has(n.id)).map((n) => ({ id: n.id, engineName: engineNetworkNameOf(n), attachRange: n.attachRange }));
    const found = nets.length === 0 ? [] : await this.scanner.scan(nets);
    // The first scan is news even when empty: it replaces what the leader kept from before a restart.
    const changed = JSON.stringify(found) !== JSON.stringify(this.local);
    this.local = found;
    return { changed, problems: changed ? await this.sync(state, ready) : [] };
  }

  /** VIP tables and DNS redirects of the containers of the last scan, to `state`; the problems met. */
  async sync(state: NodeNetworkState, ready: ReadonlyMap<string, NodeNetwork>): Promise<string[]> {
    const byPid = new Map<number, Set<string>>();
    const containerOf = new Map<number, string>();
    for (const a of this.local ?? []) {
      byPid.set(a.pid, (byPid.get(a.pid) ?? new Set()).add(a.networkId));
      containerOf.set(a.pid, a.containerId);
    }
    const problems: string[] = [];
    const egress = this.o.egress();
    await mapLimit([...byPid], 4, async ([pid, nets]) => {
      const ns = netnsOf(pid);
      const to = state.networks.find((n) => nets.has(n.id) && ready.has(n.id) && n.gateway !== null)?.gateway ?? undefined;
      const id = containerOf.get(pid)!;
      try {
        await this.o.lb.sync(ns, vipTableOn(state, nets));
        if (to !== undefined && this.programmed.get(ns) !== to) await this.o.dnsRedirect.apply(ns, to);
        this.programmed.set(ns, to ?? '');
        // After the redirect: from then on its DNS comes to us, never out through the egress NAT.
        if (egress !== null && to !== undefined && !this.egressed.has(id) && state.networks.some((n) => nets.has(n.id) && !n.internal)) {
          await this.o.runtime.connectNetwork(egress, id).catch((e: unknown) => {
            // Connected by someone (or by us before a restart): that is what we wanted.
            if (!/already exists|already attached/i.test((e as Error).message)) throw e;
          });
          this.egressed.add(id);
        }
      } catch (e) {
        this.programmed.delete(ns);
        problems.push(`standalone container (pid ${pid}): ${(e as Error).message.split('\n')[0]}`);
      }
    });
    const liveIds = new Set(containerOf.values());
    for (const id of [...this.egressed]) if (!liveIds.has(id)) this.egressed.delete(id);
    const live = new Set([...byPid.keys()].map(netnsOf));
    for (const ns of [...this.programmed.keys()]) {
      if (live.has(ns)) continue;
      this.programmed.delete(ns);
      this.o.lb.forget(ns);
      await this.o.dnsRedirect.remove(ns).catch((e: unknown) => problems.push(`removing the DNS redirect of ${ns}: ${(e as Error).message}`));
    }
    return problems;
  }

  /** The node leaves: the containers are the user's and stay, but their DNS no longer comes to us. */
  async teardown(): Promise<void> {
    for (const ns of this.programmed.keys()) await this.o.dnsRedirect.remove(ns).catch((e: unknown) => this.o.log(`removing the DNS redirect of ${ns}: ${(e as Error).message}`));
    this.programmed.clear();
    this.local = null;
  }
}

function netnsOf(pid: number): string {
  return `/proc/${pid}/ns/net`;
}
