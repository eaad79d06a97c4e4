/**
 * The contract the agent programs VIPs through, whichever kernel mechanism does the work, and the
 * check that picks the mechanism.
 */
import { access } from 'node:fs/promises';
import type { LbCommandError } from './errors.js';
import type { VipTable } from './model.js';

/** What one sync did: nothing, the difference only, or the whole table. */
export interface LbSyncResult {
  mode: 'full' | 'partial' | 'none';
  /** Bytes of script sent to the kernel tools in this sync (all attempts). */
  bytes: number;
  /** Why a full sync ran where a partial one could have: 'unknown' state, or the diff's error. */
  fullReason?: string;
  /**
   * The follow-up of this commit (conntrack cleanup), which runs in the background once sync()
   * has resolved with the table committed. Settles, never rejects, when it has run; the
   * namespace's later cleanups settle after it. Nothing to await for correctness of the table.
   */
  cleanup: Promise<LbCleanup>;
}

/** What the follow-up of one commit did. */
export interface LbCleanup {
  /**
   * conntrack entries deleted by the process that carried this commit's deletions (one process
   * may carry the deletions of several commits of one namespace, queued behind a running one).
   */
  readonly conntrackDeleted: number;
  /**
   * Its failures (also passed to the programmer's `onWarning`). The table is right; a removed
   * backend's UDP flows may live on until they time out.
   */
  readonly warnings: readonly LbCommandError[];
  /** Why the deletions did not run: the namespace was removed, forgotten or is gone, or the programmer closed. */
  readonly skipped?: string;
}

/** A cleanup with nothing to do (IPVS expires its own flows; an unchanged table). */
export const NO_CLEANUP: Promise<LbCleanup> = Promise.resolve({ conntrackDeleted: 0, warnings: [] });

export interface LbBackend {
  /** Makes the namespace's VIPs equal `table`. Serialised per namespace. */
  sync(netnsPath: string, table: VipTable): Promise<LbSyncResult>;
  /** Deletes everything we programmed in the namespace; a namespace already gone is not an error. */
  remove(netnsPath: string): Promise<void>;
  /** Drops the in-memory belief about the namespace (its container left); the next sync is full. */
  forget(netnsPath: string): void;
}

export type LbBackendKind = 'ipvs' | 'nftables';

/** Says whether the kernel has IPVS. */
export type IpvsProbe = () => Promise<boolean>;

/**
 * /proc/net/ip_vs exists exactly when the ip_vs module is loaded (or built in). We do not try
 * `modprobe`: loading kernel modules is the host's business, and this is called on every start.
 */
export const procIpvsProbe: IpvsProbe = async () => {
  try {
    await access('/proc/net/ip_vs');
    return true;
  } catch {
    return false;
  }
};

/**
 * 'ipvs' when the kernel has IPVS, otherwise 'nftables'. nftables works everywhere nft does and
 * is our primary path (Kubernetes measured it at least as fast as IPVS); an agent configured for
 * nftables should not ask.
 */
export async function detectLbBackend(probe: IpvsProbe = procIpvsProbe): Promise<LbBackendKind> {
  return (await probe()) ? 'ipvs' : 'nftables';
}
