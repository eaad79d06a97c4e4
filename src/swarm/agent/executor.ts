import type { ContainerRuntime } from '../../runtime/index.js';
import { ImagePuller } from './image-puller.js';
import { mapLimit } from '../../util/map-limit.js';
import type { AssignedTask } from '../api/assignments.js';
import type { TaskReport } from '../api/task-report.js';
import { isTerminal, stateIndex } from '../store/index.js';
import { TASK_LABELS, taskContainerSpec } from './task-container.js';
import { observeContainer, quickObserve } from './task-observation.js';
import { NetworkNotReadyError } from './network-agent.js';
import type { ContainerSpec } from '../../runtime/index.js';

/** How long a stop waits for nodes that have not confirmed the task's removal from their VIPs. */
export const STOP_GATE_MAX_MS = 5000;

/** The executor's view of task networking (the NetworkAgent, or the default bridge). */
export interface TaskNetworking {
  /** Where a new container attaches; throws NetworkNotReadyError while its overlays are not programmed here. */
  attach(a: AssignedTask): Pick<ContainerSpec, 'networkMode' | 'networks' | 'dns'>;
  /** The container runs (pid known): program what it needs before it is reported running. */
  started(a: AssignedTask, containerId: string, pid: number): Promise<void>;
}

/** Every task on the engine's default bridge: what a node without overlays does. */
export const defaultNetworking: TaskNetworking = { attach: () => ({ networkMode: 'bridge' }), started: async () => undefined };
import type { TaskFiles } from './task-files.js';

export interface TaskExecutorOptions {
  runtime: ContainerRuntime;
  nodeId: string;
  log: (msg: string) => void;
  /** Where task containers attach; default: the engine's default bridge (no overlays). */
  networking?: TaskNetworking;
  /** Engine calls in flight at once. */
  concurrency?: number;
  /** Where secrets and configs are written for tasks (a tmpfs); without it, tasks using them are rejected. */
  files?: TaskFiles;
  /** A background pull ended: run a pass now (the worker's wake). */
  onImageSettled?: () => void;
}

/**
 * Runs a node's tasks on its engine. Level-triggered: every `reconcile` compares the assignments
 * with the containers labelled for this node and acts on the difference, so a restarted agent
 * re-adopts its containers and an assignment seen twice does nothing twice. A task's container is
 * never restarted: a stopped task is reported and the orchestrator makes a new task.
 */
export class TaskExecutor {
  private readonly networking: TaskNetworking;
  /** When a stop was first seen per task, for the bounded wait of the stop gate. */
  private readonly stopSeen = new Map<string, number>();
  private settled = 0;

  private readonly images: ImagePuller;

  constructor(private readonly o: TaskExecutorOptions) {
    this.networking = o.networking ?? defaultNetworking;
    this.images = new ImagePuller({ runtime: o.runtime, log: o.log, ...(o.onImageSettled ? { onSettled: o.onImageSettled } : {}) });
  }

  /**
   * One pass; returns what was observed of every assigned task that has something to report.
   * `settled` is the store index every live node has programmed its network state to: a task on
   * an overlay is stopped only once its removal from VIPs and DNS is at least that old (or after
   * a bounded wait for nodes that do not answer), so no new connection reaches a stopping task.
   */
  async reconcile(assigned: readonly AssignedTask[], opts: { settled?: number } = {}): Promise<TaskReport[]> {
    this.settled = opts.settled ?? Number.MAX_SAFE_INTEGER;
    const rt = this.o.runtime;
    this.images.beginPass();
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
    for (const id of this.stopSeen.keys()) if (!wanted.has(id)) this.stopSeen.delete(id);
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
        if (stop && !this.removalProgrammed(a)) return null;
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
    let endpoints: ReturnType<TaskNetworking['attach']>;
    try {
      endpoints = this.networking.attach(a);
    } catch (e) {
      // The overlay is not programmed here yet (the next pass will have it): nothing to report.
      if (e instanceof NetworkNotReadyError) return null;
      throw e;
    }
    const image = await this.images.check(t.spec.container.image, a.registryAuth);
    if (image.kind === 'pulling') return { taskId: t.id, state: 'preparing', message: 'pulling image', err: null, exitCode: null, containerId: null, health: null };
    if (image.kind === 'failed') throw new Error(image.error);
    const own = taskContainerSpec(a, this.o.nodeId);
    // The overlay's resolver (service names) first, then the task's own `--dns` servers.
    const dns = [...(endpoints.dns ?? []), ...(own.dns ?? [])];
    const spec = { ...own, ...endpoints, ...(dns.length > 0 ? { dns } : {}) };
    const refs = t.spec.container.secrets.length + t.spec.container.configs.length;
    if (refs > 0) {
      if (!this.o.files) throw new Error('this node cannot deliver secrets or configs (no secrets directory)');
      spec.mounts = [...(spec.mounts ?? []), ...(await this.o.files.write(a))];
    }
    const id = await rt.createContainer(spec);
    try {
      await rt.startContainer(id);
    } catch (e) {
      // A network it names went between attach and start (the network loop runs beside this one):
      // not the task's fault. Its container goes and the next pass attaches it again.
      if (!/network \S+ not found/i.test((e as Error).message ?? '')) throw e;
      await rt.removeContainer(id, { force: true }).catch(() => undefined);
      this.o.log(`task ${t.id} (${a.serviceName}): ${(e as Error).message.split('\n')[0]}; attaching it again`);
      return null;
    }
    const info = await rt.inspectContainer(id);
    // Its VIP table before anyone hears it runs: a client's first connection must find its VIPs.
    if (info.running) await this.networking.started(a, id, info.pid);
    return observeContainer(t.id, info, t.desiredState);
  }

  /**
   * Whether every live node has dropped this task from its VIP backends and DNS answers. The
   * store wrote the stop at the task's version; nodes report what they programmed. Bounded: a
   * node that does not answer delays a stop by at most STOP_GATE_MAX_MS.
   */
  private removalProgrammed(a: AssignedTask): boolean {
    if (a.task.networks.length === 0) return true;
    if (this.settled >= a.task.meta.version) return true;
    const now = Date.now();
    const first = this.stopSeen.get(a.task.id) ?? now;
    this.stopSeen.set(a.task.id, first);
    return now - first >= STOP_GATE_MAX_MS;
  }

  private rejected(a: AssignedTask, e: unknown): TaskReport {
    const msg = (e as Error).message ?? String(e);
    this.o.log(`task ${a.task.id} (${a.serviceName}): ${msg}`);
    return { taskId: a.task.id, state: 'rejected', message: 'rejected', err: msg, exitCode: null, containerId: null, health: null };
  }
}
