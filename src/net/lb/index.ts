/**
 * The VIP load balancer of one node: programs, inside each client container's network namespace,
 * the DNAT from service VIPs to task IPs. Knows no cluster objects; the agent hands it VIP tables.
 * See specs/networking.md, "Load balancing (src/net/lb)".
 */
export type { VipTable, NormalVipTable } from './model.js';
export { normalizeVipTable, toVipTable } from './model.js';
export { fullSync, diff, removeScript, renderFull, renderDiff, modChain, NFT_FAMILY, NFT_TABLE } from './nft-render.js';
export type { LbBackend, LbBackendKind, LbCleanup, LbSyncResult, IpvsProbe } from './backend.js';
export { detectLbBackend, procIpvsProbe } from './backend.js';
export { NftLbProgrammer, type NftLbProgrammerOptions } from './nft-programmer.js';
export { NftSessionPool, NftSessionDoubt, spawnSession, type NftSessionPoolOptions, type SessionChild, type SessionSpawner } from './nft-session.js';
export { IpvsLbBackend, type IpvsLbBackendOptions } from './ipvs-backend.js';
export { renderIpvsFull, renderIpvsDiff, renderIpvsMarksFull, renderIpvsMarksDiff, vipMark, IPVS_NFT_TABLE } from './ipvs-render.js';
export { conntrackCleanups } from './conntrack.js';
export { readNftLb, parseNftLbJson, type NftLbSnapshot } from './nft-inspect.js';
export { spawnRunner, type CommandRunner, type CommandResult } from './command.js';
export { LbCommandError, LbInputError, isLbCommandError, type LbStep, type NftErrorLine } from './errors.js';
