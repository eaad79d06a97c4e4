/**
 * Observation: reads the host kernel's overlay state through iproute2 and nft JSON output. Reads
 * only what the planner looks at (our devices and the wanted ones), never the whole fdb of every
 * bridge on the machine.
 */
import { OverlayCommandError } from './errors.js';
import { runChecked, type CommandRunner } from './exec.js';
import { FIREWALL } from './firewall.js';
import { parseBridgeFdb, parseFdb, parseFirewall, parseLinks, parseNeighbours } from './parse.js';
import { devicesToRead } from './plan.js';
import type { ObservedBridgeEntry, ObservedFdbEntry, ObservedFirewall, ObservedNeighbour, OverlayHostWanted, OverlayObserved } from './types.js';

async function observeFirewall(run: CommandRunner): Promise<ObservedFirewall | undefined> {
  const argv = ['nft', '-j', 'list', 'table', 'inet', FIREWALL.table];
  const res = await run(argv);
  // nft says ENOENT for an absent table; any other failure (no nft, no permission) is real.
  if (res.status === 1 && /No such file or directory/.test(res.stderr)) return undefined;
  if (res.status !== 0) throw new OverlayCommandError(`nft table inet ${FIREWALL.table}`, argv, res.status, res.stderr);
  return parseFirewall(res.stdout, FIREWALL);
}

/** One observation. `wanted` tells which non-prefixed devices (the wanted bridges) to read too. */
export async function observe(run: CommandRunner, wanted?: OverlayHostWanted): Promise<OverlayObserved> {
  const linkRes = await runChecked(run, { argv: ['ip', '-j', '-d', 'link', 'show'], subject: 'links' });
  const links = parseLinks(linkRes.stdout);
  const { vxlans, bridges } = devicesToRead(links, wanted);
  const [fdbs, neighs, firewall] = await Promise.all([
    Promise.all(vxlans.map(async (d) => [d, (await runChecked(run, { argv: ['bridge', '-j', 'fdb', 'show', 'dev', d], subject: d })).stdout] as const)),
    Promise.all(bridges.map(async (d) => [d, parseNeighbours((await runChecked(run, { argv: ['ip', '-j', 'neigh', 'show', 'dev', d], subject: d })).stdout)] as const)),
    observeFirewall(run),
  ]);
  const fdb: Record<string, readonly ObservedFdbEntry[]> = Object.fromEntries(fdbs.map(([d, text]) => [d, parseFdb(text)]));
  const bridgeFdb: Record<string, readonly ObservedBridgeEntry[]> = Object.fromEntries(fdbs.map(([d, text]) => [d, parseBridgeFdb(text)]));
  const neighbours: Record<string, readonly ObservedNeighbour[]> = Object.fromEntries(neighs);
  return { links, fdb, bridgeFdb, neighbours, firewall };
}
