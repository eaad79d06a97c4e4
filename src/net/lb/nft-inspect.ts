/**
 * Reads back what the kernel holds (`nft -j list table ip tsswarm-lb`) as a VIP table. For tests
 * and for an operator's verification only: the sync path never lists (see nft-programmer.ts).
 */
import { spawnRunner, inNetns, type CommandRunner } from './command.js';
import { LbCommandError } from './errors.js';
import { normalizeVipTable, toVipTable, type VipTable } from './model.js';
import { NFT_FAMILY, NFT_TABLE } from './nft-render.js';

export interface NftLbSnapshot {
  /** VIPs as the kernel dispatches them: vmap elements with their chain's backends, plus @refuse. */
  table: VipTable;
  /** Every chain in our table, hook chains included (stale VIP chains show up here). */
  chains: string[];
  /** Hook chains as `name:type:hook:priority`. */
  hooks: string[];
}

/** The table's content, or undefined when the namespace has no such table. */
export async function readNftLb(netnsPath: string, run: CommandRunner = spawnRunner()): Promise<NftLbSnapshot | undefined> {
  const argv = inNetns(netnsPath, ['nft', '-j', 'list', 'table', NFT_FAMILY, NFT_TABLE]);
  const r = await run(argv);
  if (r.code !== 0) {
    if (/No such file or directory/.test(r.stderr)) return undefined;
    throw new LbCommandError({ netns: netnsPath, step: 'inspect', argv, status: r.code, stderr: r.stderr });
  }
  return parseNftLbJson(r.stdout);
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Pure: `nft -j` output of our table -> snapshot. Unknown shapes are skipped, not guessed at. */
export function parseNftLbJson(json: string): NftLbSnapshot {
  const parsed: unknown = JSON.parse(json);
  const items = isObj(parsed) && Array.isArray(parsed.nftables) ? (parsed.nftables as unknown[]) : [];
  const vmap = new Map<string, string>(); // VIP -> chain
  const refuse: string[] = [];
  const chainBackends = new Map<string, string[]>();
  const chains: string[] = [];
  const hooks: string[] = [];
  for (const item of items) {
    if (!isObj(item)) continue;
    const { map, set, chain, rule } = item;
    if (isObj(map) && map.name === 'vips' && Array.isArray(map.elem)) {
      for (const e of map.elem as unknown[]) {
        if (!Array.isArray(e) || typeof e[0] !== 'string' || !isObj(e[1])) continue;
        const verdict = (e[1].goto ?? e[1].jump) as unknown;
        if (isObj(verdict) && typeof verdict.target === 'string') vmap.set(e[0], verdict.target);
      }
    }
    if (isObj(set) && set.name === 'refuse' && Array.isArray(set.elem)) {
      for (const e of set.elem as unknown[]) if (typeof e === 'string') refuse.push(e);
    }
    if (isObj(chain) && typeof chain.name === 'string') {
      chains.push(chain.name);
      if (typeof chain.hook === 'string') hooks.push(`${chain.name}:${String(chain.type)}:${chain.hook}:${String(chain.prio)}`);
    }
    if (isObj(rule) && typeof rule.chain === 'string' && Array.isArray(rule.expr)) {
      for (const x of rule.expr as unknown[]) {
        const addr = isObj(x) && isObj(x.dnat) ? x.dnat.addr : undefined;
        if (typeof addr === 'string') chainBackends.set(rule.chain, [addr]);
        const data = isObj(addr) && isObj(addr.map) && isObj(addr.map.data) ? addr.map.data.set : undefined;
        if (Array.isArray(data)) {
          const bs = (data as unknown[]).flatMap((p) => (Array.isArray(p) && typeof p[1] === 'string' ? [p[1]] : []));
          chainBackends.set(rule.chain, bs);
        }
      }
    }
  }
  const vips = [
    ...[...vmap].map(([vip, chain]) => ({ vip, backends: chainBackends.get(chain) ?? [] })),
    ...refuse.map((vip) => ({ vip, backends: [] })),
  ];
  const table = { vips: [...normalizeVipTable({ vips })].map(([vip, backends]) => ({ vip, backends: [...backends] })) };
  return { table, chains: chains.sort(), hooks: hooks.sort() };
}
