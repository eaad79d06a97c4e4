import { Daemon } from '../../src/swarm/daemon/daemon.js';
import type { NodeView } from '../../src/swarm/api/views.js';
import { parseDuration } from '../../src/compose/units.js';
import { UserError } from '../../src/util/errors.js';
import { checkClusterNetworking } from '../../src/net/ipam.js';
import { DEFAULT_CLUSTER_NETWORKING } from '../../src/swarm/store/index.js';
import { cap, printTable } from './table.js';
import { dataDir, ensureDaemon, local, socketPath, type SwarmGlobals } from './local.js';

/** The tsswarm commands: argument handling and rendering only; the daemon does the work. */

export async function daemonCommand(g: SwarmGlobals, o: { advertiseAddr?: string; nodeName?: string }): Promise<number> {
  const d = new Daemon({
    dataDir: dataDir(g),
    socketPath: socketPath(g),
    ...(o.advertiseAddr ? { advertiseAddr: o.advertiseAddr } : {}),
    ...(o.nodeName ? { hostname: o.nodeName } : {}),
    ...(process.env.TSSWARM_HEARTBEAT_MS ? { heartbeatPeriodMs: Number(process.env.TSSWARM_HEARTBEAT_MS) } : {}),
    ...(process.env.TSSWARM_RAFT_TICK_MS ? { raftTickMs: Number(process.env.TSSWARM_RAFT_TICK_MS) } : {}),
    ...(process.env.TSSWARM_AGENT_PERIOD_MS ? { agentPeriodMs: Number(process.env.TSSWARM_AGENT_PERIOD_MS) } : {}),
    ...(process.env.TSSWARM_NODE_PORT ? { nodePort: Number(process.env.TSSWARM_NODE_PORT) } : {}),
    // Where the resolver forwards names that are not the cluster's: comma-separated, "" for
    // nowhere (tests: no lookup may leave the machine). Default: /etc/resolv.conf's nameservers.
    ...(process.env.TSSWARM_DNS_UPSTREAMS !== undefined ? { dnsUpstreams: process.env.TSSWARM_DNS_UPSTREAMS.split(',').map((x) => x.trim()).filter(Boolean) } : {}),
  });
  await d.start();
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      void d.stop().finally(resolve);
      setTimeout(resolve, 3000).unref();
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
  return 0;
}

/** `tsswarm init` options as commander hands them over. */
export interface InitFlags {
  advertiseAddr?: string;
  listenAddr?: string;
  certExpiry?: string;
  defaultAddrPool?: string[];
  defaultAddrPoolMaskLen?: string;
  dataPathPort?: string;
}

export async function initCommand(g: SwarmGlobals, o: InitFlags): Promise<void> {
  const { certExpiry, defaultAddrPool, defaultAddrPoolMaskLen, dataPathPort, ...rest } = o;
  const body = {
    ...rest,
    ...(certExpiry === undefined ? {} : { certExpiryMs: durationMs('--cert-expiry', certExpiry) }),
    ...initNetworking({ defaultAddrPool, defaultAddrPoolMaskLen, dataPathPort }),
  };
  await ensureDaemon(g, []);
  const r = await local<{ clusterId: string; nodeId: string; apiAddr: string; workerToken: string }>(g, '/local/init', { body });
  process.stdout.write(
    `Swarm initialized: current node (${r.nodeId}) is now a manager of cluster ${r.clusterId}.\n\n` +
      `To add a worker to this swarm, run the following command:\n\n    tsswarm join --token ${r.workerToken} ${r.apiAddr}\n\n` +
      `To add a manager to this swarm, run 'tsswarm join-token manager' and follow the instructions.\n`,
  );
}

export async function joinCommand(g: SwarmGlobals, remote: string, o: { token: string; advertiseAddr?: string; listenAddr?: string }): Promise<void> {
  await ensureDaemon(g, []);
  const r = await local<{ nodeId: string; role: string }>(g, '/local/join', { body: { token: o.token, remote, ...(o.advertiseAddr ? { advertiseAddr: o.advertiseAddr } : {}), ...(o.listenAddr ? { listenAddr: o.listenAddr } : {}) } });
  process.stdout.write(`This node (${r.nodeId}) joined a swarm as a ${r.role}.\n`);
}

export async function joinTokenCommand(g: SwarmGlobals, role: string, o: { rotate?: boolean; quiet?: boolean }): Promise<void> {
  if (role !== 'worker' && role !== 'manager') throw new UserError(`join-token: role must be worker or manager, got ${JSON.stringify(role)}`);
  const tokens = o.rotate
    ? await local<{ worker: string; manager: string }>(g, '/v1/join-tokens/rotate', { body: { role } })
    : await local<{ worker: string; manager: string }>(g, '/v1/join-tokens');
  const token = tokens[role];
  if (o.quiet) return void process.stdout.write(`${token}\n`);
  const info = await local<{ managers?: { apiAddr: string }[] }>(g, '/local/info');
  const addr = info.managers?.[0]?.apiAddr ?? 'MANAGER:4242';
  if (o.rotate) process.stdout.write(`Successfully rotated ${role} join token.\n\n`);
  process.stdout.write(`To add a ${role} to this swarm, run the following command:\n\n    tsswarm join --token ${token} ${addr}\n`);
}

export async function leaveCommand(g: SwarmGlobals, o: { force?: boolean }): Promise<void> {
  await local(g, '/local/leave', { body: { force: o.force === true } });
  process.stdout.write('Node left the swarm.\n');
}

export async function infoCommand(g: SwarmGlobals, o: { format?: string }): Promise<void> {
  const info = await local<Record<string, unknown>>(g, '/local/info');
  if (o.format === 'json') return void process.stdout.write(JSON.stringify(info, null, 2) + '\n');
  if (info.member !== true) return void process.stdout.write('Swarm: inactive\n');
  const raft = info.raft as { role: string; term: number; commit: number; applied: number } | undefined;
  const managers = (info.managers as { nodeId: string; apiAddr: string }[] | undefined) ?? [];
  const lines = [
    'Swarm: active',
    ` Cluster ID: ${String(info.clusterId)}`,
    ` Node ID: ${String(info.nodeId)}`,
    ` Role: ${String(info.role)}`,
    ` Managers: ${managers.map((m) => `${m.nodeId} (${m.apiAddr})`).join(', ')}`,
  ];
  if (raft) lines.push(` Leader: ${String(info.leader)}`, ` Raft: ${raft.role}, term ${raft.term}, commit ${raft.commit}, applied ${raft.applied}`);
  if (typeof info.loadBalancer === 'string') lines.push(` Load balancer: ${info.loadBalancer}${info.loadBalancer === 'nftables' ? ' (no IPVS in this kernel)' : ''}`);
  process.stdout.write(lines.join('\n') + '\n');
}

export async function nodeLsCommand(g: SwarmGlobals, o: { quiet?: boolean; format?: string }): Promise<void> {
  const { nodes } = await local<{ nodes: NodeView[] }>(g, '/v1/nodes');
  if (o.format === 'json') return void process.stdout.write(JSON.stringify(nodes, null, 2) + '\n');
  if (o.quiet) return void process.stdout.write(nodes.map((n) => n.id + '\n').join(''));
  const rows = [['ID', 'HOSTNAME', 'STATUS', 'AVAILABILITY', 'MANAGER STATUS'], ...nodes.map((n) => [n.id, n.hostname, cap(n.status), cap(n.availability), n.managerStatus ? cap(n.managerStatus) : ''])];
  printTable(rows);
}

export async function nodeInspectCommand(g: SwarmGlobals, ids: string[]): Promise<void> {
  const out = [];
  for (const id of ids) out.push((await local<{ node: unknown }>(g, `/v1/nodes/${encodeURIComponent(id)}`)).node);
  process.stdout.write(JSON.stringify(out, null, 2) + '\n');
}

export async function nodeUpdateCommand(g: SwarmGlobals, id: string, o: { availability?: string; labelAdd: string[]; labelRm: string[] }): Promise<void> {
  const labelAdd: Record<string, string> = {};
  for (const l of o.labelAdd) {
    const i = l.indexOf('=');
    labelAdd[i < 0 ? l : l.slice(0, i)] = i < 0 ? '' : l.slice(i + 1);
  }
  await local(g, `/v1/nodes/${encodeURIComponent(id)}/update`, {
    body: { ...(o.availability ? { availability: o.availability } : {}), ...(o.labelAdd.length ? { labelAdd } : {}), ...(o.labelRm.length ? { labelRm: o.labelRm } : {}) },
  });
  process.stdout.write(`${id}\n`);
}

export async function nodeRoleCommand(g: SwarmGlobals, verb: 'promote' | 'demote', ids: string[]): Promise<void> {
  const role = verb === 'promote' ? 'manager' : 'worker';
  for (const id of ids) {
    const r = await local<{ id: string; changed: boolean }>(g, `/v1/nodes/${encodeURIComponent(id)}/${verb}`, { body: {} });
    process.stdout.write(r.changed ? `Node ${id} ${verb}d to a ${role} in the swarm.\n` : `Node ${id} is already a ${role}.\n`);
  }
}

/** `tsswarm update`: cluster-wide settings (Docker's `swarm update`). */
export async function clusterUpdateCommand(g: SwarmGlobals, o: { certExpiry?: string }): Promise<void> {
  const body: { certExpiryMs?: number } = {};
  if (o.certExpiry !== undefined) body.certExpiryMs = durationMs('--cert-expiry', o.certExpiry);
  if (Object.keys(body).length === 0) throw new UserError('update: nothing to change', { hint: 'pass --cert-expiry DURATION', exitCode: 2 });
  const r = await local<{ certExpiryMs: number }>(g, '/v1/cluster/update', { body });
  process.stdout.write(`Swarm updated: node certificates now live ${formatDurationMs(r.certExpiryMs)}.\n`);
}

const NETWORKING_FLAG = { defaultAddrPools: '--default-addr-pool', subnetSize: '--default-addr-pool-mask-len', vxlanPort: '--data-path-port' } as const;

/**
 * The init flags for overlay addressing, checked here so a mistake is a usage error (exit 2)
 * naming the flag before a daemon is started; the daemon checks the same rule again.
 */
export function initNetworking(o: { defaultAddrPool?: string[] | undefined; defaultAddrPoolMaskLen?: string | undefined; dataPathPort?: string | undefined }): {
  defaultAddrPools?: string[];
  defaultAddrPoolMaskLen?: number;
  dataPathPort?: number;
} {
  const int = (flag: string, v: string): number => {
    if (!/^\d+$/.test(v.trim())) throw new UserError(`${flag}: ${JSON.stringify(v)} is not a number`, { exitCode: 2 });
    return Number(v);
  };
  const pools = (o.defaultAddrPool ?? []).flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v !== '');
  const out = {
    ...(pools.length > 0 ? { defaultAddrPools: pools } : {}),
    ...(o.defaultAddrPoolMaskLen === undefined ? {} : { defaultAddrPoolMaskLen: int('--default-addr-pool-mask-len', o.defaultAddrPoolMaskLen) }),
    ...(o.dataPathPort === undefined ? {} : { dataPathPort: int('--data-path-port', o.dataPathPort) }),
  };
  const bad = checkClusterNetworking({
    defaultAddrPools: out.defaultAddrPools ?? DEFAULT_CLUSTER_NETWORKING.defaultAddrPools,
    subnetSize: out.defaultAddrPoolMaskLen ?? DEFAULT_CLUSTER_NETWORKING.subnetSize,
    vxlanPort: out.dataPathPort ?? DEFAULT_CLUSTER_NETWORKING.vxlanPort,
  });
  if (bad !== null) throw new UserError(`${NETWORKING_FLAG[bad.field]}: ${bad.message}`, { exitCode: 2 });
  return out;
}

/** A Go-style duration flag ("90d" is not Go; "2160h", "30s", "1m30s" are) in milliseconds. */
export function durationMs(flag: string, v: string): number {
  try {
    return Math.round(parseDuration(v) / 1e6);
  } catch (e) {
    throw new UserError(`${flag}: ${(e as Error).message}`, { hint: 'use a number with a unit: 30s, 10m, 2160h', exitCode: 2 });
  }
}

function formatDurationMs(ms: number): string {
  return ms % 3_600_000 === 0 ? `${ms / 3_600_000}h` : ms % 60_000 === 0 ? `${ms / 60_000}m` : `${ms / 1000}s`;
}

export async function nodeRmCommand(g: SwarmGlobals, ids: string[], o: { force?: boolean }): Promise<void> {
  for (const id of ids) {
    await local(g, `/v1/nodes/${encodeURIComponent(id)}${o.force ? '?force=true' : ''}`, { method: 'DELETE' });
    process.stdout.write(`${id}\n`);
  }
}
