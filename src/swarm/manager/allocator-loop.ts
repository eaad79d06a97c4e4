import { canonicalJson } from '../store/canonical-json.js';
import type { MemoryStore, ReadTx } from '../store/index.js';
import { allocate, type AllocatorDecision } from './allocator/index.js';
import { ReconcileLoop, tryGroup } from './loop-runner.js';
import { StillFailing, isolateServices, recordProblems } from './loop-problems.js';
import type { LoopDeps } from './orchestrator-loop.js';
import { ALLOCATING_MESSAGE } from './task-model.js';
import { heldPorts, portName } from '../ports.js';
import type { ServiceEndpoint } from './allocator/index.js';

export interface AllocatorLoopDeps extends LoopDeps {
  /**
   * Resolves once this replica has applied everything committed before (a raft read barrier).
   * Awaited before the first pass after becoming leader: a store that lags the old leader's last
   * allocations would hand their addresses out again (allocator/doc.ts).
   */
  barrier?: () => Promise<void>;
}

/**
 * Leader loop around the allocator core: on network, service, task, node or cluster changes,
 * read one view, decide addresses, and write them with the `new → pending` moves in one batch.
 * Problems (a network that cannot be allocated, an inconsistency in the store) are logged once
 * each, not on every pass.
 */
export function allocatorLoop(d: AllocatorLoopDeps): ReconcileLoop {
  let barrierDone = d.barrier === undefined;
  let logged = new Set<string>();
  return new ReconcileLoop({
    name: 'allocator',
    store: d.store,
    kinds: ['network', 'service', 'task', 'node', 'cluster'],
    log: d.log,
    now: d.now,
    ...(d.tickMs === undefined ? {} : { tickMs: d.tickMs }),
    step: async () => {
      if (!barrierDone) {
        await d.barrier!();
        barrierDone = true;
      }
      let isolated: ReturnType<typeof isolateServices<AllocatorDecision>>;
      try {
        isolated = d.store.view((tx) => {
          const cluster = tx.find('cluster')[0] ?? null;
          const networks = tx.find('network');
          const nodes = tx.find('node');
          // A service the core fails on is set aside only while it holds no address: leaving out one
          // that does would let its VIPs and task addresses be handed out again.
          return isolateServices(tx.find('service'), tx.find('task'), (services, tasks) => allocate({ cluster, networks, services, tasks, nodes }), {
            checkBounds: false,
            mayExclude: (s, own) => s.endpoint === null && own.every((t) => t.networks.length === 0),
          });
        });
      } catch (e) {
        // Not safe to go on without them, but the culprits are still shown on their services.
        if (e instanceof StillFailing) await recordProblems(d.store, 'allocator', e.problems, d.now());
        throw e;
      }
      const { result: decision, problems } = isolated;
      const now = new Set(decision.problems);
      for (const p of now) if (!logged.has(p)) d.log(`allocator: ${p}`);
      logged = now;
      await writeAllocation(d.store, decision, d.now());
      await recordProblems(d.store, 'allocator', problems, d.now());
      return null;
    },
  });
}

/** The network still has the subnet and VNI the decision took addresses from (not removed, not re-made). */
function sameNetwork(tx: ReadTx, a: AllocatorDecision, networkId: string): boolean {
  const want = a.allocations.get(networkId);
  const cur = tx.get('network', networkId)?.allocation;
  return want !== undefined && cur != null && cur.vni === want.vni && canonicalJson(cur.subnets) === canonicalJson(want.subnets);
}

/**
 * No other service holds a published number this endpoint newly takes. The API checks explicit
 * numbers inside its own write; an allocated one is decided from an older view, so a create that
 * asked for that number meanwhile must win, and the next pass picks another.
 */
function portsStillFree(tx: ReadTx, serviceId: string, endpoint: ServiceEndpoint): boolean {
  const mine = new Set(endpoint.ports.filter((p) => p.publishMode === 'ingress' && p.publishedPort !== null).map((p) => portName(p.protocol, p.publishedPort!)));
  if (mine.size === 0) return true;
  return tx
    .find('service')
    .filter((s) => s.id !== serviceId)
    .every((s) => heldPorts(s).every((p) => p.publishedPort === null || !mine.has(portName(p.protocol, p.publishedPort))));
}

/**
 * One batch (one raft round for up to 200 changes): networks first, so a task's addresses are
 * never committed before the allocation they come from; then VIPs, the `new → pending` moves, and
 * the reasons of tasks that stay `new` (written only when they change, so a full network does
 * not write on every tick). Each group checks the version its decision read.
 */
export async function writeAllocation(store: MemoryStore, a: AllocatorDecision, now: number): Promise<void> {
  const blocked = a.blocked.filter((x) => x.task.status.err !== x.reason || x.task.status.message !== ALLOCATING_MESSAGE);
  if (a.networks.length + a.services.length + a.ready.length + blocked.length === 0) return;
  await store.batch(async (b) => {
    for (const { network, allocation } of a.networks) {
      await tryGroup(b, (tx) => {
        const cur = tx.get('network', network.id);
        if (cur?.meta.version === network.meta.version) tx.update('network', { ...cur, allocation });
      });
    }
    for (const { service, endpoint } of a.services) {
      await tryGroup(b, (tx) => {
        const cur = tx.get('service', service.id);
        if (cur?.meta.version !== service.meta.version || !endpoint.virtualIPs.every((v) => sameNetwork(tx, a, v.networkId)) || !portsStillFree(tx, cur.id, endpoint)) return;
        tx.update('service', { ...cur, endpoint });
      });
    }
    for (const { task, networks } of a.ready) {
      await tryGroup(b, (tx) => {
        const cur = tx.get('task', task.id);
        if (cur?.meta.version !== task.meta.version || cur.status.state !== 'new' || !networks.every((n) => sameNetwork(tx, a, n.networkId))) return;
        tx.update('task', { ...cur, networks, status: { ...cur.status, state: 'pending', timestamp: now, message: 'pending task scheduling', err: null } });
      });
    }
    for (const { task, reason } of blocked) {
      await tryGroup(b, (tx) => {
        const cur = tx.get('task', task.id);
        if (cur?.meta.version !== task.meta.version || cur.status.state !== 'new') return;
        tx.update('task', { ...cur, status: { ...cur.status, timestamp: now, message: ALLOCATING_MESSAGE, err: reason } });
      });
    }
  });
}
