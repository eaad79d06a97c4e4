/**
 * The tsswarm agent's task executor on the real engine: tasks become containers, their states are
 * read back as Swarm reports them, stops and removals happen, and a fresh executor re-adopts
 * containers by label.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { TaskExecutor } from '../../src/swarm/agent/executor.js';
import { TASK_LABELS } from '../../src/swarm/agent/task-container.js';
import type { AssignedTask } from '../../src/swarm/api/assignments.js';
import type { Task, TaskState } from '../../src/swarm/store/index.js';
import { TEST_IMAGE, eventually, runtime } from './compose-helpers.js';
import { task } from '../unit/swarm/store-fixtures.js';

const NODE = `itest${process.pid}`;
const logs: string[] = [];
const exec = new TaskExecutor({ runtime, nodeId: NODE, log: (m) => logs.push(m) });

function a(id: string, args: string[], over: (t: Task) => void = () => {}): AssignedTask {
  const t = { ...task(id, 'svc1', 1, NODE), meta: { version: 1, createdAt: 0, updatedAt: 0 } };
  t.status.state = 'assigned';
  t.spec.container.image = TEST_IMAGE;
  t.spec.container.args = args;
  t.spec.container.init = true;
  t.spec.container.stopGracePeriodMs = 1000;
  over(t);
  return { task: t, serviceName: 'exsvc' };
}

/** Passes until `id` reports `state`, feeding each report back as the store would. */
async function until(list: AssignedTask[], id: string, state: TaskState) {
  return eventually(async () => {
    const reports = await exec.reconcile(list);
    for (const r of reports) {
      const t = list.find((x) => x.task.id === r.taskId)!.task;
      t.status = { ...t.status, state: r.state, containerId: r.containerId, exitCode: r.exitCode, err: r.err, health: r.health };
    }
    const r = reports.find((x) => x.taskId === id);
    return r?.state === state ? r : undefined;
  }, `${id} ${state}`);
}

afterAll(async () => {
  for (const c of await runtime.listContainers({ all: true, labels: { [TASK_LABELS.node]: NODE } })) await runtime.removeContainer(c.id, { force: true });
});

describe('task executor on a real engine', () => {
  it('runs tasks, reads their states, stops, fails, rejects and removes them', async () => {
    const run = a('trun', ['sleep', '600']);
    const healthy = a('thealth', ['sleep', '600'], (t) => {
      t.spec.container.healthcheck = { test: ['CMD-SHELL', 'test -f /tmp/ok || (sleep 1; touch /tmp/ok; false)'], intervalMs: 200, timeoutMs: 2000, retries: 20, startPeriodMs: 0 };
    });
    const fails = a('tfail', ['sh', '-c', 'exit 3']);
    const noImage = a('tnoimg', ['true'], (t) => {
      // On a loopback registry where nothing listens: the pull fails without leaving the machine.
      t.spec.container.image = '127.0.0.1:9/tsswarm-test/does-not-exist:1';
    });
    const list = [run, healthy, fails, noImage];

    const r1 = await until(list, 'trun', 'running');
    const info = await runtime.inspectContainer(r1.containerId!);
    expect(info.name).toBe('exsvc.1.trun');
    expect(info.labels[TASK_LABELS.task]).toBe('trun');
    // Healthcheck: running with health starting, then healthy once a probe passes.
    const seen = new Set<string>();
    await eventually(async () => {
      const r = (await exec.reconcile(list)).find((x) => x.taskId === 'thealth');
      if (r) seen.add(`${r.state}/${r.health}`);
      return r?.health === 'healthy' || undefined;
    }, 'healthy task healthy');
    expect(seen.has('running/starting')).toBe(true);
    expect((await until(list, 'tfail', 'failed')).exitCode).toBe(3);
    // Reported once (fed back as the store would), then left alone.
    expect(noImage.task.status.state).toBe('rejected');
    expect(noImage.task.status.err).toMatch(/^cannot pull 127\.0\.0\.1:9\/tsswarm-test\/does-not-exist:1: registry 127\.0\.0\.1:9 is unreachable/);
    expect((await exec.reconcile(list)).find((x) => x.taskId === 'tnoimg')).toBeUndefined();

    // A failed task is not restarted: its container stays exited, the report stays failed.
    const again = (await exec.reconcile(list)).find((x) => x.taskId === 'tfail');
    expect(again?.state).toBe('failed');

    // A new executor (an agent restarted) adopts the running container instead of making another.
    const fresh = new TaskExecutor({ runtime, nodeId: NODE, log: () => {} });
    const adopted = (await fresh.reconcile(list)).find((x) => x.taskId === 'trun');
    expect(adopted?.containerId).toBe(r1.containerId);
    expect((await runtime.listContainers({ all: true, labels: { [TASK_LABELS.task]: 'trun' } })).length).toBe(1);

    // Desired shutdown stops it; dropping the task from the assignments removes its container.
    run.task.desiredState = 'shutdown';
    expect((await until(list, 'trun', 'shutdown')).containerId).toBe(r1.containerId);
    expect((await runtime.inspectContainer(r1.containerId!)).running).toBe(false);
    await exec.reconcile([healthy]);
    const left = await runtime.listContainers({ all: true, labels: { [TASK_LABELS.node]: NODE } });
    expect(left.map((c) => c.labels[TASK_LABELS.task])).toEqual(['thealth']);
  }, 90_000);
});
