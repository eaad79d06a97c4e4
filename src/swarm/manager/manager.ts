import { join } from 'node:path';
import { ProposalRefusedError, RaftNode } from '../../raft/node/index.js';
import { RootCA } from '../ca/index.js';
import { MemoryStore, type ApplyResult, type Cluster, type Node } from '../store/index.js';
import type { ManagerAddr } from '../api/schemas.js';
import type { NodeView } from '../api/views.js';
import { ApiError } from '../api/errors.js';
import type { Identity } from '../api/identity.js';
import { apiAddrOf, raftAddrOf, splitHostPort } from './addresses.js';
import { Dispatcher } from './dispatcher.js';
import { startLeaderLoops, type LeaderLoops } from './loops.js';
import { RaftProposer } from './raft-proposer.js';
import { deriveSecretsKey, type SecretsKey } from '../secrets/seal.js';

export interface ManagerOptions {
  dataDir: string;
  identity: Identity;
  /** `init`: a one-member group of this node; `join`: wait to be added by the leader; `restart`: from disk. */
  mode: 'init' | 'join' | 'restart';
  heartbeatPeriodMs: number;
  tickMs?: number;
  log: (msg: string) => void;
}

/**
 * One manager: the raft member, the replicated store on it, the CA signer, and the leader-only
 * loops (dispatcher, learner promotion) started on becoming leader and stopped on losing it.
 */
export class Manager {
  readonly store: MemoryStore;
  readonly raft: RaftNode<ApplyResult>;
  readonly ca: RootCA;
  dispatcher: Dispatcher | null = null;
  private promoter: NodeJS.Timeout | null = null;
  private loops: LeaderLoops | null = null;

  private constructor(private readonly o: ManagerOptions, ca: RootCA) {
    this.ca = ca;
    const proposer = new RaftProposer();
    this.store = new MemoryStore({ proposer });
    const id = o.identity;
    const listen = splitHostPort(raftAddrOf(id.state.listenAddr ?? `0.0.0.0:4242`));
    const self = this.raftAddr;
    this.raft = new RaftNode<ApplyResult>({
      id: id.state.nodeId,
      dataDir: join(o.dataDir, 'raft'),
      listen,
      // With `join`, peers is only an address book: the joiner must know the leader's raft address
      // to answer it before any ConfChange context reaches it.
      peers: { ...Object.fromEntries(id.state.managers.map((m) => [m.nodeId, m.raftAddr])), [id.state.nodeId]: self },
      join: o.mode !== 'init',
      stateMachine: this.store,
      tickMs: o.tickMs ?? 50,
      tls: { ca: id.caPem, cert: id.certPem, key: id.keyPem },
      logger: { warn: (m) => o.log(`raft: ${m}`) },
      onSoftState: (s) => this.onRole(s.role === 'leader'),
    });
    proposer.node = this.raft;
  }

  static async create(o: ManagerOptions): Promise<Manager> {
    if (!o.identity.caKeyPem) throw new Error('manager without the CA key');
    return new Manager(o, await RootCA.load(o.identity.caPem, o.identity.caKeyPem));
  }

  private sealKey: SecretsKey | null = null;

  /** The key sealing secrets in the store (derived from the CA key every manager holds). */
  secretsKey(): SecretsKey {
    if (!this.sealKey) {
      if (!this.o.identity.caKeyPem) throw new ApiError('unavailable', 'this manager has no CA key, so it cannot open secrets');
      this.sealKey = deriveSecretsKey(this.o.identity.caKeyPem);
    }
    return this.sealKey;
  }

  get nodeId(): string {
    return this.o.identity.state.nodeId;
  }

  /** This manager's advertised raft address. */
  get raftAddr(): string {
    const s = this.o.identity.state;
    const { port } = splitHostPort(raftAddrOf(s.listenAddr ?? '0.0.0.0:4242'));
    return `${s.advertiseAddr}:${port}`;
  }

  get apiAddr(): string {
    return apiAddrOf(this.raftAddr);
  }

  get isLeader(): boolean {
    return this.raft.role === 'leader';
  }

  async start(): Promise<void> {
    await this.raft.start();
  }

  async stop(): Promise<void> {
    this.onRole(false);
    await this.raft.stop();
  }

  /** The API address of the current leader, or an `unavailable` error. */
  leaderApiAddr(): string {
    const leader = this.raft.leader;
    const addr = leader === null ? undefined : this.raft.addressOf(leader);
    if (leader === null || addr === undefined) throw new ApiError('unavailable', 'no raft leader is known yet; retry shortly');
    return apiAddrOf(addr);
  }

  cluster(): Cluster {
    const c = this.store.view((tx) => tx.find('cluster')[0]);
    if (!c) throw new ApiError('unavailable', 'cluster object not yet replicated here; retry shortly');
    return c;
  }

  /** Every manager known to raft, with its API and raft addresses. */
  managers(): ManagerAddr[] {
    const st = this.raft.status();
    return [...st.conf.voters, ...st.conf.learners].flatMap((id) => {
      const raftAddr = st.addresses[id];
      return raftAddr ? [{ nodeId: id, raftAddr, apiAddr: apiAddrOf(raftAddr) }] : [];
    });
  }

  /** Rows for `node ls`; manager status from raft's own view, status from the dispatcher's writes. */
  nodeViews(): NodeView[] {
    const st = this.raft.status();
    const members = new Set([...st.conf.voters, ...st.conf.learners]);
    return this.store.view((tx) => tx.find('node')).map((n) => this.view(n, st.leader, members));
  }

  view(n: Node, leader: string | null, members: Set<string>): NodeView {
    let managerStatus: NodeView['managerStatus'] = null;
    if (n.spec.role === 'manager' || members.has(n.id)) {
      if (n.id === leader) managerStatus = 'leader';
      else managerStatus = members.has(n.id) && n.status.state === 'ready' ? 'reachable' : 'unreachable';
    }
    return {
      id: n.id,
      hostname: n.description?.hostname ?? '',
      role: n.spec.role,
      status: n.status.state,
      availability: n.spec.availability,
      managerStatus,
      addr: n.status.addr,
      labels: n.spec.labels,
    };
  }

  /**
   * Would removing `nodeId` from the voters leave a reachable majority? Counted on the leader from
   * raft's recent-activity flags (check-quorum), so an unreachable voter does not count. Those
   * flags are cleared at every check-quorum round and set again by the next heartbeat answers, so
   * a refusal is confirmed over a few heartbeats before it is final.
   */
  async checkQuorumWithout(nodeId: string): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const st = this.raft.status();
      const voters = st.conf.voters;
      if (!voters.includes(nodeId)) return;
      if (voters.length === 1) throw new ApiError('conflict', 'this is the last manager: removing it would destroy the cluster (use --force to leave anyway)');
      const after = voters.filter((v) => v !== nodeId);
      const reachable = after.filter((v) => v === st.id || st.progress?.[v]?.recentActive === true).length;
      const quorum = Math.floor(after.length / 2) + 1;
      if (reachable >= quorum) return;
      if (attempt >= 5) {
        throw new ApiError('conflict', `removing manager ${nodeId} would lose quorum: ${reachable} of the remaining ${after.length} managers are reachable, ${quorum} needed (use --force to leave anyway)`);
      }
      await new Promise((r) => setTimeout(r, (this.o.tickMs ?? 50) * 2));
    }
  }

  /**
   * Runs a raft membership change, retrying while another one is pending: raft allows one at a
   * time, and a learner's promotion may still be in flight when the next manager joins.
   */
  async changeMembership(fn: () => Promise<void>, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        return await fn();
      } catch (e) {
        if (!(e instanceof ProposalRefusedError) || e.reason !== 'conf-change-pending' || Date.now() > deadline) throw e;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }

  private onRole(leader: boolean): void {
    if (leader && !this.dispatcher) {
      this.o.log('became leader');
      // The cluster's period wins over this daemon's default (a manager may have been started
      // with another one); before the cluster object exists (init) the default is the same.
      const period = this.store.view((tx) => tx.find('cluster')[0]?.spec.dispatcher.heartbeatPeriodMs) ?? this.o.heartbeatPeriodMs;
      this.dispatcher = new Dispatcher({ store: this.store, periodMs: period, log: this.o.log });
      this.dispatcher.run();
      this.promoter = setInterval(() => void this.promoteCaughtUp(), 200);
      this.promoter.unref();
      // Allocator, orchestrator, scheduler and updater: leader only (specs/tasks.md).
      this.loops = startLeaderLoops({ store: this.store, log: this.o.log, barrier: () => this.raft.read({ timeoutMs: 3000 }) });
    } else if (!leader && this.dispatcher) {
      this.dispatcher.stop();
      this.dispatcher = null;
      void this.loops?.stop();
      this.loops = null;
      if (this.promoter) clearInterval(this.promoter);
      this.promoter = null;
    }
  }

  private promoting = false;

  /** Leader loop: a learner whose node should be a manager becomes a voter once it has caught up. */
  private async promoteCaughtUp(): Promise<void> {
    if (this.promoting || !this.isLeader) return;
    this.promoting = true;
    try {
      const st = this.raft.status();
      for (const id of st.conf.learners) {
        const n = this.store.view((tx) => tx.get('node', id));
        const p = st.progress?.[id];
        if (n?.spec.role !== 'manager' || !p || p.match < st.commit) continue;
        await this.changeMembership(() => this.raft.promote(id), 1000);
        this.o.log(`promoted ${id} to voter`);
      }
    } catch (e) {
      this.o.log(`promotion: ${(e as Error).message}`);
    } finally {
      this.promoting = false;
    }
  }
}
