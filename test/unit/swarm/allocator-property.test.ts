import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { allocate, AddressPool, formatAddr, parseAddr, parseCidr } from '../../../src/swarm/manager/allocator/index.js';
import { writeAllocation } from '../../../src/swarm/manager/allocator-loop.js';
import { writeOrchestration } from '../../../src/swarm/manager/orchestrator-loop.js';
import { writeScheduling } from '../../../src/swarm/manager/scheduler-loop.js';
import { orchestrate } from '../../../src/swarm/manager/orchestrator/index.js';
import { isSchedulable, schedule } from '../../../src/swarm/manager/scheduler/index.js';
import { TASK_STATES, type MemoryStore, type Task } from '../../../src/swarm/store/index.js';

const at = (s: Task['status']['state']) => TASK_STATES.indexOf(s);
/**
 * Written here on its own rather than imported, so a mistake in the allocator's rule cannot hide
 * in the check: a task holds its addresses from `pending` until it is terminal, unless it was
 * never handed to a node and is no longer wanted (then no container can exist).
 */
function holds(t: Task): boolean {
  const s = at(t.status.state);
  if (s === at('new') || s > at('running')) return false;
  return s >= at('assigned') || at(t.desiredState) <= at('running');
}
import { network, newStore, node, service } from './store-fixtures.js';

/**
 * Random histories of a small cluster — services created, scaled and removed, tasks failing,
 * nodes leaving and joining, networks created and removed (even while in use: the race the API
 * cannot fully exclude) — with the real orchestrator, allocator and scheduler writing a real
 * store and fake agents. After every step: no address is held twice on one network (a node's
 * attachment range counts as holding every address in it), every address lies inside its subnet
 * (and ip range for tasks and VIPs) and is never the network or broadcast address, and VNIs are
 * unique.
 */

type Op =
  | { op: 'service'; nets: number[]; dnsrr: boolean; replicas: number }
  | { op: 'scale'; svc: number; replicas: number }
  | { op: 'fail'; task: number }
  | { op: 'stop-node'; node: number }
  | { op: 'node-leaves'; node: number }
  | { op: 'node-joins' }
  | { op: 'remove-service'; svc: number }
  | { op: 'network'; size: 28 | 29 | 30; ranged: boolean; attachable: boolean }
  | { op: 'remove-network'; net: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ op: fc.constant('service' as const), nets: fc.uniqueArray(fc.nat(3), { maxLength: 2 }), dnsrr: fc.boolean(), replicas: fc.integer({ min: 1, max: 8 }) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('scale' as const), svc: fc.nat(), replicas: fc.integer({ min: 0, max: 10 }) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('fail' as const), task: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('stop-node' as const), node: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('node-leaves' as const), node: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('node-joins' as const) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('remove-service' as const), svc: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('network' as const), size: fc.constantFrom(28 as const, 29 as const, 30 as const), ranged: fc.boolean(), attachable: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('remove-network' as const), net: fc.nat() }) },
);

class Sim {
  readonly store: MemoryStore = newStore().store;
  private n = 0;
  now = 1_000_000;
  private readonly newId = () => `t${++this.n}`;

  async init(): Promise<void> {
    await this.store.update((tx) => {
      for (const id of ['n1', 'n2', 'n3']) tx.create('node', node(id));
      for (let i = 0; i < 3; i++) tx.create('network', this.networkBody(29, i === 1, i === 2));
    });
  }

  private networkBody(size: number, ranged: boolean, attachable = false) {
    const id = `net${++this.n}`;
    const b = network(id);
    // Explicit small subnets make exhaustion common; every fourth one comes from the pools.
    const k = this.n % 4;
    const subnet = `10.${this.n % 250}.${k}.0/${size}`;
    const ipRange = ranged ? `10.${this.n % 250}.${k}.${2 ** (32 - size) / 2}/${size + 1}` : null;
    const configs = k === 0 ? [] : [{ subnet, gateway: null, ipRange }];
    // Attachable ones give every ready node a gateway and a /30 block, so blocks run out too.
    const driverOptions: Record<string, string> = attachable ? { 'attach-prefix': '30' } : {};
    return { ...b, spec: { ...b.spec, ipam: { configs }, attachable, driverOptions } };
  }

  private pick<T>(xs: readonly T[], i: number): T | undefined {
    return xs.length === 0 ? undefined : xs[i % xs.length];
  }

  async apply(o: Op): Promise<void> {
    const v = this.store.view((tx) => ({ services: tx.find('service'), tasks: tx.find('task'), nodes: tx.find('node'), networks: tx.find('network') }));
    await this.store.update((tx) => {
      switch (o.op) {
        case 'service': {
          const id = `s${++this.n}`;
          const b = service(id);
          const nets = o.nets.map((i) => this.pick(v.networks, i)?.id).filter((x): x is string => x !== undefined);
          tx.create('service', {
            ...b,
            spec: { ...b.spec, mode: { type: 'replicated', replicas: o.replicas }, task: { ...b.spec.task, networks: [...new Set(nets)].map((target) => ({ target, aliases: [] })) }, endpoint: { mode: o.dnsrr ? 'dnsrr' : 'vip', ports: [] } },
          });
          return;
        }
        case 'scale': {
          const s = this.pick(v.services, o.svc);
          if (s) tx.update('service', { ...s, spec: { ...s.spec, mode: { type: 'replicated', replicas: o.replicas } } });
          return;
        }
        case 'fail': {
          const t = this.pick(v.tasks.filter((x) => x.status.state === 'running'), o.task);
          if (t) tx.update('task', { ...t, status: { ...t.status, state: 'failed', timestamp: this.now, exitCode: 1 } });
          return;
        }
        case 'stop-node': {
          const n = this.pick(v.nodes, o.node);
          if (n) tx.update('node', { ...n, status: { ...n.status, state: 'down' } });
          return;
        }
        case 'node-leaves': {
          const n = this.pick(v.nodes, o.node);
          if (n) tx.delete('node', n.id);
          return;
        }
        case 'node-joins':
          tx.create('node', node(`node${++this.n}`));
          return;
        case 'remove-service': {
          const s = this.pick(v.services, o.svc);
          if (s) tx.delete('service', s.id);
          return;
        }
        case 'network':
          tx.create('network', this.networkBody(o.size, o.ranged, o.attachable));
          return;
        case 'remove-network': {
          const n = this.pick(v.networks, o.net);
          if (n) tx.delete('network', n.id);
          return;
        }
      }
    });
  }

  /** The loops and agents, a few rounds: orchestrator, allocator, scheduler, agents. */
  async settle(rounds = 3): Promise<void> {
    for (let i = 0; i < rounds; i++) {
      this.now += 1000;
      const view = () => this.store.view((tx) => ({ cluster: null, networks: tx.find('network'), services: tx.find('service'), tasks: tx.find('task'), nodes: tx.find('node') }));
      let w = view();
      await writeOrchestration(this.store, orchestrate({ services: w.services, tasks: w.tasks, nodes: w.nodes, now: this.now, newId: this.newId, historyLimit: 2 }));
      await writeAllocation(this.store, allocate(view()), this.now);
      this.check();
      w = view();
      await writeScheduling(this.store, { gated: [], decision: schedule({ tasks: w.tasks.filter(isSchedulable), nodes: w.nodes, allTasks: w.tasks }) }, this.now);
      await this.agents();
      this.check();
    }
  }

  private async agents(): Promise<void> {
    const nodes = new Map(this.store.view((tx) => tx.find('node')).map((n) => [n.id, n]));
    await this.store.batch(async (b) => {
      for (const t of this.store.view((tx) => tx.find('task'))) {
        const n = t.nodeId === null ? undefined : nodes.get(t.nodeId);
        if (n === undefined || n.status.state === 'down') continue;
        const s = t.status.state;
        if (t.desiredState === 'running' && s === 'assigned') await b.update((tx) => void tx.update('task', { ...t, status: { ...t.status, state: 'running', timestamp: this.now } }));
        else if (t.desiredState === 'shutdown' && (s === 'assigned' || s === 'running')) await b.update((tx) => void tx.update('task', { ...t, status: { ...t.status, state: 'shutdown', timestamp: this.now } }));
      }
    });
  }

  /** The invariants, on what the store holds now. */
  check(): void {
    const v = this.store.view((tx) => ({ services: tx.find('service'), tasks: tx.find('task'), networks: tx.find('network') }));
    const vnis = v.networks.flatMap((n) => (n.allocation ? [n.allocation.vni] : []));
    expect(new Set(vnis).size, `VNIs ${vnis.join(',')}`).toBe(vnis.length);
    for (const net of v.networks) {
      if (net.allocation === null) continue;
      const sub = net.allocation.subnets[0]!;
      const cfg = net.spec.ipam.configs[0];
      const pool = new AddressPool(parseCidr(sub.subnet), cfg?.ipRange ? parseCidr(cfg.ipRange) : null);
      const holders = new Map<string, string>();
      const hold = (addr: string, who: string, inRange: boolean): void => {
        const a = parseAddr(addr);
        expect(inRange ? pool.inRange(a) : pool.isHost(a), `${who}: ${addr} outside ${sub.subnet}${cfg?.ipRange ? ` range ${cfg.ipRange}` : ''} or a network/broadcast address`).toBe(true);
        const other = holders.get(addr);
        expect(other, `${addr} on ${net.id} held by ${other} and ${who}`).toBeUndefined();
        holders.set(addr, who);
      };
      // The gateway is reserved for the nodes: a node may hold it, nobody else.
      const gatewayNode = net.allocation.nodes.find((e) => e.address === sub.gateway);
      holders.set(sub.gateway, gatewayNode ? `node ${gatewayNode.nodeId}` : 'gateway');
      for (const e of net.allocation.nodes) if (e.address !== sub.gateway) hold(e.address, `node ${e.nodeId}`, false);
      // An attachment range: every host address in it is the node's engine's to hand out.
      for (const e of net.allocation.nodes) {
        if (e.attachRange === null) continue;
        expect(net.spec.attachable, `range ${e.attachRange} on a network that is not attachable`).toBe(true);
        const r = parseCidr(e.attachRange);
        expect(r.base >= pool.subnet.base && r.base + 2 ** (32 - r.prefix) - 1 <= pool.subnet.base + 2 ** (32 - pool.subnet.prefix) - 1, `range ${e.attachRange} inside ${sub.subnet}`).toBe(true);
        for (let a = r.base; a < r.base + 2 ** (32 - r.prefix); a++) if (pool.isHost(a)) hold(formatAddr(a), `range of node ${e.nodeId}`, false);
      }
      for (const s of v.services) for (const vip of s.endpoint?.virtualIPs ?? []) if (vip.networkId === net.id) hold(vip.addr, `VIP of ${s.id}`, true);
      for (const t of v.tasks) {
        if (!holds(t)) continue;
        for (const a of t.networks) if (a.networkId === net.id) for (const addr of a.addresses) hold(addr, `task ${t.id}`, true);
      }
    }
    // A task past `new` has an address on every network of its spec that still exists.
    const live = new Set(v.networks.map((n) => n.id));
    for (const t of v.tasks) {
      if (t.status.state === 'new') continue;
      for (const target of t.spec.networks.map((n) => n.target)) {
        if (!live.has(target)) continue;
        expect(t.networks.some((n) => n.networkId === target && n.addresses.length === 1), `task ${t.id} on ${target}`).toBe(true);
      }
    }
  }
}

describe('allocator: property — no address is ever held twice', () => {
  it('holds over random histories of services, scaling, failures, nodes and networks', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 12 }), async (ops) => {
        const sim = new Sim();
        await sim.init();
        for (const o of ops) {
          await sim.apply(o);
          sim.check();
          await sim.settle(2);
        }
      }),
      { numRuns: 200, seed: 20261215 },
    );
  }, 120_000);
});
