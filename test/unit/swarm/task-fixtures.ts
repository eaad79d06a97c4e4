import type { Network, Node, ObjectBody, PortConfig, Service, ServiceSpec, Task, TaskSpec, TaskState, UpdateConfig } from '../../../src/swarm/store/index.js';
import { allocate } from '../../../src/swarm/manager/allocator/index.js';
import { orchestrate, type OrchestratorActions } from '../../../src/swarm/manager/orchestrator/index.js';
import { schedule, isSchedulable } from '../../../src/swarm/manager/scheduler/index.js';
import { decideUpdate } from '../../../src/swarm/manager/updater/index.js';
import { network as networkBody, node as nodeBody, service as serviceBody, taskSpec } from './store-fixtures.js';

/**
 * Full stored objects (with meta) for the pure manager cores, and a tiny world that applies their
 * decisions the way the loops and agents would, so multi-step scenarios run without a store.
 */

export const GiB = 2 ** 30;

export function ids(prefix = 't'): () => string {
  let n = 0;
  return () => `${prefix}${++n}`;
}

const meta = (version = 1, createdAt = 0) => ({ version, createdAt, updatedAt: createdAt });

export function mkService(
  id: string,
  o: { replicas?: number; global?: boolean; name?: string; task?: Partial<TaskSpec>; spec?: Partial<ServiceSpec>; update?: Partial<UpdateConfig>; version?: number } = {},
): Service {
  const b = serviceBody(id, o.name ?? id, o.replicas ?? 1);
  const spec: ServiceSpec = {
    ...b.spec,
    mode: o.global ? { type: 'global' } : { type: 'replicated', replicas: o.replicas ?? 1 },
    task: { ...b.spec.task, ...o.task },
    update: o.update ? { parallelism: 1, delayMs: 0, failureAction: 'pause', monitorMs: 0, maxFailureRatio: 0, order: 'stop-first', ...o.update } : null,
    ...o.spec,
  };
  return { ...b, spec, meta: meta(o.version ?? 1) };
}

export function mkNode(
  id: string,
  o: { hostname?: string; role?: 'worker' | 'manager'; labels?: Record<string, string>; availability?: 'active' | 'pause' | 'drain'; state?: 'ready' | 'down' | 'unknown'; cpu?: number; mem?: number } = {},
): Node {
  const b = nodeBody(id, o.hostname ?? id);
  return {
    ...b,
    spec: { availability: o.availability ?? 'active', role: o.role ?? 'worker', labels: o.labels ?? {} },
    description: b.description === null ? null : { ...b.description, resources: { nanoCPUs: o.cpu ?? 2e9, memoryBytes: o.mem ?? 4 * GiB } },
    status: { ...b.status, state: o.state ?? 'ready' },
    meta: meta(),
  };
}

export function mkTask(
  id: string,
  serviceId: string,
  slot: number,
  o: { nodeId?: string | null; state?: TaskState; desired?: TaskState; spec?: TaskSpec; ports?: PortConfig[]; createdAt?: number; ts?: number; exitCode?: number | null; health?: Task['status']['health']; version?: number } = {},
): Task {
  return {
    id,
    serviceId,
    slot,
    nodeId: o.nodeId === undefined ? (o.state === undefined || o.state === 'pending' ? null : 'n1') : o.nodeId,
    desiredState: o.desired ?? 'running',
    status: { state: o.state ?? 'pending', timestamp: o.ts ?? 0, message: '', err: null, exitCode: o.exitCode ?? null, containerId: null, health: o.health ?? null },
    spec: o.spec ?? taskSpec(),
    ports: o.ports ?? [],
    serviceVersion: 1,
    networks: [],
    meta: meta(o.version ?? 1, o.createdAt ?? 0),
  };
}

export { taskSpec };

/** The cluster's ingress network, not allocated yet (as `tsswarm init` writes it, with a subnet of its own). */
export function mkIngress(id = 'ingress', subnet = '10.255.0.0/24'): Network {
  const b = networkBody(id, id);
  return { ...b, spec: { ...b.spec, ipam: { configs: [{ subnet, gateway: null, ipRange: null }] }, ingress: true }, meta: meta() };
}

/** A published port as the flags write it: tcp, ingress mode unless `o` says otherwise. */
export function mkPort(target: number, published: number | null, o: Partial<PortConfig> = {}): PortConfig {
  return { name: '', protocol: 'tcp', targetPort: target, publishedPort: published, publishMode: 'ingress', snat: false, ...o };
}

/** A cluster state that decisions are applied to, as the store would (versions bump on write). */
export class World {
  services: Service[] = [];
  tasks: Task[] = [];
  nodes: Node[] = [];
  networks: Network[] = [];
  now = 1_000_000;
  private version = 100;
  readonly newId = ids('t');

  stamp<T extends { meta: Task['meta'] }>(o: T, created = false): T {
    const v = ++this.version;
    return { ...o, meta: { version: v, createdAt: created ? this.now : o.meta.createdAt, updatedAt: this.now } };
  }

  addNode(n: Node): void {
    this.nodes = [...this.nodes.filter((x) => x.id !== n.id), n];
  }
  setService(s: Service): void {
    this.services = [...this.services.filter((x) => x.id !== s.id), this.stamp(s)];
  }
  service(id: string): Service {
    const s = this.services.find((x) => x.id === id);
    if (!s) throw new Error(`no service ${id}`);
    return s;
  }
  setTask(t: Task): void {
    this.tasks = this.tasks.map((x) => (x.id === t.id ? this.stamp(t) : x));
  }
  createTask(b: ObjectBody<'task'>): void {
    this.tasks.push(this.stamp({ ...b, meta: meta() }, true));
  }

  orchestrate(historyLimit = 5): OrchestratorActions {
    const a = orchestrate({ services: this.services, tasks: this.tasks, nodes: this.nodes, now: this.now, newId: this.newId, historyLimit });
    for (const { task, desiredState } of a.setDesired) this.setTask({ ...task, desiredState });
    for (const t of a.create) this.createTask(t);
    const gone = new Set(a.delete.map((t) => t.id));
    this.tasks = this.tasks.filter((t) => !gone.has(t.id));
    return a;
  }

  /** The allocator's pass: new tasks get their addresses and become pending. */
  allocate(): ReturnType<typeof allocate> {
    const d = allocate({ cluster: null, networks: this.networks, services: this.services, tasks: this.tasks, nodes: this.nodes });
    for (const { network, allocation } of d.networks) this.networks = this.networks.map((n) => (n.id === network.id ? this.stamp({ ...n, allocation }) : n));
    for (const { service, endpoint } of d.services) this.services = this.services.map((s) => (s.id === service.id ? this.stamp({ ...s, endpoint }) : s));
    for (const { task, networks } of d.ready) this.setTask({ ...task, networks, status: { ...task.status, state: 'pending', timestamp: this.now } });
    return d;
  }

  /** Allocator then scheduler, the order tasks pass through them. */
  schedule(): ReturnType<typeof schedule> {
    this.allocate();
    const d = schedule({ tasks: this.tasks.filter(isSchedulable), nodes: this.nodes, allTasks: this.tasks });
    for (const p of d.placements) {
      const t = this.tasks.find((x) => x.id === p.taskId) as Task;
      this.setTask({ ...t, nodeId: p.nodeId, status: { ...t.status, state: 'assigned', timestamp: this.now } });
    }
    return d;
  }

  update(serviceId: string): ReturnType<typeof decideUpdate> {
    const service = this.service(serviceId);
    const d = decideUpdate({ service, tasks: this.tasks.filter((t) => t.serviceId === serviceId), nodes: this.nodes, now: this.now, newId: this.newId });
    if (d.service) this.setService(d.service);
    for (const t of d.shutdown) this.setTask({ ...(this.tasks.find((x) => x.id === t.id) as Task), desiredState: 'shutdown' });
    for (const t of d.create) this.createTask(t);
    return d;
  }

  /**
   * The agents: assigned tasks start (or fail, per `outcome`), tasks told to shut down stop.
   * Returns how many tasks changed.
   */
  agents(outcome: (t: Task) => 'running' | 'failed' = () => 'running'): number {
    let n = 0;
    for (const t of [...this.tasks]) {
      const s = t.status.state;
      // A down node's agent reports nothing.
      if (t.nodeId !== null && this.nodes.find((x) => x.id === t.nodeId)?.status.state === 'down') continue;
      if (t.desiredState === 'shutdown' && ['assigned', 'running', 'pending'].includes(s) && t.nodeId !== null) {
        this.setTask({ ...t, status: { ...t.status, state: 'shutdown', timestamp: this.now } });
        n++;
      } else if (t.desiredState === 'running' && s === 'assigned') {
        const r = outcome(t);
        this.setTask({ ...t, status: { ...t.status, state: r, timestamp: this.now, exitCode: r === 'failed' ? 1 : null } });
        n++;
      }
    }
    return n;
  }

  /**
   * Run orchestrator, scheduler, updaters and agents until nothing changes and nothing is due
   * (bounded). When only a wake-up time is left, the clock jumps to it, as the loops' timers would.
   */
  settle(o: { outcome?: (t: Task) => 'running' | 'failed'; rounds?: number; stepMs?: number } = {}): void {
    for (let i = 0; i < (o.rounds ?? 100); i++) {
      const a = this.orchestrate();
      const d = this.schedule();
      let u = 0;
      let wake = a.wakeAt;
      for (const s of this.services) {
        const x = this.update(s.id);
        u += x.shutdown.length + x.create.length + (x.service ? 1 : 0);
        if (x.wakeAt !== null) wake = wake === null ? x.wakeAt : Math.min(wake, x.wakeAt);
      }
      const g = this.agents(o.outcome);
      const changed = a.create.length + a.setDesired.length + a.delete.length + d.placements.length + u + g > 0;
      this.now += o.stepMs ?? 1000;
      if (!changed) {
        if (wake === null) return;
        this.now = Math.max(this.now, wake);
      }
    }
  }

  live(serviceId?: string): Task[] {
    return this.tasks.filter((t) => (serviceId === undefined || t.serviceId === serviceId) && t.desiredState === 'running');
  }
  running(serviceId?: string): Task[] {
    return this.live(serviceId).filter((t) => t.status.state === 'running');
  }
  perNode(tasks: readonly Task[]): Record<string, number> {
    const out: Record<string, number> = {};
    for (const t of tasks) if (t.nodeId) out[t.nodeId] = (out[t.nodeId] ?? 0) + 1;
    return out;
  }
}
