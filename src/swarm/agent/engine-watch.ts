import type { ContainerRuntime } from '../../runtime/index.js';
import { TASK_LABELS } from './task-container.js';

/**
 * Container events that change what a task reports (its process ended, started, or its health
 * changed). The agent's passes are periodic; waking one on these events is what takes a killed
 * backend out of every node's VIP tables well within a second instead of after the next period.
 */
const WAKING_ACTIONS = new Set(['die', 'start', 'oom', 'kill']);

export function isWakingEvent(action: string): boolean {
  return WAKING_ACTIONS.has(action) || action.startsWith('health_status');
}

export interface EngineWatchOptions {
  runtime: Pick<ContainerRuntime, 'events'>;
  nodeId: string;
  onEvent: () => void;
  log: (msg: string) => void;
  /** Pause before re-subscribing after the stream ended or failed (default 1 s). */
  retryMs?: number;
}

/**
 * Follows the engine's events for this node's task containers until stopped, re-subscribing
 * when the stream breaks (engine restart): the periodic passes stay the safety net, so a gap
 * only costs latency. Returns the stop function.
 */
export function watchTaskContainers(o: EngineWatchOptions): () => void {
  const ac = new AbortController();
  const retryMs = o.retryMs ?? 1000;
  let lastError = '';
  const loop = async (): Promise<void> => {
    while (!ac.signal.aborted) {
      try {
        for await (const e of o.runtime.events({ types: ['container'], labels: { [TASK_LABELS.node]: o.nodeId }, signal: ac.signal })) {
          if (isWakingEvent(e.action)) o.onEvent();
        }
        lastError = '';
      } catch (e) {
        const msg = (e as Error).message;
        if (msg !== lastError) o.log(`agent: engine events: ${msg} (passes stay periodic until they are back)`);
        lastError = msg;
      }
      if (ac.signal.aborted) return;
      await new Promise<void>((res) => setTimeout(res, retryMs).unref());
    }
  };
  void loop();
  return () => ac.abort();
}
