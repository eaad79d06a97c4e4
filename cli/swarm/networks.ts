import type { NetworkView } from '../../src/swarm/manager/networks-api.js';
import type { NetworkSpec } from '../../src/swarm/store/index.js';
import { UserError } from '../../src/util/errors.js';
import { local, type SwarmGlobals } from './local.js';
import { printTable } from './table.js';

/** `tsswarm network ...`: argument handling and rendering; the managers validate and allocate. */

const enc = encodeURIComponent;

export interface NetworkCreateFlags {
  driver: string;
  subnet?: string;
  ipRange?: string;
  gateway?: string;
  attachable?: boolean;
  internal?: boolean;
  ingress?: boolean;
  label: string[];
  opt: string[];
}

function pairs(flag: string, list: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of list) {
    const i = kv.indexOf('=');
    if (i <= 0) throw new UserError(`${flag}: invalid value ${JSON.stringify(kv)}: expected KEY=VALUE`, { exitCode: 2 });
    out[kv.slice(0, i)] = kv.slice(i + 1);
  }
  return out;
}

/** The spec `network create` flags ask for. Pure. */
export function networkSpecFromFlags(name: string, f: NetworkCreateFlags): NetworkSpec {
  if (f.driver !== 'overlay') throw new UserError(`--driver: ${JSON.stringify(f.driver)} is not supported: cluster networks are overlay networks`, { exitCode: 2, hint: 'use -d overlay (or leave it out)' });
  if ((f.ipRange || f.gateway) && !f.subnet) throw new UserError(`${f.ipRange ? '--ip-range' : '--gateway'} needs --subnet`, { exitCode: 2 });
  return {
    name,
    labels: pairs('--label', f.label),
    driver: 'overlay',
    driverOptions: pairs('--opt', f.opt),
    ipam: { configs: f.subnet ? [{ subnet: f.subnet, gateway: f.gateway ?? null, ipRange: f.ipRange ?? null }] : [] },
    internal: f.internal === true,
    attachable: f.attachable === true,
    ingress: f.ingress === true,
  };
}

export async function networkCreateCommand(g: SwarmGlobals, name: string, f: NetworkCreateFlags): Promise<void> {
  const { id } = await local<{ id: string }>(g, '/v1/networks', { body: { spec: networkSpecFromFlags(name, f) } });
  process.stdout.write(`${id}\n`);
}

export async function networkLsCommand(g: SwarmGlobals, o: { quiet?: boolean; format?: string }): Promise<void> {
  const { networks } = await local<{ networks: NetworkView[] }>(g, '/v1/networks');
  if (o.format === 'json') return void process.stdout.write(JSON.stringify(networks, null, 2) + '\n');
  if (o.quiet) return void process.stdout.write(networks.map((n) => n.id + '\n').join(''));
  printTable([
    ['NETWORK ID', 'NAME', 'DRIVER', 'SCOPE', 'SUBNET', 'ADDRESSES'],
    ...networks.map((n) => [
      n.id.slice(0, 12),
      n.name,
      n.driver,
      n.scope,
      n.allocation?.subnets[0]?.subnet ?? n.ipam.configs[0]?.subnet ?? '(allocating)',
      n.usage ? `${n.usage.used}/${n.usage.total}` : '',
    ]),
  ]);
}

export async function networkInspectCommand(g: SwarmGlobals, refs: string[]): Promise<void> {
  const out: NetworkView[] = [];
  for (const r of refs) out.push((await local<{ network: NetworkView }>(g, `/v1/networks/${enc(r)}`)).network);
  process.stdout.write(JSON.stringify(out, null, 2) + '\n');
}

export async function networkRmCommand(g: SwarmGlobals, refs: string[]): Promise<void> {
  for (const r of refs) {
    await local(g, `/v1/networks/${enc(r)}`, { method: 'DELETE' });
    process.stdout.write(`${r}\n`);
  }
}

export async function networkPruneCommand(g: SwarmGlobals): Promise<void> {
  const { removed } = await local<{ removed: string[] }>(g, '/v1/networks/prune', { body: {} });
  if (removed.length === 0) return;
  process.stdout.write(`Deleted Networks:\n${removed.map((n) => `${n}\n`).join('')}`);
}
