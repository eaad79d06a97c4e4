/**
 * Long-lived `nsenter --net=PATH nft -i` processes, one per namespace, for partial syncs.
 *
 * Why: a one-shot `nft -f -` pays a process start, and its exit pays more: closing nft's netlink
 * socket waits for the kernel's deferred destruction of what the transaction deleted (an RCU
 * grace period, NETLINK_URELEASE -> nf_tables_trans_destroy_flush_work), ~15 ms on a loaded box.
 * A process that stays open skips both. Measured at 1,000 VIPs x 10 backends: a change through a
 * session costs ~1 ms at p50 where a one-shot costs ~20 ms (specs/networking.md).
 *
 * Protocol. In interactive mode nft reads one line at a time and runs each line as one
 * transaction (`cmd; cmd; cmd` commits whole or not at all), printing errors on stderr and
 * nothing on stdout for our commands. After each batch line we write a sentinel line,
 * `list set ip tsswarm-sentinel-<nonce>-<seq> s`, that fails with a known error naming a table
 * nobody has: when its error block arrives on stderr, everything before it is the batch's own
 * stderr (empty: committed; not empty: refused, nothing applied). Both lines go down one pipe
 * and both answers come up one pipe, so the order is nft's own.
 *
 * Doubt. Anything else — the process died or never started, output on stdout, the sentinel's
 * error not the expected one, no answer within the timeout — means we cannot tell whether the
 * batch committed: the session is killed and {@link NftSessionDoubt} thrown; the programmer then
 * falls back to a one-shot full sync, which is right whatever happened.
 *
 * Lifetime. A process inside a namespace keeps that namespace alive, so sessions are bounded:
 * at most `max` (LRU; beyond it callers use a one-shot), closed after `idleMs` without use, on
 * `close(path)` (the programmer's forget/remove, a vanished namespace) and when the namespace
 * behind the path changes identity. Children are unref'd (they never keep Node alive) and read
 * EOF on stdin when we exit, so they end with us.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { inNetns, type CommandResult } from './command.js';

/** One interactive child, as the pool sees it (tests inject fakes). */
export interface SessionChild {
  write(text: string): void;
  onStdout(cb: (text: string) => void): void;
  onStderr(cb: (text: string) => void): void;
  /** Called once when the process has ended or could not start. */
  onExit(cb: (why: string) => void): void;
  kill(): void;
}

export type SessionSpawner = (argv: readonly string[]) => SessionChild;

/** The real spawner: the child and its pipes are unref'd. */
export const spawnSession: SessionSpawner = (argv) => {
  const [file, ...args] = argv;
  const child = spawn(file ?? 'nsenter', args, { stdio: ['pipe', 'pipe', 'pipe'] });
  child.unref();
  for (const s of [child.stdin, child.stdout, child.stderr]) (s as unknown as { unref?: () => void }).unref?.();
  child.stdin.on('error', () => {}); // EPIPE after death: the exit tells the story
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  let exited = false;
  const exits: Array<(why: string) => void> = [];
  const done = (why: string) => {
    if (exited) return;
    exited = true;
    for (const cb of exits) cb(why);
  };
  child.on('error', (e) => done(`cannot run: ${e.message}`));
  child.on('exit', (code, signal) => done(`exited (${signal ?? `status ${String(code)}`})`));
  return {
    write: (text) => {
      if (!exited && child.stdin.writable) child.stdin.write(text);
    },
    onStdout: (cb) => child.stdout.on('data', cb),
    onStderr: (cb) => child.stderr.on('data', cb),
    onExit: (cb) => exits.push(cb),
    kill: () => {
      child.stdin.destroy();
      child.kill('SIGKILL');
    },
  };
};

/** Whether the batch committed is unknown (the session is gone); fall back to a full sync. */
export class NftSessionDoubt extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NftSessionDoubt';
  }
}

export interface NftSessionPoolOptions {
  spawn?: SessionSpawner;
  /** Live sessions at most (default 64); beyond, the least recently used idle one is closed. */
  max?: number;
  /** A session unused this long is closed (default 60 s): it pins its namespace. */
  idleMs?: number;
  /** No answer within this is a doubt (default 10 s). */
  timeoutMs?: number;
  /** Scripts longer than this go one-shot (default 64 KiB; full syncs always do). */
  maxScriptBytes?: number;
}

interface Pending {
  token: string;
  resolve: (r: CommandResult) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

interface Session {
  id: string;
  child: SessionChild;
  stderr: string;
  pending: Pending | undefined;
  idle: NodeJS.Timeout | undefined;
  dead: boolean;
}

export class NftSessionPool {
  private readonly spawn: SessionSpawner;
  private readonly max: number;
  private readonly idleMs: number;
  private readonly timeoutMs: number;
  private readonly maxScriptBytes: number;
  private readonly nonce = randomBytes(4).toString('hex');
  private seq = 0;
  /** Insertion order is recency order (LRU first). */
  private readonly sessions = new Map<string, Session>();

  constructor(opts: NftSessionPoolOptions = {}) {
    this.spawn = opts.spawn ?? spawnSession;
    this.max = opts.max ?? 64;
    this.idleMs = opts.idleMs ?? 60_000;
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.maxScriptBytes = opts.maxScriptBytes ?? 65_536;
  }

  /** Live sessions (for tests and `info`). */
  get size(): number {
    return this.sessions.size;
  }

  /**
   * Runs `script` (flat `nft -f` lines) as one transaction in the namespace's session. Resolves
   * like a one-shot would (code 0, or 1 with nft's stderr: refused, nothing applied); undefined
   * when no session can take it (too long, every slot busy): use a one-shot. Throws
   * {@link NftSessionDoubt} when the outcome is unknown. Callers serialise per namespace.
   */
  async transact(netnsPath: string, id: string, script: string): Promise<CommandResult | undefined> {
    const line = script
      .split('\n')
      .filter((l) => l.trim() !== '')
      .join('; ');
    if (line === '' || line.length > this.maxScriptBytes || /[#\r]/.test(line)) return undefined;
    const s = this.session(netnsPath, id);
    if (s === undefined) return undefined;
    if (s.idle !== undefined) clearTimeout(s.idle);
    s.idle = undefined;
    const token = `tsswarm-sentinel-${this.nonce}-${++this.seq}`;
    try {
      return await new Promise<CommandResult>((resolve, reject) => {
        const timer = setTimeout(() => this.kill(netnsPath, s, `no answer within ${this.timeoutMs} ms`), this.timeoutMs);
        s.pending = { token, resolve, reject, timer };
        s.child.write(`${line}\nlist set ip ${token} s\n`);
      });
    } finally {
      if (!s.dead) s.idle = unref(setTimeout(() => this.close(netnsPath), this.idleMs));
    }
  }

  /** Ends the namespace's session, if any (a pending transaction becomes a doubt). */
  close(netnsPath: string): void {
    const s = this.sessions.get(netnsPath);
    if (s !== undefined) this.kill(netnsPath, s, 'closed');
  }

  closeAll(): void {
    for (const p of [...this.sessions.keys()]) this.close(p);
  }

  private session(netnsPath: string, id: string): Session | undefined {
    const had = this.sessions.get(netnsPath);
    if (had !== undefined && had.id === id) {
      this.sessions.delete(netnsPath); // move to the most recent end
      this.sessions.set(netnsPath, had);
      return had;
    }
    if (had !== undefined) this.kill(netnsPath, had, 'the namespace changed');
    if (this.sessions.size >= this.max) {
      const victim = [...this.sessions].find(([, v]) => v.pending === undefined);
      if (victim === undefined) return undefined;
      this.kill(victim[0], victim[1], 'evicted');
    }
    const child = this.spawn(inNetns(netnsPath, ['nft', '-i']));
    const s: Session = { id, child, stderr: '', pending: undefined, idle: undefined, dead: false };
    this.sessions.set(netnsPath, s);
    child.onStdout((text) => this.kill(netnsPath, s, `unexpected output: ${text.slice(0, 200)}`));
    child.onStderr((text) => this.onStderr(netnsPath, s, text));
    child.onExit((why) => this.kill(netnsPath, s, `nft -i ${why}: ${s.stderr.trim().slice(0, 500)}`));
    return s;
  }

  private onStderr(netnsPath: string, s: Session, text: string): void {
    s.stderr += text;
    const p = s.pending;
    if (p === undefined) return this.kill(netnsPath, s, `unexpected output: ${s.stderr.slice(0, 200)}`);
    const marker = `list set ip ${p.token} s\n`;
    const at = s.stderr.indexOf(marker);
    if (at < 0) return;
    const rest = s.stderr.slice(at + marker.length);
    const nl = rest.indexOf('\n');
    if (nl < 0) return; // the caret line has not arrived yet
    const caret = rest.slice(0, nl);
    const before = s.stderr.slice(0, at);
    const errAt = before.lastIndexOf('Error: ');
    const sentinelError = errAt < 0 ? '' : before.slice(errAt);
    if (!/^\s*\^+\s*$/.test(caret) || rest.length > nl + 1 || !/^Error: No such file or directory\n$/.test(sentinelError)) {
      return this.kill(netnsPath, s, `unexpected sentinel answer: ${s.stderr.slice(0, 500)}`);
    }
    const batch = before.slice(0, errAt);
    s.stderr = '';
    s.pending = undefined;
    clearTimeout(p.timer);
    p.resolve(batch === '' ? { code: 0, stdout: '', stderr: '' } : { code: 1, stdout: '', stderr: batch });
  }

  private kill(netnsPath: string, s: Session, why: string): void {
    if (this.sessions.get(netnsPath) === s) this.sessions.delete(netnsPath);
    if (s.idle !== undefined) clearTimeout(s.idle);
    s.idle = undefined;
    const p = s.pending;
    s.pending = undefined;
    if (!s.dead) {
      s.dead = true;
      s.child.kill();
    }
    if (p !== undefined) {
      clearTimeout(p.timer);
      p.reject(new NftSessionDoubt(`nft session in ${netnsPath}: ${why}`));
    }
  }
}

function unref(t: NodeJS.Timeout): NodeJS.Timeout {
  t.unref();
  return t;
}
