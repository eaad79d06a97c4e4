import { allocate, type AllocatorDecision, type AllocatorInput } from '../../../src/swarm/manager/allocator/index.js';
import { writeAllocation } from '../../../src/swarm/manager/allocator-loop.js';
import type { MemoryStore, Network, Node, ObjectBody, PortConfig, Service, Task, TaskState } from '../../../src/swarm/store/index.js';
import { cluster, network, newStore, node, service, task } from './store-fixtures.js';

/**
 * A MemoryStore with the allocator's pass (pure core + writer) and helpers that play the API,
 * the orchestrator, the scheduler and the agents, so allocator scenarios read as steps.
 */
export class AllocHarness {
  readonly store: MemoryStore;
  private n = 0;

  constructor() {
    this.store = newStore().store;
  }

  view(): AllocatorInput {
    return this.store.view((tx) => ({ cluster: tx.find('cluster')[0] ?? null, networks: tx.find('network'), services: tx.find('service'), tasks: tx.find('task'), nodes: tx.find('node') }));
  }

  /** One allocator pass: decide from the store, write the decision. */
  async pass(): Promise<AllocatorDecision> {
    const d = allocate(this.view());
    await writeAllocation(this.store, d, 1_000);
    return d;
  }

  async cluster(networking?: ObjectBody<'cluster'>['spec']['networking']): Promise<void> {
    const c = cluster();
    await this.store.update((tx) => void tx.create('cluster', networking ? { ...c, spec: { ...c.spec, networking } } : c));
  }

  async nodes(...ids: string[]): Promise<void> {
    await this.store.update((tx) => {
      for (const id of ids) tx.create('node', node(id));
    });
  }

  async nodeNetworks(id: string, networks: string[]): Promise<void> {
    await this.store.update((tx) => {
      const n = tx.get('node', id)!;
      tx.update('node', { ...n, description: { ...n.description!, networks } });
    });
  }

  async removeNode(id: string): Promise<void> {
    await this.store.update((tx) => tx.delete('node', id));
  }

  /** A network; no `subnet` means "from the default pools". */
  async net(id: string, o: { subnet?: string; gateway?: string; ipRange?: string; attachable?: boolean; attachPrefix?: number; ingress?: boolean } = {}): Promise<void> {
    const b = network(id);
    const configs = o.subnet === undefined ? [] : [{ subnet: o.subnet, gateway: o.gateway ?? null, ipRange: o.ipRange ?? null }];
    const driverOptions = o.attachPrefix === undefined ? b.spec.driverOptions : { ...b.spec.driverOptions, 'attach-prefix': String(o.attachPrefix) };
    await this.store.update((tx) => void tx.create('network', { ...b, spec: { ...b.spec, ipam: { configs }, attachable: o.attachable ?? false, ingress: o.ingress ?? false, driverOptions } }));
  }

  async setNode(id: string, state: Node['status']['state']): Promise<void> {
    await this.store.update((tx) => {
      const n = tx.get('node', id)!;
      tx.update('node', { ...n, status: { ...n.status, state } });
    });
  }

  async removeNetwork(id: string): Promise<void> {
    await this.store.update((tx) => tx.delete('network', id));
  }

  async svc(id: string, o: { networks?: string[]; mode?: 'vip' | 'dnsrr'; ports?: PortConfig[] } = {}): Promise<void> {
    const b = service(id);
    const spec = { ...b.spec, task: { ...b.spec.task, networks: (o.networks ?? []).map((target) => ({ target, aliases: [] })) }, endpoint: { mode: o.mode ?? 'vip', ports: o.ports ?? [] } };
    await this.store.update((tx) => void tx.create('service', { ...b, spec }));
  }

  async updateSvc(id: string, f: (s: Service) => Service): Promise<void> {
    await this.store.update((tx) => void tx.update('service', f(tx.get('service', id)!)));
  }

  async removeSvc(id: string): Promise<void> {
    await this.store.update((tx) => tx.delete('service', id));
  }

  /** `count` new tasks of a service (as the orchestrator makes them), with its task spec. Returns their ids. */
  async tasks(serviceId: string, count: number, o: { nodeId?: string } = {}): Promise<string[]> {
    const ids: string[] = [];
    await this.store.update((tx) => {
      const s = tx.get('service', serviceId)!;
      for (let i = 0; i < count; i++) {
        const id = `${serviceId}-t${++this.n}`;
        ids.push(id);
        tx.create('task', { ...task(id, serviceId, this.n, o.nodeId ?? null), spec: s.spec.task, ports: s.spec.endpoint.ports });
      }
    });
    return ids;
  }

  async setTask(id: string, o: { state?: TaskState; nodeId?: string | null; desired?: TaskState }): Promise<void> {
    await this.store.update((tx) => {
      const t = tx.get('task', id)!;
      tx.update('task', {
        ...t,
        ...(o.nodeId === undefined ? {} : { nodeId: o.nodeId }),
        ...(o.desired === undefined ? {} : { desiredState: o.desired }),
        status: { ...t.status, ...(o.state === undefined ? {} : { state: o.state }) },
      });
    });
  }

  async deleteTask(id: string): Promise<void> {
    await this.store.update((tx) => tx.delete('task', id));
  }

  task(id: string): Task {
    return this.store.view((tx) => tx.get('task', id))!;
  }
  network(id: string): Network {
    return this.store.view((tx) => tx.get('network', id))!;
  }
  service(id: string): Service {
    return this.store.view((tx) => tx.get('service', id))!;
  }
  /** The task's address on a network, or undefined. */
  addr(taskId: string, networkId: string): string | undefined {
    return this.task(taskId).networks.find((n) => n.networkId === networkId)?.addresses[0];
  }
  vips(serviceId: string): Record<string, string> {
    return Object.fromEntries((this.service(serviceId).endpoint?.virtualIPs ?? []).map((v) => [v.networkId, v.addr]));
  }
}
