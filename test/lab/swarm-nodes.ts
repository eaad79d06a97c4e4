/**
 * tsswarm daemons on lab hosts: start one per host (as systemd would), run the real CLI inside a
 * host, talk to a daemon's unix socket from the test, kill -9 and restart daemons.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { apiRequest, type RequestOptions } from '../../src/swarm/api/client.js';
import { answers } from '../../src/swarm/daemon/daemon.js';
import { eventually, type Lab, type LabHost, type LabProcess, type RunResult } from './harness.js';

export const TSSWARM_BIN = path.resolve('bin/tsswarm.mjs');
export const API_PORT = 4242;

export interface SwarmNodeOptions {
  /** Agents' heartbeat period for a cluster created here (ms); small so tests see `down` quickly. */
  heartbeatMs?: number;
  /** Extra environment for every daemon. */
  env?: Record<string, string>;
}

/** Raft/manager status as `tsswarm info --format json` reports it. */
export interface InfoJson {
  member: boolean;
  nodeId?: string;
  clusterId?: string;
  role?: 'manager' | 'worker';
  leader?: string | null;
  managers?: { nodeId: string; apiAddr: string; raftAddr: string }[];
  raft?: { role: string; term: number; commit: number; applied: number; voters?: number; learners?: number };
}

export class SwarmNodes {
  private readonly daemons = new Map<string, LabProcess>();

  constructor(
    readonly lab: Lab,
    private readonly o: SwarmNodeOptions = {},
  ) {}

  socket(h: LabHost | string): string {
    return path.join(path.dirname(this.host(h).socket), 'tsswarm.sock');
  }

  dataDir(h: LabHost | string): string {
    return path.join(path.dirname(this.host(h).dataRoot), 'tsswarm');
  }

  addr(h: LabHost | string): string {
    return `${this.host(h).ip}:${API_PORT}`;
  }

  host(h: LabHost | string): LabHost {
    return typeof h === 'string' ? this.lab.host(h) : h;
  }

  /** Starts `tsswarm daemon` in the host and waits for its socket. */
  async start(h: LabHost | string): Promise<void> {
    const host = this.host(h);
    // Each node runs its tasks on its own host's engine.
    // No DNS forwarding: a test's lookup of a name that is not the cluster's must never leave the machine.
    const env: Record<string, string> = { TSSWARM_HEARTBEAT_MS: String(this.o.heartbeatMs ?? 1000), DOCKER_HOST: host.dockerHost, TSSWARM_DNS_UPSTREAMS: '', ...this.o.env };
    const proc = this.lab.spawnInHost(host, process.execPath, [TSSWARM_BIN, '--host', this.socket(host), '--data-dir', this.dataDir(host), 'daemon'], env, {
      logFile: path.join(path.dirname(host.configFile), 'tsswarm.log'),
    });
    this.daemons.set(host.id, proc);
    await eventually(async () => (await answers(this.socket(host))) || undefined, { timeoutMs: 20_000, what: `the tsswarm daemon of ${host.id}` });
  }

  /** The pid of the host's daemon process this object started, or undefined. */
  pid(h: LabHost | string): number | undefined {
    return this.daemons.get(this.host(h).id)?.pid;
  }

  /** kill -9 (a crash) or SIGTERM (a clean stop) of the host's daemon; waits until it is gone. */
  async kill(h: LabHost | string, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const host = this.host(h);
    const proc = this.daemons.get(host.id);
    if (!proc) return;
    proc.kill(signal);
    await proc.exited;
    this.daemons.delete(host.id);
  }

  /** The real CLI inside the host: `tsswarm --host SOCK --data-dir DIR args...`. */
  cli(h: LabHost | string, args: readonly string[], timeoutMs = 30_000, input?: string): Promise<RunResult> {
    const host = this.host(h);
    return this.lab.exec(host, [process.execPath, TSSWARM_BIN, '--host', this.socket(host), '--data-dir', this.dataDir(host), ...args], {
      check: false,
      timeoutMs,
      ...(input === undefined ? {} : { input }),
    });
  }

  /** Like {@link cli} but throws with the output on a non-zero exit. */
  async ok(h: LabHost | string, args: readonly string[]): Promise<string> {
    const r = await this.cli(h, args);
    if (r.code !== 0) throw new Error(`tsswarm ${args.join(' ')} on ${this.host(h).id} exited ${r.code}: ${r.stderr.trim()}`);
    return r.stdout;
  }

  /** A request straight to the daemon's unix socket (what the CLI sends), without a process start. */
  local<T>(h: LabHost | string, urlPath: string, opts: RequestOptions = {}): Promise<T> {
    return apiRequest<T>({ kind: 'unix', socketPath: this.socket(h) }, urlPath, { timeoutMs: 5000, ...opts });
  }

  info(h: LabHost | string): Promise<InfoJson> {
    return this.local<InfoJson>(h, '/local/info');
  }

  /** Last lines of the host's daemon log (printed when a test fails). */
  logTail(h: LabHost | string, lines = 25): string {
    const host = this.host(h);
    try {
      return readFileSync(path.join(path.dirname(host.configFile), 'tsswarm.log'), 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }

  /** The first running container of a service's tasks on a host, with its pid (to enter its netns). */
  async taskContainer(h: LabHost | string, service: string): Promise<{ id: string; pid: number }> {
    const host = this.host(h);
    const r = await this.lab.docker(host, ['ps', '-q', '--no-trunc', '--filter', `label=com.tsswarm.service.name=${service}`]);
    const id = r.stdout.trim().split('\n')[0];
    if (!id) throw new Error(`no ${service} container on ${host.id}`);
    const pid = Number((await this.lab.docker(host, ['inspect', '--format', '{{.State.Pid}}', id])).stdout.trim());
    return { id, pid };
  }

  /** The file of this node's identity (certificate, key, state) as stored. */
  file(h: LabHost | string, name: string): string {
    return readFileSync(path.join(this.dataDir(h), name), 'utf8');
  }

  /** The leader as the given managers agree on it (a majority of them), or undefined. */
  async agreedLeader(hosts: readonly string[]): Promise<string | undefined> {
    const seen = await Promise.all(hosts.map((h) => this.info(h).then((i) => i.leader ?? null, () => null)));
    const counts = new Map<string, number>();
    for (const l of seen) if (l) counts.set(l, (counts.get(l) ?? 0) + 1);
    for (const [l, n] of counts) if (n > hosts.length / 2) return l;
    return undefined;
  }

  /**
   * Starts a daemon on every host and forms a cluster: the first host inits, `managers` more join
   * as managers, the rest as workers; resolves when every node is ready.
   */
  async form(hosts: readonly string[], managers = 0): Promise<void> {
    const [first, ...rest] = hosts;
    if (!first) throw new Error('form: no hosts');
    await Promise.all(hosts.map((h) => this.start(h)));
    await this.ok(first, ['init', '--advertise-addr', this.host(first).ip, '--listen-addr', this.addr(first)]);
    const worker = (await this.ok(first, ['join-token', 'worker', '-q'])).trim();
    const manager = (await this.ok(first, ['join-token', 'manager', '-q'])).trim();
    for (const [i, h] of rest.entries()) {
      const asManager = i < managers;
      await this.ok(h, ['join', '--token', asManager ? manager : worker, '--advertise-addr', this.host(h).ip, ...(asManager ? ['--listen-addr', this.addr(h)] : []), this.addr(first)]);
    }
    await eventually(async () => ((await this.local<{ nodes: { status: string }[] }>(first, '/v1/nodes')).nodes.filter((n) => n.status === 'ready').length === hosts.length ? true : undefined), {
      timeoutMs: 30_000,
      what: `${hosts.length} ready nodes`,
    });
  }

  /** Prints the tail of every daemon's log (for a failed test). */
  dumpLogs(hosts: readonly string[], lines = 15): void {
    for (const h of hosts) console.log(`--- ${h} daemon log ---\n${this.logTail(h, lines)}`);
  }

  /** Stops every daemon this object started (SIGTERM, then SIGKILL). */
  async stopAll(): Promise<void> {
    await Promise.all(
      [...this.daemons.keys()].map(async (id) => {
        const p = this.daemons.get(id)!;
        p.kill('SIGTERM');
        const t = setTimeout(() => p.kill('SIGKILL'), 5000);
        await p.exited;
        clearTimeout(t);
        this.daemons.delete(id);
      }),
    );
  }
}
