/**
 * The backend side's I/O edge: reply routing (reply-render.ts) inside each backend task's netns.
 * Applied when the task starts (before it is reported running, so it is never a backend without
 * it) and again when the set of nodes changes; remembered per namespace identity, so an
 * unchanged state costs nothing and a restarted container (a new namespace) is programmed anew.
 */
import { inNetns, spawnRunner, type CommandRunner } from '../lb/command.js';
import { NetnsStates, statNetnsIdentity, type NetnsIdentity } from '../lb/netns-state.js';
import { IngressCommandError, IngressInputError } from './errors.js';
import { renderReplyTable, replyEntries, replyRouteBatch, type ListedRule } from './reply-render.js';

export interface ReplyWanted {
  /** The task's address on the ingress overlay (its interface is found by it). */
  address: string;
  /** Every node's ingress address. */
  gateways: readonly string[];
  /** This node's ingress address. */
  self: string;
}

export interface IngressReplyProgrammerOptions {
  run?: CommandRunner;
  identity?: NetnsIdentity;
  macForIp: (ip: string) => string;
}

export class IngressReplyProgrammer {
  private readonly run: CommandRunner;
  private readonly identity: NetnsIdentity;
  private readonly states = new NetnsStates<string>();

  constructor(private readonly o: IngressReplyProgrammerOptions) {
    this.run = o.run ?? spawnRunner();
    this.identity = o.identity ?? statNetnsIdentity;
  }

  sync(netnsPath: string, wanted: ReplyWanted): Promise<boolean> {
    return this.states.serial(netnsPath, () => this.syncLocked(netnsPath, wanted));
  }

  forget(netnsPath: string): void {
    this.states.forget(netnsPath);
  }

  known(): string[] {
    return this.states.known();
  }

  private async syncLocked(netnsPath: string, w: ReplyWanted): Promise<boolean> {
    const id = await this.identity(netnsPath);
    if (id === undefined) {
      this.states.forget(netnsPath);
      throw new IngressCommandError('reply routing', [netnsPath], null, 'no such namespace (container gone?)');
    }
    const key = JSON.stringify([w.address, [...w.gateways].sort(), w.self]);
    if (this.states.get(netnsPath, id) === key) return false;
    this.states.forget(netnsPath);
    const iface = await this.ifaceOf(netnsPath, w.address);
    const entries = replyEntries({ iface, gateways: w.gateways, self: w.self }, this.o.macForIp);
    await this.exec(netnsPath, 'sysctl', ['sysctl', '-qw', 'net.ipv4.tcp_fwmark_accept=1', 'net.ipv4.conf.all.src_valid_mark=1']);
    await this.exec(netnsPath, 'table', ['nft', '-f', '-'], renderReplyTable(iface, entries));
    const listed = parseRules(await this.exec(netnsPath, 'rules', ['ip', '-j', 'rule', 'show']));
    await this.exec(netnsPath, 'routes', ['ip', '-batch', '-'], replyRouteBatch(iface, w.self, entries, listed));
    this.states.set(netnsPath, id, key);
    return true;
  }

  private async ifaceOf(netnsPath: string, address: string): Promise<string> {
    const links = JSON.parse((await this.exec(netnsPath, 'addresses', ['ip', '-j', 'addr', 'show'])) || '[]') as Array<{ ifname?: string; addr_info?: Array<{ family?: string; local?: string }> }>;
    const l = links.find((x) => (x.addr_info ?? []).some((a) => a.family === 'inet' && a.local === address));
    if (l?.ifname === undefined) throw new IngressInputError(`no interface holds the ingress address ${address} in ${netnsPath}`, 'the task is not attached to the ingress network yet');
    // Docker's names inside a container (`eth1`) carry no `@peer` suffix in JSON, but be safe.
    return l.ifname.split('@')[0]!;
  }

  private async exec(netnsPath: string, what: string, tool: string[], stdin?: string): Promise<string> {
    const argv = inNetns(netnsPath, tool);
    const r = await this.run(argv, stdin);
    if (r.code !== 0) throw new IngressCommandError(`reply ${what} in ${netnsPath}`, argv, r.code, r.stderr);
    return r.stdout;
  }
}

/** `ip -j rule show`: priority, fwmark and table of each rule. */
export function parseRules(text: string): ListedRule[] {
  const v = JSON.parse(text.trim() === '' ? '[]' : text) as unknown;
  if (!Array.isArray(v)) return [];
  return v.flatMap((r: { priority?: unknown; fwmark?: unknown; table?: unknown }) =>
    typeof r.priority === 'number' ? [{ priority: r.priority, ...(typeof r.fwmark === 'string' ? { fwmark: r.fwmark } : {}), table: typeof r.table === 'string' || typeof r.table === 'number' ? String(r.table) : '' }] : [],
  );
}
