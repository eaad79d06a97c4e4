import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import { X509Certificate } from 'node:crypto';
import { chmod, mkdir, rm, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { afterFailure } from '../api/retry-policy.js';
import type { ImageResolver } from '../manager/image-pin.js';
import { ApiError } from '../api/errors.js';
import { apiRequest, type Target } from '../api/client.js';
import { parseBody, addrSchema, clusterUpdateRequestSchema } from '../api/schemas.js';
import { Session } from '../agent/session.js';
import { cachedHostNetworks } from '../agent/host-networks.js';
import { TaskExecutor } from '../agent/executor.js';
import { Worker } from '../agent/worker.js';
import { watchTaskContainers } from '../agent/engine-watch.js';
import { TaskFiles } from '../agent/task-files.js';
import { DEFAULT_NODE_PORT, NodeApiServer } from '../agent/node-api.js';
import { streamServiceLogs } from './service-logs.js';
import { realNodeNetworking, type NetworkAgentContext, type NodeNetworking } from '../agent/network-dataplane.js';
import { DockerRuntime, type ContainerRuntime } from '../../runtime/index.js';
import { Manager } from '../manager/manager.js';
import { checkClusterNetworking } from '../../net/ipam.js';
import { DEFAULT_CLUSTER_NETWORKING } from '../store/index.js';
import { ApiServer, toApiError } from '../manager/api-server.js';
import { READER_LIMITS, checkHeaders, limitServer, readBody, requestUrl, refuse, sendJson, serverOptions, withDeadline } from '../api/request-reader.js';
import { raftAddrOf, splitHostPort } from '../manager/addresses.js';
import { createNodeKeyAndCsr } from '../ca/index.js';
import { renewResponseSchema } from '../api/schemas.js';
import { createCluster, joinCluster } from './bootstrap.js';
import { loadIdentity, saveIdentity, saveNodeState, swapCredentials } from './identity.js';
import type { Identity } from '../api/identity.js';

export interface DaemonOptions {
  dataDir: string;
  socketPath: string;
  /** How long a proxied request may take across managers (default 20 s). */
  proxyDeadlineMs?: number;
  /** Defaults for init/join when the CLI does not give them. */
  advertiseAddr?: string;
  hostname?: string;
  /** Agents' heartbeat period written into a new cluster (ms). */
  heartbeatPeriodMs?: number;
  raftTickMs?: number;
  /** Port of this node's node API (the same on every node; default 4244). */
  nodePort?: number;
  /** tmpfs mount point for task secrets and configs; default `<dir of socket>/tsswarm-secrets`. */
  secretsDir?: string;
  /** Pause between the agent's passes when nothing changed (ms). */
  agentPeriodMs?: number;
  /**
   * The engine this node's tasks run on; default a DockerRuntime (DOCKER_HOST), made at each
   * bring-up. A seam so tests can run a daemon against a fake engine.
   */
  runtime?: ContainerRuntime;
  /**
   * This node's overlay networking (devices, VIPs, DNS); default: the real dataplane of this host
   * (src/net). A seam so tests can pass a fake; null runs every task on the default bridge.
   */
  networking?: ((c: NetworkAgentContext) => Promise<NodeNetworking>) | null;
  /** Resolvers the DNS forwards other names to; default the host's (/etc/resolv.conf). */
  dnsUpstreams?: string[];
  log?: (msg: string) => void;
}

const initSchema = z.strictObject({
  advertiseAddr: z.string().min(1).optional(),
  listenAddr: addrSchema.optional(),
  certExpiryMs: clusterUpdateRequestSchema.shape.certExpiryMs,
  /** Overlay address pools (`--default-addr-pool`, `--default-addr-pool-mask-len`, `--data-path-port`). */
  defaultAddrPools: z.array(z.string().min(1)).min(1).optional(),
  defaultAddrPoolMaskLen: z.int().optional(),
  dataPathPort: z.int().optional(),
});
/** Which init request field a networking problem concerns. */
const INIT_NETWORKING_FIELD = { defaultAddrPools: 'defaultAddrPools', subnetSize: 'defaultAddrPoolMaskLen', vxlanPort: 'dataPathPort' } as const;
const joinSchema = z.strictObject({ token: z.string().min(1), remote: addrSchema, advertiseAddr: z.string().min(1).optional(), listenAddr: addrSchema.optional() });
const leaveSchema = z.strictObject({ force: z.boolean() });

const DEFAULT_LISTEN = '0.0.0.0:4242';
/**
 * Agents' heartbeat period for a new cluster; a node silent for 3 periods is down and its tasks
 * are replaced. Swarm uses 5 s; a beat here is one small request that writes nothing while the
 * node stays ready, so 2 s costs little and finds a lost node in about 6 s instead of 15.
 */
const DEFAULT_HEARTBEAT_MS = 2000;

/**
 * One per host: serves the local CLI on a unix socket, and runs what this node's identity asks
 * for: the agent session always, and on managers the raft member, store and manager API.
 */
export class Daemon {
  private identity: Identity | null = null;
  private manager: Manager | null = null;
  private api: ApiServer | null = null;
  private session: Session | null = null;
  private worker: Worker | null = null;
  private files: TaskFiles | null = null;
  private executor: TaskExecutor | null = null;
  private networking: NodeNetworking | null = null;
  private nodeApi: NodeApiServer | null = null;
  private local: http.Server | null = null;
  private busy = false;
  private readonly log: (msg: string) => void;

  constructor(private readonly o: DaemonOptions) {
    this.log = o.log ?? ((m) => process.stderr.write(`${new Date().toISOString()} tsswarm: ${m}\n`));
  }

  /** Comes back as the node on disk (if any), then serves the socket. */
  async start(): Promise<void> {
    await mkdir(this.o.dataDir, { recursive: true, mode: 0o700 });
    this.identity = await loadIdentity(this.o.dataDir);
    if (this.identity) {
      this.log(`restarting as ${this.identity.state.role} ${this.identity.state.nodeId} of cluster ${this.identity.state.clusterId}`);
      await this.bringUp(this.identity, 'restart');
    }
    await this.listenLocal();
  }

  async stop(): Promise<void> {
    await this.bringDown();
    const l = this.local;
    this.local = null;
    if (l) {
      l.closeAllConnections();
      await new Promise((r) => l.close(r));
    }
  }

  private async listenLocal(): Promise<void> {
    const path = this.o.socketPath;
    await mkdir(dirname(path), { recursive: true });
    if (await answers(path)) throw new ApiError('conflict', `another daemon already serves ${path}`);
    await unlink(path).catch(() => undefined);
    const server = http.createServer(serverOptions(), (req, res) => void this.serveLocal(req, res));
    limitServer(server);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => resolve());
    });
    // Group-writable so an operator group can use the CLI; the socket is the CLI's credential.
    await chmod(path, 0o660);
    this.local = server;
    this.log(`serving the CLI on ${path}`);
  }

  private async bringUp(id: Identity, mode: 'init' | 'join' | 'restart'): Promise<void> {
    const hostname = id.state.hostname;
    // Every node, managers included, runs tasks on its own engine (DOCKER_HOST); a manager also
    // asks it for image digests.
    const runtime = this.o.runtime ?? new DockerRuntime();
    if (id.state.role === 'manager') {
      const m = await Manager.create({
        dataDir: this.o.dataDir,
        identity: id,
        mode,
        heartbeatPeriodMs: this.o.heartbeatPeriodMs ?? DEFAULT_HEARTBEAT_MS,
        ...(this.o.raftTickMs ? { tickMs: this.o.raftTickMs } : {}),
        log: this.log,
      });
      await m.start();
      this.manager = m;
      const images: ImageResolver = {
        resolveDigest: (ref, auth) => runtime.resolveDigest(ref, auth),
        isLocalOnly: async (ref) => (await runtime.inspectImage(ref).then((i) => i.repoDigests?.length === 0, () => false)),
      };
      const api = new ApiServer({ manager: m, identity: id, log: this.log, images });
      await api.listen(id.state.listenAddr ?? DEFAULT_LISTEN);
      this.api = api;
      // A manager heartbeats to itself first (forwarded to the leader), then to the others.
      const self = { nodeId: id.state.nodeId, apiAddr: m.apiAddr, raftAddr: m.raftAddr };
      if (!id.state.managers.some((x) => x.nodeId === self.nodeId)) id.state.managers = [self, ...id.state.managers];
    }
    this.session = new Session({
      identity: id,
      hostname,
      periodMs: this.o.heartbeatPeriodMs ?? DEFAULT_HEARTBEAT_MS,
      log: this.log,
      onManagers: (managers) => {
        const self = managers.find((x) => x.nodeId === id.state.nodeId);
        id.state.managers = self ? [self, ...managers.filter((x) => x !== self)] : managers;
        void saveNodeState(this.o.dataDir, id.state).catch((e: unknown) => this.log(`saving node state: ${(e as Error).message}`));
      },
      onRenewDue: (reason) => this.renew(reason),
      networks: cachedHostNetworks(),
    });
    this.session.run();
    this.files = new TaskFiles(this.o.secretsDir ?? join(dirname(this.o.socketPath), 'tsswarm-secrets'), this.log);
    const make = this.o.networking === undefined ? realNodeNetworking : this.o.networking;
    this.networking = make
      ? await make({
          runtime,
          nodeId: id.state.nodeId,
          advertiseAddr: id.state.advertiseAddr,
          log: this.log,
          ...(this.o.dnsUpstreams ? { dnsUpstreams: this.o.dnsUpstreams } : {}),
        })
      : null;
    const networking = this.networking?.agent;
    const executor = new TaskExecutor({
      runtime,
      nodeId: id.state.nodeId,
      log: this.log,
      files: this.files,
      onImageSettled: () => this.worker?.wake(),
      ...(networking ? { networking } : {}),
    });
    this.executor = executor;
    const nodeApi = new NodeApiServer({ identity: id, runtime, log: this.log });
    await nodeApi.listen(this.nodePort());
    this.nodeApi = nodeApi;
    this.worker = new Worker({
      executor,
      ...(networking ? { networking } : {}),
      call: <T>(path: string, body: unknown) => this.proxy('POST', path, body) as Promise<T>,
      periodMs: this.o.agentPeriodMs ?? 250,
      log: this.log,
    });
    this.worker.run();
    const worker = this.worker;
    this.stopEngineWatch = watchTaskContainers({ runtime, nodeId: id.state.nodeId, onEvent: () => worker.wake(), log: this.log });
  }

  private stopEngineWatch: (() => void) | null = null;

  private async bringDown(): Promise<void> {
    this.stopEngineWatch?.();
    this.stopEngineWatch = null;
    await this.worker?.stop();
    this.worker = null;
    await this.files?.unmount();
    this.files = null;
    this.executor = null;
    // Devices and tables stay: running tasks keep talking while this daemon is away. Only the
    // resolver's sockets are this process's.
    await this.networking?.agent.stop();
    this.networking = null;
    await this.nodeApi?.close();
    this.nodeApi = null;
    this.session?.stop();
    this.session = null;
    await this.api?.close();
    this.api = null;
    await this.manager?.stop();
    this.manager = null;
  }

  private async serveLocal(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const startedAt = Date.now();
    try {
      const headers = checkHeaders(req.rawHeaders);
      if (headers) throw headers;
      const { url, method } = requestUrl(req);
      const body = await readBody(req, READER_LIMITS, startedAt);
      // Streams its answer itself, for as long as the CLI follows: no handler deadline.
      if (method === 'GET' && url.pathname === '/local/service-logs') return await this.serviceLogs(url, res);
      const out = await withDeadline(() => this.routeLocal(method, url, body), READER_LIMITS.handlerDeadlineMs);
      sendJson(res, 200, out);
    } catch (e) {
      const err = toApiError(e);
      if (err.apiCode === 'internal') this.log(`local: ${(e as Error)?.stack ?? String(e)}`);
      await refuse(req, res, err);
    }
  }

  private async routeLocal(method: string, url: URL, body: unknown): Promise<unknown> {
    if (method === 'POST' && url.pathname === '/local/init') return this.exclusive(() => this.init(body));
    if (method === 'POST' && url.pathname === '/local/join') return this.exclusive(() => this.join(body));
    if (method === 'POST' && url.pathname === '/local/leave') return this.exclusive(() => this.leave(body));
    if (method === 'GET' && url.pathname === '/local/info') return this.info();
    if (url.pathname.startsWith('/v1/')) return this.proxy(method, url.pathname + url.search, body);
    throw new ApiError('not-found', `no such endpoint: ${method} ${url.pathname.slice(0, 200)}`);
  }

  /** init/join/leave change what this daemon is: one at a time. */
  private async exclusive<T>(fn: () => Promise<T>): Promise<T> {
    if (this.busy) throw new ApiError('conflict', 'another init/join/leave is in progress');
    this.busy = true;
    try {
      return await fn();
    } finally {
      this.busy = false;
    }
  }

  private refuseIfMember(): void {
    const s = this.identity?.state;
    if (s) throw new ApiError('conflict', `this node is already part of cluster ${s.clusterId} as ${s.role} ${s.nodeId}`, { hint: 'run `tsswarm leave` first' });
  }

  private async init(raw: unknown): Promise<unknown> {
    this.refuseIfMember();
    const b = parseBody(initSchema, raw ?? {});
    const listenAddr = b.listenAddr ?? DEFAULT_LISTEN;
    const advertiseAddr = b.advertiseAddr ?? this.o.advertiseAddr ?? defaultAdvertise(listenAddr);
    const networking = {
      defaultAddrPools: b.defaultAddrPools ?? DEFAULT_CLUSTER_NETWORKING.defaultAddrPools,
      subnetSize: b.defaultAddrPoolMaskLen ?? DEFAULT_CLUSTER_NETWORKING.subnetSize,
      vxlanPort: b.dataPathPort ?? DEFAULT_CLUSTER_NETWORKING.vxlanPort,
    };
    const bad = checkClusterNetworking(networking);
    if (bad !== null) throw new ApiError('invalid', bad.message, { field: INIT_NETWORKING_FIELD[bad.field] });
    const { identity, cluster, ingress } = await createCluster({
      networking,
      hostname: this.hostname(),
      advertiseAddr,
      listenAddr,
      heartbeatPeriodMs: this.o.heartbeatPeriodMs ?? DEFAULT_HEARTBEAT_MS,
      ...(b.certExpiryMs === undefined ? {} : { certExpiryMs: b.certExpiryMs }),
    });
    await saveIdentity(this.o.dataDir, identity);
    this.identity = identity;
    try {
      await this.bringUp(identity, 'init');
      const m = this.manager!;
      await until(() => m.isLeader, 10_000, 'the new one-member raft group to elect this node');
      await m.store.update((tx) => {
        tx.create('cluster', cluster);
        tx.create('network', ingress);
        tx.create('node', {
          id: identity.state.nodeId,
          spec: { availability: 'active', role: 'manager', labels: {} },
          description: { hostname: identity.state.hostname, platform: { os: 'linux', architecture: process.arch }, resources: { nanoCPUs: 0, memoryBytes: 0 }, engine: { id: '', version: '', labels: {} }, networks: [] },
          status: { state: 'ready', addr: advertiseAddr, message: '', lastHeartbeat: null, attachments: [] },
          managerStatus: { raftId: identity.state.nodeId, addr: m.raftAddr, reachability: 'reachable', leader: true },
          certificate: { role: 'manager', state: 'issued', expiry: null },
        });
      });
    } catch (e) {
      await this.forget();
      throw e;
    }
    this.log(`initialised cluster ${identity.state.clusterId}; this node is manager ${identity.state.nodeId}`);
    return { clusterId: identity.state.clusterId, nodeId: identity.state.nodeId, apiAddr: this.manager!.apiAddr, workerToken: cluster.rootCA.joinTokens.worker };
  }

  private async join(raw: unknown): Promise<unknown> {
    this.refuseIfMember();
    const b = parseBody(joinSchema, raw);
    const listenAddr = b.listenAddr ?? DEFAULT_LISTEN;
    const advertiseAddr = b.advertiseAddr ?? this.o.advertiseAddr ?? defaultAdvertise(listenAddr, splitHostPort(b.remote).host);
    const raftAddr = `${advertiseAddr}:${splitHostPort(raftAddrOf(listenAddr)).port}`;
    const { answer, keyPem } = await joinCluster({ token: b.token, remote: b.remote, hostname: this.hostname(), advertiseAddr, raftAddr });
    const identity: Identity = {
      state: {
        nodeId: answer.nodeId,
        clusterId: answer.clusterId,
        role: answer.role,
        hostname: this.hostname(),
        advertiseAddr,
        listenAddr: answer.role === 'manager' ? listenAddr : null,
        managers: answer.managers,
      },
      keyPem,
      certPem: answer.certPem,
      caPem: answer.caPem,
      caKeyPem: answer.caKeyPem ?? null,
    };
    await saveIdentity(this.o.dataDir, identity);
    this.identity = identity;
    await this.bringUp(identity, 'join');
    this.log(`joined cluster ${answer.clusterId} as ${answer.role} ${answer.nodeId}`);
    return { nodeId: answer.nodeId, role: answer.role, clusterId: answer.clusterId };
  }

  private async leave(raw: unknown): Promise<unknown> {
    const b = parseBody(leaveSchema, raw ?? { force: false });
    const id = this.identity;
    if (!id) throw new ApiError('conflict', 'this node is not part of a cluster');
    try {
      await this.proxy('POST', '/v1/leave', { force: b.force });
    } catch (e) {
      if (!b.force) throw e;
      this.log(`leave: the managers did not acknowledge (${(e as Error).message}); leaving anyway (--force)`);
    }
    // Like `docker swarm leave`: the tasks this node ran are the cluster's, not this host's; the
    // managers replace them elsewhere, so their containers (and secret files) go now.
    await this.worker?.stop();
    await this.executor?.reconcile([]).catch((e: unknown) => this.log(`leave: removing task containers: ${(e as Error).message}`));
    // Then what the overlays needed here: engine networks, VXLAN devices, fdb entries, nft tables.
    await this.networking?.agent.teardown().catch((e: unknown) => this.log(`leave: removing overlay networks: ${(e as Error).message}`));
    await this.forget();
    return { left: id.state.clusterId };
  }

  /**
   * A new key and certificate for this node, of the role the cluster gives it now. Same role: the
   * TLS endpoints switch to the new certificate in place. Other role: this node becomes what the
   * certificate says (a promoted worker starts a raft learner and the manager API; a demoted
   * manager stops them and deletes its raft data and CA key).
   */
  private async renew(reason: string): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const id = this.identity;
      if (!id) return;
      const listenAddr = id.state.listenAddr ?? DEFAULT_LISTEN;
      const raftAddr = `${id.state.advertiseAddr}:${splitHostPort(raftAddrOf(listenAddr)).port}`;
      const { keyPem, csrPem } = await createNodeKeyAndCsr();
      const answer = renewResponseSchema.parse(await this.proxy('POST', '/v1/certificate/renew', { csr: csrPem, raftAddr }));
      const roleChanged = answer.role !== id.state.role;
      const next: Identity = {
        ...id,
        state: { ...id.state, role: answer.role, listenAddr: answer.role === 'manager' ? listenAddr : null, managers: answer.managers.length > 0 ? answer.managers : id.state.managers },
        keyPem,
        certPem: answer.certPem,
        caKeyPem: answer.role === 'manager' ? (answer.caKeyPem ?? id.caKeyPem) : null,
      };
      if (answer.role === 'manager' && !next.caKeyPem) throw new ApiError('internal', 'the renewal answer for a manager carried no CA key');
      if (!roleChanged) {
        await swapCredentials(this.o.dataDir, next);
        // Everything holding `id` reads it at each connection: update it in place.
        Object.assign(id, { keyPem: next.keyPem, certPem: next.certPem, caKeyPem: next.caKeyPem });
        this.api?.reloadTls();
        this.nodeApi?.reloadTls();
        this.manager?.raft.updateTls({ ca: id.caPem, cert: id.certPem, key: id.keyPem });
        this.log(`certificate renewed (${reason}); valid until ${new X509Certificate(id.certPem).validTo}`);
        return;
      }
      this.log(`becoming a ${answer.role} (${reason})`);
      await this.bringDown();
      // Raft data of an earlier membership must not survive a role change: a demoted manager was
      // removed from the group, and a promoted one joins as a new learner from a snapshot.
      await rm(join(this.o.dataDir, 'raft'), { recursive: true, force: true });
      await swapCredentials(this.o.dataDir, next);
      this.identity = next;
      await this.bringUp(next, answer.role === 'manager' ? 'join' : 'restart');
      this.log(`now a ${answer.role}`);
    } finally {
      this.busy = false;
    }
  }

  /** Stops everything and deletes this node's identity and raft data: it is a new node afterwards. */
  private async forget(): Promise<void> {
    await this.bringDown();
    this.identity = null;
    for (const f of ['node.json', 'node.key', 'node.crt', 'ca.crt', 'ca.key', 'raft']) await rm(join(this.o.dataDir, f), { recursive: true, force: true });
  }

  private async info(): Promise<unknown> {
    const id = this.identity;
    if (!id) return { member: false };
    const base = {
      member: true,
      nodeId: id.state.nodeId,
      clusterId: id.state.clusterId,
      role: id.state.role,
      hostname: id.state.hostname,
      managers: id.state.managers,
      ...(this.networking ? { loadBalancer: this.networking.lb } : {}),
    };
    const m = this.manager;
    if (!m) return base;
    const st = m.raft.status();
    const raft = { role: st.role, term: st.term, commit: st.commit, applied: st.applied, voters: st.conf.voters.length, learners: st.conf.learners.length };
    return { ...base, managers: m.managers(), leader: st.leader, raft };
  }

  /**
   * The CLI's and the agent's `/v1/*` calls, sent with this node's certificate to this manager or a
   * known one (specs/api.md, "Retries"): a request that was not applied goes to the next manager,
   * round after round while an election settles, within PROXY_DEADLINE_MS; one that may have been
   * applied is sent again only when that is harmless, else it fails saying so.
   */
  private async proxy(method: string, path: string, body: unknown): Promise<unknown> {
    const id = this.identity;
    if (!id) throw new ApiError('conflict', 'this node is not part of a cluster', { hint: 'run `tsswarm init` or `tsswarm join` first' });
    const tls = { ca: id.caPem, cert: id.certPem, key: id.keyPem };
    const deadline = Date.now() + (this.o.proxyDeadlineMs ?? PROXY_DEADLINE_MS);
    let last = new ApiError('unavailable', 'no manager address known');
    for (let round = 0; ; round++) {
      const addrs = [...new Set((this.manager ? [this.manager.apiAddr] : []).concat(id.state.managers.map((x) => x.apiAddr)))];
      for (const addr of addrs) {
        const left = deadline - Date.now();
        if (left <= 0) break;
        const t: Target = { kind: 'https', addr, tls };
        try {
          return await apiRequest(t, path, { method: method as 'GET' | 'POST' | 'DELETE', timeoutMs: Math.min(PROXY_ATTEMPT_MS, left), ...(body === undefined ? {} : { body }) });
        } catch (e) {
          if (!(e instanceof ApiError) || afterFailure(e, method, path) === 'fail') throw mayHaveApplied(e, method, path);
          last = e;
        }
      }
      if (Date.now() >= deadline) break;
      // Every manager refused for now (an election, a restart): wait a little, then go round again.
      await new Promise((r) => setTimeout(r, Math.min(PROXY_ROUND_PAUSE_MS * (round + 1), 1000)));
    }
    throw new ApiError(last.apiCode, `no manager took ${method} ${path.split('?')[0]} within ${(this.o.proxyDeadlineMs ?? PROXY_DEADLINE_MS) / 1000} s (last: ${last.message})`, {
      hint: last.apiCode === 'indeterminate' ? 'it may have been applied: look before retrying' : 'it was not applied; check that a majority of managers runs, then retry',
    });
  }

  private nodePort(): number {
    return this.o.nodePort ?? DEFAULT_NODE_PORT;
  }

  /** `service logs`: this node (a manager) reads each task's logs from the node API of its node. */
  private async serviceLogs(url: URL, res: http.ServerResponse): Promise<void> {
    const id = this.identity;
    if (!id) throw new ApiError('conflict', 'this node is not part of a cluster');
    const service = url.searchParams.get('service') ?? '';
    const { tasks } = (await this.proxy('GET', `/v1/services/${encodeURIComponent(service)}/tasks`, undefined)) as { tasks: import('../api/views.js').TaskView[] };
    await streamServiceLogs({
      tasks,
      tls: { ca: id.caPem, cert: id.certPem, key: id.keyPem },
      port: this.nodePort(),
      follow: url.searchParams.get('follow') === '1',
      tail: url.searchParams.get('tail') ?? 'all',
      timestamps: url.searchParams.get('timestamps') === '1',
      res,
    });
  }

  private hostname(): string {
    return this.o.hostname ?? os.hostname();
  }
}

/** The first non-internal IPv4 address, or the listen host when it is specific. */
function defaultAdvertise(listenAddr: string, towards?: string): string {
  const host = splitHostPort(listenAddr).host;
  if (host !== '0.0.0.0' && host !== '::') return host;
  if (towards === '127.0.0.1') return '127.0.0.1';
  for (const list of Object.values(os.networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  throw new ApiError('invalid', 'cannot choose an address to advertise: pass --advertise-addr', { field: 'advertiseAddr' });
}

async function until(check: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new ApiError('unavailable', `timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Whether something accepts connections on the unix socket `path`. */
export function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(path);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** How long the CLI's request may take across managers and elections, and one attempt at most. */
const PROXY_DEADLINE_MS = 20_000;
const PROXY_ATTEMPT_MS = 10_000;
const PROXY_ROUND_PAUSE_MS = 200;

/** A write that may or may not have been applied, in words the CLI prints. */
function mayHaveApplied(e: unknown, method: string, path: string): unknown {
  if (!(e instanceof ApiError) || e.apiCode !== 'indeterminate') return e;
  return new ApiError('indeterminate', `${method} ${path.split('?')[0]}: ${e.message}; it may have been applied`, {
    hint: 'look (service ls, secret ls, ...) before retrying: the managers will have applied it fully or not at all',
  });
}
