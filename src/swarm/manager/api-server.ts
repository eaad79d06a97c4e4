import https from 'node:https';
import type http from 'node:http';
import { isIP, type AddressInfo } from 'node:net';
import { X509Certificate, randomBytes } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import { NotLeaderError, RaftNodeError } from '../../raft/node/index.js';
import {
  generateNodeId,
  isCertError,
  isJoinTokenError,
  roleOfJoinToken,
  rotateJoinTokens,
  verifyNodeCertificate,
  certificateValidity,
  type NodeRole,
} from '../ca/index.js';
import { isConflict, isStoreError } from '../store/index.js';
import { ApiError } from '../api/errors.js';
import { resolveRef } from '../api/refs.js';
import { apiRequest } from '../api/client.js';
import { READER_LIMITS, checkHeaders, limitServer, readBody, requestUrl, refuse, sendJson, serverOptions, withDeadline } from '../api/request-reader.js';
import {
  heartbeatRequestSchema,
  joinRequestSchema,
  leaveRequestSchema,
  nodeUpdateRequestSchema,
  parseBody,
  rotateRequestSchema,
  renewRequestSchema,
  clusterUpdateRequestSchema,
  type JoinResponse,
  type RenewResponse,
} from '../api/schemas.js';
import type { Identity } from '../api/identity.js';
import type { Manager } from './manager.js';
import { splitHostPort } from './addresses.js';
import { networkStateRequestSchema, nodeNetworkState } from './network-state.js';
import { recordAttachments } from './node-attachments.js';
import type { NodeNetworkState } from '../api/network-state.js';
import { applyTaskReports, assignmentsFor, type TaskPayloads } from './assignments.js';
import { assignmentsRequestSchema } from '../api/assignments.js';
import { taskReportsSchema } from '../api/task-report.js';
import { createFileObject, fileObjectCreateSchema, fileObjectView, fileObjectViews, removeFileObject, taskFiles, type FileKind } from './secrets-api.js';
import { createNetwork, networkCreateSchema, networkView, networkViews, pruneNetworks, removeNetwork } from './networks-api.js';
import { createService, findService, publicService, removeService, serviceCreateSchema, serviceUpdateSchema, serviceViews, taskViews, updateService, type ServiceDeps } from './services-api.js';
import type { ImageResolver } from './image-pin.js';
import { openRegistryAuth } from './sealed-auth.js';

/** Who is calling, from its verified client certificate (or the manager that forwarded for it). */
interface Peer {
  nodeId: string;
  role: NodeRole;
}

interface Ctx {
  peer: Peer | null;
  body: unknown;
  params: string[];
  query: URLSearchParams;
}

type Auth = 'none' | 'node' | 'manager';

interface Route {
  method: string;
  path: RegExp;
  auth: Auth;
  /** Writes run on the leader; a follower forwards the request there. */
  leader: boolean;
  handle(ctx: Ctx): Promise<unknown>;
}

/** Set by a manager forwarding a request to the leader; honoured only from a manager certificate. */
const ON_BEHALF = 'x-tsswarm-on-behalf-of';

export interface ApiServerOptions {
  manager: Manager;
  identity: Identity;
  log: (msg: string) => void;
  /** The node's engine, asked for image digests on service writes (manager/image-pin.ts). */
  images?: ImageResolver;
}

/** The manager API of specs/api.md over HTTPS with optional client certificates. */
export class ApiServer {
  private server: https.Server | null = null;
  private readonly routes: Route[];

  constructor(private readonly o: ApiServerOptions) {
    this.routes = this.makeRoutes();
  }

  async listen(addr: string): Promise<AddressInfo> {
    const { host, port } = splitHostPort(addr);
    const id = this.o.identity;
    const server = https.createServer({
      key: id.keyPem,
      cert: id.certPem,
      ca: id.caPem,
      // Ask for a certificate but let the handshake finish without one: the join endpoint must be
      // reachable by a node that has none yet. Every other route checks `authorized` itself.
      requestCert: true,
      rejectUnauthorized: false,
      ...serverOptions(),
    });
    limitServer(server);
    server.on('request', (req, res) => void this.serve(req, res));
    server.on('tlsClientError', () => undefined);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    this.server = server;
    return server.address() as AddressInfo;
  }

  async close(): Promise<void> {
    const s = this.server;
    this.server = null;
    if (!s) return;
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }

  /** Serves new handshakes with a renewed certificate. */
  reloadTls(): void {
    const id = this.o.identity;
    this.server?.setSecureContext({ key: id.keyPem, cert: id.certPem, ca: id.caPem });
  }

  private async serve(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const startedAt = Date.now();
    try {
      const headers = checkHeaders(req.rawHeaders);
      if (headers) throw headers;
      const { url, method } = requestUrl(req);
      let match: RegExpExecArray | null = null;
      const route = this.routes.find((r) => r.method === method && (match = r.path.exec(url.pathname)) !== null);
      if (!route || !match) throw new ApiError('not-found', `no such endpoint: ${method} ${url.pathname.slice(0, 200)}`);
      const peer = await this.authenticate(req, route.auth);
      const raw = await readBody(req, READER_LIMITS, startedAt);
      const params = pathParams(match);
      const m = this.o.manager;
      const out = await withDeadline(async () => {
        if (route.leader && !m.isLeader) return this.forward(method, url.pathname + url.search, raw, peer);
        if (!route.leader && route.auth === 'manager') await this.readBarrier();
        return route.handle({ peer, body: raw, params, query: url.searchParams });
      }, READER_LIMITS.handlerDeadlineMs);
      sendJson(res, 200, out);
    } catch (e) {
      const err = toApiError(e);
      if (err.apiCode === 'internal') this.o.log(`api: ${(e as Error)?.stack ?? String(e)}`);
      await refuse(req, res, err);
    }
  }

  /** Linearizable reads on any manager: wait until this replica has applied the commit index. */
  private async readBarrier(): Promise<void> {
    await this.o.manager.raft.read({ timeoutMs: 3000 });
  }

  private async authenticate(req: http.IncomingMessage, auth: Auth): Promise<Peer | null> {
    if (auth === 'none') return null;
    const sock = req.socket as TLSSocket;
    const raw = sock.getPeerCertificate?.()?.raw;
    if (!raw) throw new ApiError('unauthenticated', 'a client certificate of this cluster is required');
    if (!sock.authorized) throw new ApiError('unauthenticated', `client certificate refused: ${String(sock.authorizationError ?? 'not issued by this cluster')}`);
    let peer: Peer;
    try {
      const ident = await verifyNodeCertificate(new X509Certificate(raw).toString(), this.o.identity.caPem, { clusterId: this.o.identity.state.clusterId });
      peer = { nodeId: ident.nodeId, role: ident.role };
    } catch (e) {
      throw new ApiError('unauthenticated', `client certificate refused: ${(e as Error).message}`);
    }
    const behalf = req.headers[ON_BEHALF];
    if (typeof behalf === 'string' && peer.role === 'manager') {
      const [nodeId, role] = behalf.split(':');
      if (nodeId && (role === 'manager' || role === 'worker')) peer = { nodeId, role };
    }
    if (auth === 'manager' && peer.role !== 'manager') throw new ApiError('forbidden', `node ${peer.nodeId} is a worker: this endpoint is for managers only`);
    return peer;
  }

  /** Sends the same request to the leader with this manager's certificate, on behalf of `peer`. */
  private forward(method: string, path: string, body: unknown, peer: Peer | null): Promise<unknown> {
    const m = this.o.manager;
    const id = this.o.identity;
    const headers = peer ? { [ON_BEHALF]: `${peer.nodeId}:${peer.role}` } : undefined;
    return apiRequest({ kind: 'https', addr: m.leaderApiAddr(), tls: { ca: id.caPem, cert: id.certPem, key: id.keyPem } }, path, {
      method: method as 'GET' | 'POST' | 'DELETE',
      body: body ?? undefined,
      ...(headers ? { headers } : {}),
    });
  }

  private makeRoutes(): Route[] {
    const m = this.o.manager;
    const id = this.o.identity;
    const serviceDeps: ServiceDeps = { ...(this.o.images ? { images: this.o.images } : {}), secretsKey: () => m.secretsKey() };
    const payloads: TaskPayloads = {
      files: (t) => taskFiles(m.store, t, () => m.secretsKey()),
      registryAuth: (t) => {
        const s = m.store.view((tx) => tx.get('service', t.serviceId));
        return s ? openRegistryAuth(s, () => m.secretsKey()) : undefined;
      },
    };
    const r = (method: string, path: string, auth: Auth, leader: boolean, handle: (ctx: Ctx) => Promise<unknown>): Route => ({
      method,
      path: new RegExp(`^${path.replace(/:[a-z]+/g, '([^/]+)')}$`),
      auth,
      leader,
      handle,
    });
    const findNode = (ref: string) => m.store.view((tx) => resolveRef(tx, 'node', ref));
    return [
      r('GET', '/v1/ca', 'none', false, async () => ({ caPem: id.caPem })),
      r('POST', '/v1/join', 'none', true, async (c) => this.join(c.body)),
      r('POST', '/v1/heartbeat', 'node', true, async (c) => {
        const body = parseBody(heartbeatRequestSchema, c.body);
        const peer = c.peer!;
        const n = m.store.view((tx) => tx.get('node', peer.nodeId));
        if (!n) throw new ApiError('not-found', `node ${peer.nodeId} is not part of this cluster (removed?)`);
        await m.dispatcher?.heartbeat(peer.nodeId, n.status.addr, body.hostname, body.networks);
        const spec = m.cluster().spec;
        // The node compares role and certificate life with its own and renews when they differ.
        return { periodMs: spec.dispatcher.heartbeatPeriodMs, managers: m.managers(), role: n.spec.role, certExpiryMs: spec.ca.nodeCertExpiryMs };
      }),
      r('POST', '/v1/certificate/renew', 'node', true, async (c) => this.renew(c.peer!, c.body)),
      // The dispatcher's half of the agent loop (src/swarm/agent/worker.ts).
      r('POST', '/v1/dispatcher/assignments', 'node', false, async (c) => {
        await this.readBarrier();
        const body = parseBody(assignmentsRequestSchema, c.body ?? {});
        return assignmentsFor(m.store, c.peer!.nodeId, payloads, body.since);
      }),
      r('POST', '/v1/dispatcher/status', 'node', true, async (c) => {
        const body = parseBody(taskReportsSchema, c.body);
        return { applied: await applyTaskReports(m.store, c.peer!.nodeId, body.updates) };
      }),
      // On the leader: its dispatcher keeps what every node has programmed (the stop gate).
      r('POST', '/v1/dispatcher/network-state', 'node', true, async (c) => this.networkState(c.peer!, c.body)),
      r('POST', '/v1/cluster/update', 'manager', true, async (c) => {
        const body = parseBody(clusterUpdateRequestSchema, c.body);
        await m.store.update((tx) => {
          const cl = tx.find('cluster')[0];
          if (!cl) throw new ApiError('unavailable', 'no cluster object');
          tx.update('cluster', { ...cl, spec: { ...cl.spec, ca: { ...cl.spec.ca, nodeCertExpiryMs: body.certExpiryMs ?? cl.spec.ca.nodeCertExpiryMs } } });
        });
        return { certExpiryMs: m.cluster().spec.ca.nodeCertExpiryMs };
      }),
      r('POST', '/v1/leave', 'node', true, async (c) => {
        const body = parseBody(leaveRequestSchema, c.body);
        const peer = c.peer!;
        if (!body.force) await m.checkQuorumWithout(peer.nodeId);
        const st = m.raft.status();
        if ([...st.conf.voters, ...st.conf.learners].includes(peer.nodeId)) await m.changeMembership(() => m.raft.remove(peer.nodeId));
        await m.store.update((tx) => {
          const n = tx.get('node', peer.nodeId);
          // Its standalone containers go with it (they are no longer reachable through it).
          if (n) tx.update('node', { ...n, status: { ...n.status, state: 'down', message: 'left the cluster', attachments: [] }, managerStatus: null });
        });
        return {};
      }),
      r('GET', '/v1/info', 'manager', false, async () => {
        const st = m.raft.status();
        const c = m.cluster();
        return { clusterId: c.id, leader: st.leader, managers: m.managers(), raft: { term: st.term, commit: st.commit, applied: st.applied, leader: st.leader } };
      }),
      r('GET', '/v1/nodes', 'manager', false, async () => ({ nodes: m.nodeViews() })),
      r('GET', '/v1/nodes/:id', 'manager', false, async (c) => {
        const n = findNode(c.params[0]!);
        const st = m.raft.status();
        return { node: n, view: m.view(n, st.leader, new Set([...st.conf.voters, ...st.conf.learners])) };
      }),
      r('POST', '/v1/nodes/:id/update', 'manager', true, async (c) => {
        const body = parseBody(nodeUpdateRequestSchema, c.body);
        const n = findNode(c.params[0]!);
        const labels = { ...n.spec.labels, ...(body.labelAdd ?? {}) };
        for (const k of body.labelRm ?? []) delete labels[k];
        await m.store.update((tx) => {
          const cur = tx.get('node', n.id);
          if (!cur) throw new ApiError('not-found', `no node ${n.id}`);
          tx.update('node', { ...cur, spec: { ...cur.spec, availability: body.availability ?? cur.spec.availability, labels } });
        });
        return { id: n.id };
      }),
      r('DELETE', '/v1/nodes/:id', 'manager', true, async (c) => {
        const n = findNode(c.params[0]!);
        const force = c.query.get('force') === 'true';
        if (n.id === m.nodeId) throw new ApiError('conflict', 'a manager cannot remove itself: use `tsswarm leave` on it');
        if (n.status.state !== 'down' && !force) throw new ApiError('conflict', `node ${n.id} is ${n.status.state}: it must be down to be removed (or use --force)`);
        if (n.spec.role === 'manager' && !force) await m.checkQuorumWithout(n.id);
        const st = m.raft.status();
        if ([...st.conf.voters, ...st.conf.learners].includes(n.id)) await m.changeMembership(() => m.raft.remove(n.id));
        await m.store.update((tx) => tx.delete('node', n.id));
        return { id: n.id };
      }),
      r('POST', '/v1/services', 'manager', true, async (c) => createService(m.store, parseBody(serviceCreateSchema, c.body), serviceDeps)),
      r('GET', '/v1/services', 'manager', false, async () => ({ services: serviceViews(m.store) })),
      r('GET', '/v1/services/:id', 'manager', false, async (c) => ({ service: publicService(findService(m.store, c.params[0]!)) })),
      r('POST', '/v1/services/:id/update', 'manager', true, async (c) => updateService(m.store, c.params[0]!, parseBody(serviceUpdateSchema, c.body), serviceDeps)),
      r('DELETE', '/v1/services/:id', 'manager', true, async (c) => removeService(m.store, c.params[0]!)),
      r('POST', '/v1/networks', 'manager', true, async (c) => createNetwork(m.store, parseBody(networkCreateSchema, c.body))),
      r('GET', '/v1/networks', 'manager', false, async () => ({ networks: networkViews(m.store) })),
      r('POST', '/v1/networks/prune', 'manager', true, async () => pruneNetworks(m.store)),
      r('GET', '/v1/networks/:id', 'manager', false, async (c) => ({ network: networkView(m.store, c.params[0]!) })),
      r('DELETE', '/v1/networks/:id', 'manager', true, async (c) => removeNetwork(m.store, c.params[0]!)),
      r('GET', '/v1/services/:id/tasks', 'manager', false, async (c) => ({ tasks: taskViews(m.store, c.params[0]!, { all: c.query.get('all') === 'true' }) })),
      ...(['secret', 'config'] as FileKind[]).flatMap((kind) => [
        r('POST', `/v1/${kind}s`, 'manager', true, async (c) => createFileObject(m.store, kind, parseBody(fileObjectCreateSchema, c.body), () => m.secretsKey())),
        r('GET', `/v1/${kind}s`, 'manager', false, async () => ({ [`${kind}s`]: fileObjectViews(m.store, kind) })),
        r('GET', `/v1/${kind}s/:id`, 'manager', false, async (c) => ({ [kind]: fileObjectView(m.store, kind, c.params[0]!) })),
        r('DELETE', `/v1/${kind}s/:id`, 'manager', true, async (c) => removeFileObject(m.store, kind, c.params[0]!)),
      ]),
      r('GET', '/v1/join-tokens', 'manager', false, async () => m.cluster().rootCA.joinTokens),
      r('POST', '/v1/join-tokens/rotate', 'manager', true, async (c) => {
        const body = parseBody(rotateRequestSchema, c.body);
        const res = await m.store.update((tx) => {
          const cl = tx.find('cluster')[0];
          if (!cl) throw new ApiError('unavailable', 'no cluster object');
          const joinTokens = rotateJoinTokens(cl.rootCA.joinTokens, { [body.role]: new Uint8Array(randomBytes(16)) });
          tx.update('cluster', { ...cl, rootCA: { ...cl.rootCA, joinTokens } });
          return joinTokens;
        });
        return res.value;
      }),
      r('POST', '/v1/nodes/:id/promote', 'manager', true, async (c) => {
        const n = findNode(c.params[0]!);
        if (n.spec.role === 'manager') return { id: n.id, role: 'manager', changed: false };
        if (n.status.state === 'down') throw new ApiError('conflict', `node ${n.id} is down: it must be up to take a manager certificate and join raft`);
        // The node sees the new role in its next heartbeat answer, renews its certificate as a
        // manager, and the leader adds it as a learner (see renew) and later as a voter.
        await m.store.update((tx) => {
          const cur = tx.get('node', n.id);
          if (!cur) throw new ApiError('not-found', `no node ${n.id}`);
          tx.update('node', { ...cur, spec: { ...cur.spec, role: 'manager' } });
        });
        this.o.log(`node ${n.id} promoted to manager`);
        return { id: n.id, role: 'manager', changed: true };
      }),
      r('POST', '/v1/nodes/:id/demote', 'manager', true, async (c) => {
        const n = findNode(c.params[0]!);
        if (n.spec.role === 'worker') return { id: n.id, role: 'worker', changed: false };
        await m.checkQuorumWithout(n.id);
        // The leader cannot take itself out of raft and then write: hand leadership over first
        // and let the new leader do it.
        if (n.id === m.nodeId) return this.handOverAndForward(c, `/v1/nodes/${encodeURIComponent(n.id)}/demote`);
        const st = m.raft.status();
        if ([...st.conf.voters, ...st.conf.learners].includes(n.id)) await m.changeMembership(() => m.raft.remove(n.id));
        await m.store.update((tx) => {
          const cur = tx.get('node', n.id);
          if (!cur) throw new ApiError('not-found', `no node ${n.id}`);
          tx.update('node', { ...cur, spec: { ...cur.spec, role: 'worker' }, managerStatus: null });
        });
        this.o.log(`node ${n.id} demoted to worker`);
        return { id: n.id, role: 'worker', changed: true };
      }),
    ];
  }

  /**
   * Moves leadership to the most caught-up other voter, waits for it, and sends `path` there on
   * behalf of the caller.
   */
  private async handOverAndForward(c: Ctx, path: string): Promise<unknown> {
    const m = this.o.manager;
    const st = m.raft.status();
    const target = st.conf.voters
      .filter((v) => v !== st.id && st.progress?.[v]?.recentActive === true)
      .sort((a, b) => (st.progress?.[b]?.match ?? 0) - (st.progress?.[a]?.match ?? 0))[0];
    if (!target) throw new ApiError('unavailable', 'no other manager is reachable to take over leadership');
    m.raft.transferLeadership(target);
    const deadline = Date.now() + 5000;
    while (m.raft.leader === st.id || m.raft.leader === null) {
      if (Date.now() > deadline) throw new ApiError('unavailable', `leadership did not move to ${target} within 5 s; retry`);
      await new Promise((r) => setTimeout(r, 20));
    }
    return this.forward('POST', path, c.body ?? {}, c.peer);
  }

  /**
   * CSR -> certificate for the role the store gives the node now. The caller is authenticated by
   * its current certificate; the role comes from the store, never from the request. A node the
   * cluster now wants as a manager also gets the CA key and becomes a raft learner.
   */
  private async renew(peer: Peer, raw: unknown): Promise<RenewResponse> {
    const m = this.o.manager;
    const body = parseBody(renewRequestSchema, raw);
    const n = m.store.view((tx) => tx.get('node', peer.nodeId));
    if (!n) throw new ApiError('not-found', `node ${peer.nodeId} is not part of this cluster (removed?)`, { hint: 'leave and join again with a token' });
    const role = n.spec.role;
    if (role === 'manager' && !body.raftAddr) throw new ApiError('invalid', 'a node becoming a manager must say its raft address', { field: 'raftAddr' });
    const cluster = m.cluster();
    let certPem: string;
    try {
      certPem = await m.ca.issue(body.csr, { nodeId: n.id, role, validityMs: cluster.spec.ca.nodeCertExpiryMs, ...(isIP(n.status.addr) ? { ipAddresses: [n.status.addr] } : {}) });
    } catch (e) {
      if (isCertError(e)) throw new ApiError('invalid', e.message, { field: 'csr' });
      throw e;
    }
    const st = m.raft.status();
    const member = [...st.conf.voters, ...st.conf.learners].includes(n.id);
    await m.store.update((tx) => {
      const cur = tx.get('node', n.id);
      if (!cur) throw new ApiError('not-found', `no node ${n.id}`);
      tx.update('node', {
        ...cur,
        certificate: { role, state: 'issued', expiry: certificateValidity(certPem).notAfter.getTime() },
        managerStatus: role === 'manager' ? (cur.managerStatus ?? { raftId: n.id, addr: body.raftAddr!, reachability: 'unknown', leader: false }) : null,
      });
    });
    if (role === 'manager' && !member) {
      await m.changeMembership(() => m.raft.addLearner(n.id, body.raftAddr!));
      this.o.log(`node ${n.id} takes its manager certificate: added as a raft learner`);
    }
    return {
      certPem,
      role,
      ...(role === 'manager' && this.o.identity.caKeyPem ? { caKeyPem: this.o.identity.caKeyPem } : {}),
      managers: m.managers(),
    };
  }

  /** Token + CSR -> certificate. Runs on the leader (it creates the node and changes membership). */
  /**
   * A node's network state (on the leader: its dispatcher keeps what every node has programmed,
   * the stop gate), after recording what the node reports: the index it programmed and its
   * standalone containers on attachable overlays (stored only when they change).
   */
  private async networkState(peer: Peer, raw: unknown): Promise<NodeNetworkState> {
    const m = this.o.manager;
    const body = parseBody(networkStateRequestSchema, raw ?? {});
    const d = m.dispatcher;
    if (body.programmed !== undefined) d?.recordProgrammed(peer.nodeId, body.programmed);
    if (body.attachments !== undefined) await recordAttachments(m.store, peer.nodeId, body.attachments);
    const settled = d?.settledIndex() ?? 0;
    return m.store.view((tx) =>
      nodeNetworkState(peer.nodeId, settled, {
        index: tx.index,
        vxlanPort: tx.find('cluster')[0]?.spec.networking.vxlanPort ?? 4789,
        networks: tx.find('network'),
        services: tx.find('service'),
        tasks: tx.find('task'),
        nodes: tx.find('node'),
      }),
    );
  }

  private async join(raw: unknown): Promise<JoinResponse> {
    const m = this.o.manager;
    const body = parseBody(joinRequestSchema, raw);
    const cluster = m.cluster();
    let role: NodeRole;
    try {
      role = roleOfJoinToken(body.token, cluster.rootCA.joinTokens);
    } catch (e) {
      if (isJoinTokenError(e)) throw new ApiError('invalid-token', e.message, { field: 'token' });
      throw e;
    }
    if (role === 'manager' && !body.raftAddr) throw new ApiError('invalid', 'a manager must say its raft address', { field: 'raftAddr' });
    const nodeId = generateNodeId();
    let certPem: string;
    try {
      certPem = await m.ca.issue(body.csr, {
        nodeId,
        role,
        validityMs: cluster.spec.ca.nodeCertExpiryMs,
        ...(isIP(body.advertiseAddr) ? { ipAddresses: [body.advertiseAddr] } : {}),
      });
    } catch (e) {
      if (isCertError(e)) throw new ApiError('invalid', e.message, { field: 'csr' });
      throw e;
    }
    await m.store.update((tx) =>
      tx.create('node', {
        id: nodeId,
        spec: { availability: 'active', role, labels: {} },
        description: {
          hostname: body.hostname,
          platform: { os: 'linux', architecture: process.arch },
          resources: { nanoCPUs: 0, memoryBytes: 0 },
          engine: { id: '', version: '', labels: {} },
          // Filled by the node's first heartbeat (its interfaces and routes).
          networks: [],
        },
        status: { state: 'unknown', addr: body.advertiseAddr, message: 'joined', lastHeartbeat: null, attachments: [] },
        managerStatus: role === 'manager' ? { raftId: nodeId, addr: body.raftAddr!, reachability: 'unknown', leader: false } : null,
        certificate: { role, state: 'issued', expiry: certificateValidity(certPem).notAfter.getTime() },
      }),
    );
    // A new manager starts as a learner; the leader's promotion loop makes it a voter once caught up.
    if (role === 'manager') await m.changeMembership(() => m.raft.addLearner(nodeId, body.raftAddr!));
    this.o.log(`node ${nodeId} (${body.hostname}) joined as ${role}`);
    return {
      nodeId,
      role,
      clusterId: cluster.id,
      certPem,
      caPem: this.o.identity.caPem,
      ...(role === 'manager' && this.o.identity.caKeyPem ? { caKeyPem: this.o.identity.caKeyPem } : {}),
      managers: m.managers(),
    };
  }
}

/** Path parameters of a matched route; a malformed %-escape is the caller's mistake, not ours. */
function pathParams(match: RegExpExecArray): string[] {
  try {
    return match.slice(1).map((p) => decodeURIComponent(p));
  } catch {
    throw new ApiError('invalid', 'malformed %-escape in the path', { field: 'path' });
  }
}

export function toApiError(e: unknown): ApiError {
  if (e instanceof ApiError) return e;
  if (isConflict(e)) return new ApiError('conflict', e.message);
  if (isStoreError(e)) return new ApiError('invalid', e.message);
  if (e instanceof NotLeaderError) return new ApiError('unavailable', 'leadership changed; retry');
  // A proposal that timed out, or whose member stopped, may still commit: say so.
  if (e instanceof RaftNodeError) return new ApiError(e.outcomeUnknown ? 'indeterminate' : 'unavailable', e.message);
  return new ApiError('internal', 'internal error');
}

