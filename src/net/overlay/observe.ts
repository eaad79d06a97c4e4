/**
 * Observation: reads the host kernel's overlay state through iproute2 and nft JSON output. Reads
 * only what the planner looks at (our devices and the wanted ones), never the whole fdb of every
 * bridge on the machine.
 */
import { OverlayCommandError } from './errors.js';
import { runChecked, type CommandRunner } from './exec.js';
import { FIREWALL } from './firewall.js';
import { parseFdb, parseFirewall, parseLinks, parseNeighbours } from './parse.js';
import { devicesToRead } from './plan.js';
import type { ObservedFdbEntry, ObservedFirewall, ObservedNeighbour, OverlayObserved } from './types.js';

async function observeFirewall(run: CommandRunner): Promise<ObservedFirewall | undefined> {
  const argv = ['nft', '-j', 'list', 'table', 'inet', FIREWALL.table];
  const res = await run(argv);
  // nft says ENOENT for an absent table; any other failure (no nft, no permission) is real.
  if (res.status === 1 && /No such file or directory/.test(res.stderr)) return undefined;
  if (res.status !== 0) throw new OverlayCommandError(`nft table inet ${FIREWALL.table}`, argv, res.status, res.stderr);
  return parseFirewall(res.stdout, FIREWALL);
}

/** One observation: our devices (with addresses), their fdb and neighbour tables, the firewall. */
export async function observe(run: CommandRunner): Promise<OverlayObserved> {
  const linkRes = await runChecked(run, { argv: ['ip', '-j', '-d', 'addr', 'show'], subject: 'links' });
  const links = parseLinks(linkRes.stdout);
  const { vxlans, shims } = devicesToRead(links);
  const [fdbs, neighs, firewall] = await Promise.all([
    Promise.all(vxlans.map(async (d) => [d, parseFdb((await runChecked(run, { argv: ['bridge', '-j', 'fdb', 'show', 'dev', d], subject: d })).stdout)] as const)),
    Promise.all(shims.map(async (d) => [d, parseNeighbours((await runChecked(run, { argv: ['ip', '-j', 'neigh', 'show', 'dev', d], subject: d })).stdout)] as const)),
    observeFirewall(run),
  ]);
  const fdb: Record<string, readonly ObservedFdbEntry[]> = Object.fromEntries(fdbs);
  const neighbours: Record<string, readonly ObservedNeighbour[]> = Object.fromEntries(neighs);
  return { links, fdb, neighbours, firewall };
}
