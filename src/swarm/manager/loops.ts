import type { MemoryStore } from '../store/index.js';
import { allocatorLoop } from './allocator-loop.js';
import { randomTaskId, type ReconcileLoop } from './loop-runner.js';
import { orchestratorLoop } from './orchestrator-loop.js';
import { schedulerLoop } from './scheduler-loop.js';
import { updaterLoop } from './updater-loop.js';

export interface LeaderLoopsOptions {
  store: MemoryStore;
  log: (m: string) => void;
  /** Clock for decisions and timestamps (default Date.now). */
  now?: () => number;
  /** Task id source (default: 25 random base36 characters, as Docker's). */
  newId?: () => string;
  /** Periodic re-run of every loop (default 1000 ms). */
  tickMs?: number;
  /**
   * A raft read barrier: resolves once this replica has applied all that was committed. The
   * allocator waits for it before its first pass (allocator/doc.ts "Leader change").
   */
  barrier?: () => Promise<void>;
}

export interface LeaderLoops {
  stop(): Promise<void>;
}

/**
 * Start the leader-only task loops: allocator (network addresses, `new → pending`), orchestrator (tasks per slot and node, restarts, history),
 * scheduler (placement, depends_on gating) and updater (rolling updates and rollback). They share
 * nothing but the store: each reacts to store events and a tick, reads a view, asks its pure core,
 * and writes the result (specs/tasks.md). Call on becoming leader; `stop` on losing leadership
 * waits for steps in flight, so a new leader never races the old one's writes from this process.
 */
export function startLeaderLoops(o: LeaderLoopsOptions): LeaderLoops {
  const deps = { store: o.store, log: o.log, now: o.now ?? Date.now, newId: o.newId ?? randomTaskId, ...(o.tickMs === undefined ? {} : { tickMs: o.tickMs }) };
  const allocator = allocatorLoop({ ...deps, ...(o.barrier === undefined ? {} : { barrier: o.barrier }) });
  const loops: ReconcileLoop[] = [allocator, orchestratorLoop(deps), schedulerLoop(deps), updaterLoop(deps)];
  for (const l of loops) l.start();
  return {
    async stop() {
      await Promise.all(loops.map((l) => l.stop()));
    },
  };
}
