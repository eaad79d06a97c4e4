/**
 * Waking the agent on engine events: which container events wake it, that the watch re-subscribes
 * after the stream breaks, and that a wake runs a worker pass at once (or right after the one in
 * flight) instead of at the end of the period. The engine and executor here are fakes, named so;
 * the lab test "a backend killed with docker kill" exercises the real events.
 */
import { describe, expect, it } from 'vitest';
import { isWakingEvent, watchTaskContainers } from '../../../src/swarm/agent/engine-watch.js';
import { Worker } from '../../../src/swarm/agent/worker.js';
import type { TaskExecutor } from '../../../src/swarm/agent/executor.js';
import type { RuntimeEvent } from '../../../src/runtime/index.js';

const ev = (action: string): RuntimeEvent => ({ type: 'container', action, id: 'c1', attributes: {}, timeNano: 0 });
const until = async (cond: () => boolean, ms = 2000): Promise<void> => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
};

describe('engine events wake the agent', () => {
  it('die, start, oom, kill and health changes wake it; other events do not', () => {
    for (const a of ['die', 'start', 'oom', 'kill', 'health_status: unhealthy', 'health_status: healthy']) expect(isWakingEvent(a)).toBe(true);
    for (const a of ['create', 'attach', 'exec_start: sh', 'destroy', 'rename']) expect(isWakingEvent(a)).toBe(false);
  });

  it('asks only for this node\'s task containers, and re-subscribes after the stream fails', async () => {
    const asked: unknown[] = [];
    let calls = 0;
    const fakeRuntime = {
      events(opts: unknown): AsyncIterable<RuntimeEvent> {
        asked.push(opts);
        calls++;
        const n = calls;
        return (async function* () {
          yield ev('create');
          yield ev('die');
          if (n === 1) throw new Error('engine went away');
          await new Promise(() => undefined); // the second stream stays open
        })();
      },
    };
    const logs: string[] = [];
    let woken = 0;
    const stop = watchTaskContainers({ runtime: fakeRuntime, nodeId: 'n1', onEvent: () => woken++, log: (m) => logs.push(m), retryMs: 10 });
    try {
      await until(() => woken === 2);
      expect(calls).toBe(2);
      expect(asked[0]).toMatchObject({ types: ['container'], labels: { 'com.tsswarm.node.id': 'n1' } });
      expect(logs).toEqual(['agent: engine events: engine went away (passes stay periodic until they are back)']);
    } finally {
      stop();
    }
  });

  it('a wake runs a pass at once instead of after the period, and one during a pass runs another right after', async () => {
    let passes = 0;
    let release: (() => void) | null = null;
    const fakeExecutor = {
      async reconcile(): Promise<[]> {
        passes++;
        if (passes === 2) await new Promise<void>((r) => (release = r));
        return [];
      },
    } as unknown as TaskExecutor;
    const w = new Worker({ executor: fakeExecutor, call: async <T,>() => ({ index: 1, ids: [], tasks: [] }) as T, periodMs: 60_000, log: () => undefined });
    w.run();
    try {
      await until(() => passes === 1);
      w.wake();
      await until(() => passes === 2);
      // Woken while the second pass is in flight: a third follows it without waiting the period.
      w.wake();
      release!();
      await until(() => passes === 3);
    } finally {
      await w.stop();
    }
  });
});
