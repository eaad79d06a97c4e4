/**
 * The entry side's I/O edge: the host's `tsswarm-ingress` table (host-render.ts), Docker's FORWARD
 * policy, and the conntrack entries of removed UDP backends.
 *
 * Docker sets the host's iptables FORWARD policy to DROP and accepts only what its own networks
 * need, so a connection DNATed into the ingress overlay would die there whatever our tables say.
 * Docker's documented place for an operator's own rule is the DOCKER-USER chain, which FORWARD
 * jumps to first: one rule accepting connections that carry our ingress conntrack mark (replies
 * included), added while some port is published and removed with the table.
 */
import { spawnRunner, type CommandRunner } from '../lb/command.js';
import { IngressCommandError } from './errors.js';
import { normalizeHostTable, removeHostScript, renderHostTable, type IngressHostTable } from './host-render.js';
import { INGRESS_CT_MARK, hex } from './marks.js';

const DOCKER_USER_RULE = ['DOCKER-USER', '-m', 'connmark', '--mark', `${hex(INGRESS_CT_MARK)}/${hex(INGRESS_CT_MARK)}`, '-m', 'comment', '--comment', 'tsswarm-ingress', '-j', 'ACCEPT'];

export interface IngressHostProgrammerOptions {
  run?: CommandRunner;
  /** A removed backend's UDP flows could not be deleted (the table is right; they expire on their own). */
  onWarning?: (msg: string) => void;
}

export class IngressHostProgrammer {
  private readonly run: CommandRunner;
  private readonly onWarning: (msg: string) => void;
  /** What was last committed; undefined: unknown (a fresh process), so the first sync always writes. */
  private committed: { script: string; table: IngressHostTable | null } | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(o: IngressHostProgrammerOptions = {}) {
    this.run = o.run ?? spawnRunner();
    this.onWarning = o.onWarning ?? (() => {});
  }

  /** Makes the host hold exactly `table` (null: no published port, nothing of ours). True when it changed something. */
  sync(table: IngressHostTable | null): Promise<boolean> {
    // Bad input fails before anything is touched.
    const next = table === null ? null : normalizeHostTable(table);
    const run = this.queue.then(() => this.syncLocked(next));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Everything of ours goes (node leave). */
  remove(): Promise<boolean> {
    this.committed = undefined;
    return this.sync(null);
  }

  private async syncLocked(next: IngressHostTable | null): Promise<boolean> {
    const script = next === null ? removeHostScript() : renderHostTable(next);
    if (this.committed?.script === script) return false;
    const prev = this.committed?.table ?? null;
    this.committed = undefined;
    if (next !== null) await this.forwardRule(true);
    await this.exec('table', ['nft', '-f', '-'], script);
    if (next === null) await this.forwardRule(false);
    this.committed = { script, table: next };
    await this.cleanUdp(prev, next);
    return true;
  }

  private async forwardRule(wanted: boolean): Promise<void> {
    const [chain, ...spec] = DOCKER_USER_RULE;
    const exists = async (): Promise<boolean> => (await this.run(['iptables', '-w', '-C', chain!, ...spec])).code === 0;
    if ((await this.run(['iptables', '-w', '-S', chain!])).code !== 0) return; // no Docker FORWARD rules to pass
    if (wanted && !(await exists())) await this.exec('forward rule', ['iptables', '-w', '-I', chain!, '1', ...spec]);
    if (!wanted) while (await exists()) await this.exec('forward rule', ['iptables', '-w', '-D', chain!, ...spec]);
  }

  /**
   * UDP flows to a backend that left a port: every datagram refreshes its entry, so a chatty
   * client would stick to a gone backend. TCP is left to finish (the stop gate keeps the task
   * alive for its in-flight requests, as for VIPs: src/net/lb/conntrack.ts). A port that is no
   * longer published loses all its marked flows (nothing of the mesh is left behind).
   */
  private async cleanUdp(prev: IngressHostTable | null, next: IngressHostTable | null): Promise<void> {
    const mark = `${hex(INGRESS_CT_MARK)}/${hex(INGRESS_CT_MARK)}`;
    // No port left: every marked flow goes, also those of ports an earlier, failed sync lost track of.
    if (next === null) return this.conntrack(['--mark', mark], 'flows of the mesh');
    for (const p of prev?.ports ?? []) {
      const now = next?.ports.find((q) => q.protocol === p.protocol && q.port === p.port);
      // A port no longer published: its connections, whatever the protocol, lead nowhere now.
      if (now === undefined) {
        await this.conntrack(['-p', p.protocol, '--orig-port-dst', String(p.port), '--mark', mark], `flows of ${p.port}/${p.protocol}`);
        continue;
      }
      if (p.protocol !== 'udp') continue;
      for (const b of p.backends) {
        if (now.backends.includes(b) && now.target === p.target) continue;
        await this.conntrack(['-p', 'udp', '--orig-port-dst', String(p.port), '--reply-src', b], `UDP flows of ${b} on ${p.port}/udp`);
      }
    }
  }

  private async conntrack(filter: string[], what: string): Promise<void> {
    const r = await this.run(['conntrack', '-D', ...filter]).catch((e: unknown) => ({ code: null, stdout: '', stderr: String(e) }));
    // Exit 1 with "0 flow entries have been deleted" is the common case: nothing to delete.
    if (r.code !== 0 && !/0 flow entries/.test(r.stderr)) this.onWarning(`ingress: deleting ${what}: ${r.stderr.trim()}`);
  }

  private async exec(what: string, argv: string[], stdin?: string): Promise<string> {
    const r = await this.run(argv, stdin);
    if (r.code !== 0) throw new IngressCommandError(what, argv, r.code, r.stderr);
    return r.stdout;
  }
}
