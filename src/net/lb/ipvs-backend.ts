/**
 * The IPVS load balancer behind {@link LbBackend}, for kernels with IPVS (see ipvs-render.ts for
 * the table shape). Same memory-and-difference discipline as the nftables programmer; the IPVS
 * changes are not one transaction (ipvsadm-restore applies line by line), so they are ordered
 * around the atomic mark-table change instead: services exist before packets are marked for
 * them, and are deleted only after nothing is marked for them.
 *
 * Stale flows: IPVS keeps its own connection table, not conntrack's; with
 * net.ipv4.vs.expire_nodest_conn=1 (set on the first full sync) a flow whose real server was
 * removed is expired on its next packet, TCP and UDP alike, which is what conntrack cleanup does
 * for the nftables path. Not exercised on a real kernel here (this one has no IPVS).
 */
import { NO_CLEANUP, type LbBackend, type LbSyncResult } from './backend.js';
import { spawnRunner, type CommandRunner } from './command.js';
import { LbCommandError } from './errors.js';
import { renderIpvsDiff, renderIpvsFull, renderIpvsMarksDiff, renderIpvsMarksFull, renderIpvsMarksRemove } from './ipvs-render.js';
import { normalizeVipTable, type NormalVipTable, type VipTable } from './model.js';
import { NetnsStates, statNetnsIdentity, type NetnsIdentity } from './netns-state.js';
import { runStep } from './run-step.js';

export interface IpvsLbBackendOptions {
  run?: CommandRunner;
  identity?: NetnsIdentity;
}

const RESTORE = ['ipvsadm-restore'];
const NFT = ['nft', '-f', '-'];
const SYSCTL = ['sysctl', '-q', '-w', 'net.ipv4.vs.expire_nodest_conn=1'];

export class IpvsLbBackend implements LbBackend {
  private readonly run: CommandRunner;
  private readonly identity: NetnsIdentity;
  private readonly states = new NetnsStates<NormalVipTable>();

  constructor(opts: IpvsLbBackendOptions = {}) {
    this.run = opts.run ?? spawnRunner();
    this.identity = opts.identity ?? statNetnsIdentity;
  }

  async sync(netnsPath: string, table: VipTable): Promise<LbSyncResult> {
    const next = normalizeVipTable(table);
    return this.states.serial(netnsPath, async () => {
      const id = await this.identity(netnsPath);
      if (id === undefined) {
        this.states.forget(netnsPath);
        throw new LbCommandError({ netns: netnsPath, step: 'netns', argv: [], status: null, stderr: 'no such namespace (container gone?)' });
      }
      const prev = this.states.get(netnsPath, id);
      let bytes = 0;
      let fullReason = 'unknown';
      if (prev !== undefined) {
        const ipvs = renderIpvsDiff(prev, next);
        const marks = renderIpvsMarksDiff(prev, next);
        if (ipvs.before === '' && ipvs.after === '' && marks === '') return { mode: 'none', bytes: 0, cleanup: NO_CLEANUP };
        try {
          for (const [tool, step, text] of [
            [RESTORE, 'ipvs', ipvs.before],
            [NFT, 'partial-sync', marks],
            [RESTORE, 'ipvs', ipvs.after],
          ] as const) {
            if (text === '') continue;
            bytes += text.length;
            await runStep(this.run, netnsPath, step, tool, text);
          }
          this.states.set(netnsPath, id, next);
          return { mode: 'partial', bytes, cleanup: NO_CLEANUP };
        } catch (e) {
          if (!(e instanceof LbCommandError)) throw e;
          fullReason = e.message;
        }
      }
      this.states.forget(netnsPath);
      const ipvs = renderIpvsFull(next);
      const marks = renderIpvsMarksFull(next);
      bytes += ipvs.length + marks.length;
      await runStep(this.run, netnsPath, 'ipvs', SYSCTL);
      await runStep(this.run, netnsPath, 'ipvs', RESTORE, ipvs);
      await runStep(this.run, netnsPath, 'full-sync', NFT, marks);
      this.states.set(netnsPath, id, next);
      return { mode: 'full', bytes, fullReason, cleanup: NO_CLEANUP };
    });
  }

  remove(netnsPath: string): Promise<void> {
    return this.states.serial(netnsPath, async () => {
      this.states.forget(netnsPath);
      if ((await this.identity(netnsPath)) === undefined) return;
      await runStep(this.run, netnsPath, 'remove', NFT, renderIpvsMarksRemove());
      await runStep(this.run, netnsPath, 'remove', ['ipvsadm', '-C']);
    });
  }

  forget(netnsPath: string): void {
    this.states.forget(netnsPath);
  }
}
