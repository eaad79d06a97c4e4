import type { Task, TaskSpec } from '../../store/index.js';
import { endingOf, type NodeIndex } from '../task-model.js';

/**
 * The restart policy (`--restart-condition/-delay/-max-attempts/-window`) as a pure question:
 * given the slot's finished tasks, may the slot get a new task, and when? It keeps no memory:
 * attempts are counted from the slot's history in the store, which is why history trimming keeps
 * at least maxAttempts + 1 finished tasks (see {@link historyToKeep}).
 */
export type RestartDecision = { kind: 'now' } | { kind: 'at'; at: number } | { kind: 'never'; why: string };

export function restartDecision(policy: TaskSpec['restartPolicy'], last: Task, history: readonly Task[], nodes: NodeIndex, now: number): RestartDecision {
  const ending = endingOf(last, nodes);
  // The task did not end by itself (its node was lost, or it was stopped on purpose): replace it
  // at once and do not count it as an attempt.
  if (ending === 'lost' || ending === 'stopped' || ending === 'running') return { kind: 'now' };
  if (policy.condition === 'none') return { kind: 'never', why: 'restart condition is none' };
  if (policy.condition === 'on-failure' && ending === 'complete') return { kind: 'never', why: 'task completed and restart condition is on-failure' };
  if (policy.maxAttempts > 0) {
    const since = policy.windowMs > 0 ? now - policy.windowMs : -Infinity;
    // Tasks that ended by themselves in the window, the last one included: attempts made so far
    // are one fewer, so a restart is allowed while that count is at most maxAttempts.
    const ended = history.filter((t) => {
      const e = endingOf(t, nodes);
      return (e === 'complete' || e === 'failed') && t.status.timestamp >= since;
    }).length;
    if (ended > policy.maxAttempts) return { kind: 'never', why: `restart attempts exhausted (${policy.maxAttempts})` };
  }
  const at = last.status.timestamp + policy.delayMs;
  return now >= at ? { kind: 'now' } : { kind: 'at', at };
}

/**
 * Finished tasks kept per wanted slot: the cluster's retention limit, but never fewer than the
 * restart policy must read: the newest one (without it a completed task of a `none` policy would
 * look like an empty slot and be started again) and maxAttempts + 1 when attempts are limited.
 */
export function historyToKeep(limit: number, policy: TaskSpec['restartPolicy']): number {
  return Math.max(limit, 1, policy.maxAttempts > 0 ? policy.maxAttempts + 1 : 0);
}
