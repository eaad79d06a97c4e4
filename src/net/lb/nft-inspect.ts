/**
 * Reads back what the kernel holds (`nft -j list table ip tsswarm-lb`) as a VIP table. For tests
 * and for an operator's verification only: the sync path never lists (see nft-programmer.ts).
 */
import { spawnRunner, inNetns, type CommandRunner } from './command.js';
import { LbCommandError } from './errors.js';
import { normalizeVipTable, type VipTable } from './model.js';
import { NFT_FAMILY, NFT_TABLE } from './nft-render.js';

export interface NftLbSnapshot {
  /** VIPs as the kernel dispatches them: vmap elements with their `backends` elements 0..N-1 (N from the `mod-N` chain they jump to), plus @refuse. */
  table: VipTable;
  /** Every chain in our table, hook chains included (stale `mod-N` chains show up here). */
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
  const elems = new Map<string, string>(); // "VIP . i" -> backend
  const chains: string[] = [];
  const hooks: string[] = [];
  for (const item of items) {
    if (!isObj(item)) continue;
    const { map, set, chain } = item;
    if (isObj(map) && map.name === 'vips' && Array.isArray(map.elem)) {
      for (const e of map.elem as unknown[]) {
        if (!Array.isArray(e) || typeof e[0] !== 'string' || !isObj(e[1])) continue;
        const verdict = (e[1].goto ?? e[1].jump);
        if (isObj(verdict) && typeof verdict.target === 'string') vmap.set(e[0], verdict.target);
      }
    }
    if (isObj(map) && map.name === 'backends' && Array.isArray(map.elem)) {
      for (const e of map.elem as unknown[]) {
        if (!Array.isArray(e) || !isObj(e[0]) || !Array.isArray(e[0].concat) || typeof e[1] !== 'string') continue;
        const [vip, i] = e[0].concat as unknown[];
        if (typeof vip === 'string' && typeof i === 'number') elems.set(`${vip} . ${i}`, e[1]);
      }
    }
    if (isObj(set) && set.name === 'refuse' && Array.isArray(set.elem)) {
      for (const e of set.elem as unknown[]) if (typeof e === 'string') refuse.push(e);
    }
    if (isObj(chain) && typeof chain.name === 'string') {
      chains.push(chain.name);
      if (typeof chain.hook === 'string') hooks.push(`${chain.name}:${String(chain.type)}:${chain.hook}:${String(chain.prio)}`);
    }
  }
  const backendsOf = (vip: string, chain: string): string[] => {
    const n = Number(/^mod-(\d+)$/.exec(chain)?.[1] ?? 0);
    const out: string[] = [];
    for (let i = 0; i < n; i++) {
      const b = elems.get(`${vip} . ${i}`);
      if (b !== undefined) out.push(b);
    }
    return out;
  };
  const vips = [
    ...[...vmap].map(([vip, chain]) => ({ vip, backends: backendsOf(vip, chain) })),
    ...refuse.map((vip) => ({ vip, backends: [] })),
  ];
  const table = { vips: [...normalizeVipTable({ vips })].map(([vip, backends]) => ({ vip, backends: [...backends] })) };
  return { table, chains: chains.sort(), hooks: hooks.sort() };
}
