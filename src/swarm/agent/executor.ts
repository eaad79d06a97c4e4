import { isEngineNotFound, type ContainerRuntime } from '../../runtime/index.js';
import { mapLimit } from '../../util/map-limit.js';
import type { AssignedTask } from '../api/assignments.js';
import type { TaskReport } from '../api/task-report.js';
import { isTerminal, stateIndex } from '../store/index.js';
import { TASK_LABELS, defaultBridge, taskContainerSpec, type NetworkAttacher } from './task-container.js';
import { observeContainer, quickObserve } from './task-observation.js';
import type { TaskFiles } from './task-files.js';

export interface TaskExecutorOptions {
  runtime: ContainerRuntime;
  nodeId: string;
  log: (msg: string) => void;
  attacher?: NetworkAttacher;
  /** Engine calls in flight at once. */
  concurrency?: number;
  /** Where secrets and configs are written for tasks (a tmpfs); without it, tasks using them are rejected. */
  files?: TaskFiles;
}

/**
 * Runs a node's tasks on its engine. Level-triggered: every `reconcile` compares the assignments
 * with the containers labelled for this node and acts on the difference, so a restarted agent
 * re-adopts its containers and an assignment seen twice does nothing twice. A task's container is
 * never restarted: a stopped task is reported and the orchestrator makes a new task.
 */
export class TaskExecutor {
  private readonly attacher: NetworkAttacher;

  constructor(private readonly o: TaskExecutorOptions) {
    this.attacher = o.attacher ?? defaultBridge;
  }

  /** One pass; returns what was observed of every assigned task that has something to report. */
  async reconcile(assigned: readonly AssignedTask[]): Promise<TaskReport[]> {
    const rt = this.o.runtime;
    this.images = new Map();
    const containers = await rt.listContainers({ all: true, labels: { [TASK_LABELS.node]: this.o.nodeId } });
    const byTask = new Map(containers.map((c) => [c.labels[TASK_LABELS.task] ?? '', c]));
    const wanted = new Set(assigned.map((a) => a.task.id));
    // Containers of tasks this node no longer runs (removed, or moved away while we were cut off).
    const strays = containers.filter((c) => !wanted.has(c.labels[TASK_LABELS.task] ?? ''));
    await mapLimit(strays, this.o.concurrency ?? 8, async (c) => {
      await rt.removeContainer(c.id, { force: true }).catch((e: unknown) => this.o.log(`removing stray container ${c.name}: ${(e as Error).message}`));
    });
    const reports = await mapLimit(assigned, this.o.concurrency ?? 16, (a) => {
      const c = byTask.get(a.task.id);
      // A steady running task needs no engine call beyond the list.
      const quick = c ? quickObserve(a.task.id, c, a.task.status, a.task.desiredState) : null;
      return quick ? Promise.resolve(quick) : this.one(a, c?.id).catch((e: unknown): TaskReport => this.rejected(a, e));
    });
    // Secret files live only as long as their task runs here.
    const live = new Set(assigned.filter((a, i) => a.task.desiredState === 'running' && !isTerminal(reports[i]?.state ?? a.task.status.state)).map((a) => a.task.id));
    await this.o.files?.prune(live);
    return reports.filter((r): r is TaskReport => r !== null);
  }

  private async one(a: AssignedTask, containerId: string | undefined): Promise<TaskReport | null> {
    const rt = this.o.runtime;
    const t = a.task;
    const stop = stateIndex(t.desiredState) > stateIndex('running');
    if (containerId !== undefined) {
      let info = await rt.inspectContainer(containerId);
      let r = observeContainer(t.id, info, t.desiredState);
      const unhealthy = r.state === 'failed' && info.running;
      if ((stop || unhealthy) && (info.running || info.paused || info.restarting)) {
        await rt.stopContainer(containerId, { timeout: Math.ceil(t.spec.container.stopGracePeriodMs / 1000) });
        info = await rt.inspectContainer(containerId);
        const after = observeContainer(t.id, info, t.desiredState);
        // An unhealthy task stays failed (with its probe output), not shut down.
        r = unhealthy ? { ...r, exitCode: info.exitCode } : after;
      }
      return r;
    }
    if (isTerminal(t.status.state)) return null;
    if (stop) return { taskId: t.id, state: 'shutdown', message: 'shut down before it started', err: null, exitCode: null, containerId: null, health: null };
    if (stateIndex(t.status.state) >= stateIndex('starting')) {
      return { taskId: t.id, state: 'failed', message: 'failed', err: 'task: its container disappeared', exitCode: null, containerId: null, health: null };
    }
    await this.ensureImage(t.spec.container.image);
    const spec = taskContainerSpec(a, this.o.nodeId, this.attacher);
    const refs = t.spec.container.secrets.length + t.spec.container.configs.length;
    if (refs > 0) {
      if (!this.o.files) throw new Error('this node cannot deliver secrets or configs (no secrets directory)');
      spec.mounts = [...(spec.mounts ?? []), ...(await this.o.files.write(a))];
    }
    const id = await rt.createContainer(spec);
    await rt.startContainer(id);
    return observeContainer(t.id, await rt.inspectContainer(id), t.desiredState);
  }

  /** Images checked in the current pass: ten new tasks of one service check their image once. */
  private images = new Map<string, Promise<void>>();

  /** The image present locally, or pulled; a task that cannot have it is rejected. */
  private ensureImage(image: string): Promise<void> {
    let p = this.images.get(image);
    if (!p) {
      p = this.checkImage(image);
      this.images.set(image, p);
    }
    return p;
  }

  private async checkImage(image: string): Promise<void> {
    const rt = this.o.runtime;
    try {
      await rt.inspectImage(image);
      return;
    } catch (e) {
      if (!isEngineNotFound(e)) throw e;
    }
    try {
      await rt.pullImage(image);
    } catch (e) {
      throw new Error(`No such image: ${image} (not on this node, and pulling failed: ${(e as Error).message.split('\n')[0]})`);
    }
  }

  private rejected(a: AssignedTask, e: unknown): TaskReport {
    const msg = (e as Error).message ?? String(e);
    this.o.log(`task ${a.task.id} (${a.serviceName}): ${msg}`);
    return { taskId: a.task.id, state: 'rejected', message: 'rejected', err: msg, exitCode: null, containerId: null, health: null };
  }
}
