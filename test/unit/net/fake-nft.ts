/**
 * A fake of nft (and conntrack) behind the CommandRunner seam: it interprets the flat command
 * subset our renderers write, per namespace, with nft's transaction semantics (a script commits
 * whole or not at all) and the references the kernel checks (a vmap element needs its chain, a
 * chain in use cannot be deleted, deleting what is absent fails). It is a model, not nft: the real
 * syntax is checked by the integration test.
 */
import { readFileSync } from 'node:fs';
import type { CommandResult, CommandRunner } from '../../../src/net/lb/command.js';

interface FakeTable {
  sets: Map<string, Map<string, string>>; // set/map name -> key -> value ('' for sets)
  chains: Map<string, string[]>; // chain -> rule texts
}
type Ruleset = Map<string, FakeTable>; // "ip tsswarm-lb" -> table

export interface FakeCall {
  netns: string;
  argv: readonly string[];
  stdin: string | undefined;
}

export class FakeNftKernel {
  readonly namespaces = new Map<string, Ruleset>();
  readonly calls: FakeCall[] = [];
  /** Fail the next nft scripts that match (once each). */
  private readonly failures: Array<(script: string) => boolean> = [];
  /** What `conntrack -R FILE` answers (batch mode: status 0 whether or not a line matched). */
  conntrackAnswer: CommandResult = { code: 0, stdout: '', stderr: '' };

  failNextNft(match: (script: string) => boolean = () => true): void {
    this.failures.push(match);
  }

  nftCalls(): FakeCall[] {
    return this.calls.filter((c) => c.argv[2] === 'nft');
  }

  conntrackCalls(): FakeCall[] {
    return this.calls.filter((c) => c.argv[2] === 'conntrack');
  }

  /** Every `conntrack -R` line run, in order (batch files concatenated). */
  conntrackLines(): string[] {
    return this.conntrackCalls().flatMap((c) => (c.stdin ?? '').split('\n').filter((l) => l !== ''));
  }

  readonly run: CommandRunner = async (argv, stdin) => {
    const [nsenter, net, tool, ...rest] = argv;
    if (nsenter !== 'nsenter' || !net?.startsWith('--net=')) throw new Error(`fake: unexpected argv ${argv.join(' ')}`);
    const netns = net.slice('--net='.length);
    this.calls.push({ netns, argv, stdin });
    if (tool === 'conntrack') {
      const [flag, file, ...more] = rest;
      if (flag !== '-R' || file === undefined || more.length > 0) throw new Error(`fake: unexpected conntrack argv ${argv.join(' ')}`);
      // The batch file exists while conntrack runs: keep what it said as this call's stdin.
      this.calls[this.calls.length - 1] = { netns, argv, stdin: readFileSync(file, 'utf8') };
      return this.conntrackAnswer;
    }
    if (tool !== 'nft' || rest.join(' ') !== '-f -') throw new Error(`fake: unexpected tool ${argv.join(' ')}`);
    return this.apply(netns, stdin ?? '');
  };

  /** One nft transaction on `netns`, as `nft -f -` would answer it (no call recorded). */
  apply(netns: string, script: string): CommandResult {
    const fail = this.failures.findIndex((f) => f(script));
    if (fail >= 0) {
      this.failures.splice(fail, 1);
      return { code: 1, stdout: '', stderr: '/dev/stdin:1:1-4: Error: Could not process rule: Operation not permitted\n' };
    }
    const current = this.namespaces.get(netns) ?? new Map();
    const work = cloneRuleset(current);
    const lines = script.split('\n');
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!.trim();
      if (line === '' || line.startsWith('#')) continue;
      const err = applyLine(work, line);
      if (err !== undefined) return { code: 1, stdout: '', stderr: `/dev/stdin:${i + 1}:1-${line.length}: Error: ${err}\n${line}\n` };
    }
    this.namespaces.set(netns, work);
    return { code: 0, stdout: '', stderr: '' };
  }

  /** Our table in `netns` read back as VIP -> backends (refusing VIPs with []), or undefined. */
  vips(netns: string, table = 'ip tsswarm-lb'): Map<string, string[]> | undefined {
    const t = this.namespaces.get(netns)?.get(table);
    if (t === undefined) return undefined;
    const out = new Map<string, string[]>();
    const backends = t.sets.get('backends') ?? new Map<string, string>();
    for (const [vip, verdict] of t.sets.get('vips') ?? []) {
      const chain = /^goto (\S+)$/.exec(verdict)?.[1] ?? '';
      const rules = t.chains.get(chain) ?? [];
      const m = /^dnat to ip daddr \. numgen random mod (\d+) map @backends$/.exec(rules[0] ?? '');
      if (rules.length !== 1 || !m || chain !== `mod-${m[1]}`) throw new Error(`fake: chain ${chain} holds ${JSON.stringify(rules)}`);
      const bs: string[] = [];
      for (let i = 0; i < Number(m[1]); i++) {
        const b = backends.get(`${vip} . ${i}`);
        if (b === undefined) throw new Error(`fake: ${vip} jumps to ${chain} but has no backend ${i}`);
        bs.push(b);
      }
      out.set(vip, bs);
    }
    for (const vip of t.sets.get('refuse')?.keys() ?? []) out.set(vip, []);
    return out;
  }

  chains(netns: string, table = 'ip tsswarm-lb'): string[] {
    return [...(this.namespaces.get(netns)?.get(table)?.chains.keys() ?? [])].sort();
  }

  /** Someone else changes the namespace (a user's `nft flush ruleset`, a restarted container). */
  wipe(netns: string): void {
    this.namespaces.delete(netns);
  }
}

const ENOENT = 'Could not process rule: No such file or directory';

function cloneRuleset(r: Ruleset): Ruleset {
  return new Map(
    [...r].map(([k, t]) => [
      k,
      { sets: new Map([...t.sets].map(([n, s]) => [n, new Map(s)])), chains: new Map([...t.chains].map(([n, c]) => [n, [...c]])) },
    ]),
  );
}

function applyLine(r: Ruleset, line: string): string | undefined {
  const m = /^(add|delete|flush) (table|map|set|chain|rule|element) (\w+) (\S+)(?: (\S+))?(?: (.*))?$/.exec(line);
  if (!m) return `syntax error: ${line}`;
  const [, verb, kind, family, tableName, name, rest] = m;
  const key = `${family} ${tableName}`;
  const table = r.get(key);
  if (kind === 'table') {
    if (verb === 'add') {
      if (!table) r.set(key, { sets: new Map(), chains: new Map() });
      return undefined;
    }
    if (verb === 'delete') return r.delete(key) ? undefined : ENOENT;
    return 'unsupported';
  }
  if (!table || name === undefined) return ENOENT;
  switch (`${verb} ${kind}`) {
    case 'add map':
    case 'add set':
      if (!table.sets.has(name)) table.sets.set(name, new Map());
      return undefined;
    case 'add chain':
      if (!table.chains.has(name)) table.chains.set(name, []);
      return undefined;
    case 'flush chain': {
      const c = table.chains.get(name);
      if (!c) return ENOENT;
      c.length = 0;
      return undefined;
    }
    case 'delete chain': {
      if (!table.chains.has(name)) return ENOENT;
      for (const s of table.sets.values()) for (const v of s.values()) if (v === `goto ${name}` || v === `jump ${name}`) return 'Could not process rule: Device or resource busy';
      table.chains.delete(name);
      return undefined;
    }
    case 'add rule': {
      const c = table.chains.get(name);
      if (!c) return ENOENT;
      const ref = /@(\S+)/.exec(rest ?? '')?.[1];
      if (ref !== undefined && !table.sets.has(ref)) return ENOENT;
      c.push(rest ?? '');
      return undefined;
    }
    case 'add element':
    case 'delete element': {
      const s = table.sets.get(name);
      if (!s) return ENOENT;
      const body = /^\{ (.*) \}$/.exec(rest ?? '')?.[1];
      if (body === undefined) return `syntax error: ${line}`;
      for (const el of body.split(', ')) {
        const [k, v = ''] = el.split(' : ');
        if (k === undefined) return 'syntax error';
        if (verb === 'add') {
          const target = /^(?:goto|jump) (\S+)$/.exec(v)?.[1];
          if (target !== undefined && !table.chains.has(target)) return ENOENT;
          s.set(k, v);
        } else if (!s.delete(k)) return ENOENT;
      }
      return undefined;
    }
    default:
      return 'unsupported';
  }
}

/**
 * A fake `nft -i` behind the SessionSpawner seam, over the same FakeNftKernel: each line written
 * is one transaction (commands split at `; ` before a verb), errors go to stderr as nft prints
 * them, the sentinel `list set` of a missing table answers with its error block. Knobs make it
 * die, hang or chatter on stdout to exercise the pool's doubt handling.
 */
import type { SessionChild, SessionSpawner } from '../../../src/net/lb/nft-session.js';

export class FakeNftSessions {
  spawned = 0;
  alive = 0;
  /** The next batch line kills the process after applying it (commit, then no answer). */
  dieAfterNextBatch = false;
  /** The next batch line is applied and then never answered. */
  hangNextBatch = false;
  /** The next batch line prints this on stdout after applying. */
  chatterNextBatch: string | undefined;
  readonly lines: Array<{ netns: string; line: string }> = [];

  constructor(private readonly kernel: FakeNftKernel) {}

  readonly spawn: SessionSpawner = (argv) => {
    const [nsenter, net, tool, flag] = argv;
    if (nsenter !== 'nsenter' || !net?.startsWith('--net=') || tool !== 'nft' || flag !== '-i') throw new Error(`fake: unexpected argv ${argv.join(' ')}`);
    const netns = net.slice('--net='.length);
    this.spawned++;
    this.alive++;
    let out: (t: string) => void = () => {};
    let err: (t: string) => void = () => {};
    const exits: Array<(why: string) => void> = [];
    let dead = false;
    let silent = false;
    const die = (why: string) => {
      if (dead) return;
      dead = true;
      this.alive--;
      queueMicrotask(() => exits.forEach((cb) => cb(why)));
    };
    const child: SessionChild = {
      write: (text) => {
        for (const line of text.split('\n')) {
          if (line === '' || dead || silent) continue;
          this.lines.push({ netns, line });
          const sentinel = /^list set ip (\S+) s$/.exec(line);
          if (sentinel) {
            const pad = ' '.repeat('list set ip '.length);
            queueMicrotask(() => err(`Error: No such file or directory\n${line}\n${pad}${'^'.repeat(sentinel[1]!.length)}\n`));
            continue;
          }
          const script = line.split(/; (?=(?:add|delete|flush) )/).join('\n') + '\n';
          const r = this.kernel.apply(netns, script);
          if (r.code !== 0) queueMicrotask(() => err(`Error: ${r.stderr.replace(/^\/dev\/stdin:\S+ Error: /, '').split('\n')[0]}\n${line}\n^^^\n`));
          if (this.dieAfterNextBatch) {
            this.dieAfterNextBatch = false;
            die('exited (SIGKILL)');
          } else if (this.hangNextBatch) {
            this.hangNextBatch = false;
            silent = true; // alive, but never answers again
          } else if (this.chatterNextBatch !== undefined) {
            const c = this.chatterNextBatch;
            this.chatterNextBatch = undefined;
            queueMicrotask(() => out(c));
          }
        }
      },
      onStdout: (cb) => (out = cb),
      onStderr: (cb) => (err = cb),
      onExit: (cb) => exits.push(cb),
      kill: () => die('exited (SIGKILL)'),
    };
    return child;
  };
}
