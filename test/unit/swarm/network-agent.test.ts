import { describe, expect, it } from 'vitest';
import type { ContainerInfo, ContainerRuntime, ContainerSpec } from '../../../src/runtime/index.js';
import type { NodeNetworkState } from '../../../src/swarm/api/network-state.js';
import { TaskExecutor } from '../../../src/swarm/agent/executor.js';
import { EGRESS_NETWORK, NetworkNotReadyError, engineNetworkName } from '../../../src/swarm/agent/network-agent.js';
import { dnsRecordsFor } from '../../../src/swarm/agent/network-dns.js';
import { vipTableFor } from '../../../src/swarm/agent/network-vips.js';
import { TASK_LABELS } from '../../../src/swarm/agent/task-container.js';
import { nodeNetworkState } from '../../../src/swarm/manager/network-state.js';
import type { Network, Node, Service, Task } from '../../../src/swarm/store/index.js';
import { answer, buildTable, type DnsTable } from '../../../src/net/dns/index.js';
import type { VipTable } from '../../../src/net/lb/index.js';
import { mkNode, mkService, mkTask } from './task-fixtures.js';
import { FakeEngine, agentWith } from './network-agent-fakes.js';
import { network as networkBody } from './store-fixtures.js';

const meta = { version: 1, createdAt: 0, updatedAt: 0 };

function net(id: string, nodes: Array<[string, string]>, subnet = '10.10.0.0/24'): Network {
  const b = networkBody(id);
  return { ...b, spec: { ...b.spec, ipam: { configs: [] } }, allocation: { vni: 4096, subnets: [{ subnet, gateway: subnet.replace(/0\/\d+$/, '1') }], nodes: nodes.map(([nodeId, address]) => ({ nodeId, address, attachRange: null })) }, meta };
}

function node(id: string, addr: string, state: 'ready' | 'down' = 'ready'): Node {
  const n = mkNode(id, { state });
  return { ...n, status: { ...n.status, addr } };
}

function svc(id: string, networks: Array<{ target: string; aliases?: string[] }>, vips: Array<[string, string]>, mode: 'vip' | 'dnsrr' = 'vip'): Service {
  const s = mkService(id, { name: id });
  return {
    ...s,
    spec: { ...s.spec, endpoint: { mode, ports: [] }, task: { ...s.spec.task, networks: networks.map((n) => ({ target: n.target, aliases: n.aliases ?? [] })) } },
    endpoint: { ports: [], virtualIPs: vips.map(([networkId, addr]) => ({ networkId, addr })) },
  };
}

function task(id: string, serviceId: string, nodeId: string, nets: Array<[string, string]>, o: { health?: Task['status']['health']; desired?: Task['desiredState']; state?: Task['status']['state']; version?: number } = {}): Task {
  const t = mkTask(id, serviceId, 1, { nodeId, state: o.state ?? 'running', desired: o.desired ?? 'running', health: o.health ?? null, version: o.version ?? 1 });
  return { ...t, networks: nets.map(([networkId, a]) => ({ networkId, addresses: [a] })) };
}

/** Three nodes; web (3 tasks, one per node) and api (on n2, unhealthy) on net A; lonely on net B (n3 only). */
function world() {
  const nodes = [node('n1', '10.199.0.11'), node('n2', '10.199.0.12'), node('n3', '10.199.0.13:4242'), node('n4', '10.199.0.14', 'down')];
  const networks = [net('A', [['n1', '10.10.0.1'], ['n2', '10.10.0.2'], ['n3', '10.10.0.3'], ['n4', '10.10.0.4']]), net('B', [['n3', '10.20.0.1']], '10.20.0.0/24')];
  const services = [svc('web', [{ target: 'A', aliases: ['www'] }], [['A', '10.10.0.100']]), svc('api', [{ target: 'A' }], [['A', '10.10.0.101']]), svc('lonely', [{ target: 'B' }], [['B', '10.20.0.100']]), svc('rr', [{ target: 'A' }], [], 'dnsrr')];
  const tasks = [
    task('w1', 'web', 'n1', [['A', '10.10.0.11']]),
    task('w2', 'web', 'n2', [['A', '10.10.0.12']]),
    task('w3', 'web', 'n3', [['A', '10.10.0.13']], { desired: 'shutdown' }),
    task('a1', 'api', 'n2', [['A', '10.10.0.21']], { health: 'starting' }),
    task('l1', 'lonely', 'n3', [['B', '10.20.0.11']]),
    task('r1', 'rr', 'n2', [['A', '10.10.0.31']]),
    task('old', 'web', 'n1', [['A', '10.10.0.9']], { state: 'complete', desired: 'shutdown' }),
  ];
  return { index: 42, vxlanPort: 4789, nodes, networks, services, tasks };
}

describe('the network state a node programs (pure, from the store)', () => {
  it('names only the overlays the node has tasks on, its own gateway, live peers, every live endpoint and the VIPs', () => {
    const st = nodeNetworkState('n1', 40, world());
    expect(st.index).toBe(42);
    expect(st.settled).toBe(40);
    expect(st.networks.map((n) => [n.id, n.gateway, n.peers])).toEqual([['A', '10.10.0.1', ['10.199.0.12', '10.199.0.13']]]);
    expect(st.nodeAddrs).toEqual(['10.199.0.11', '10.199.0.12', '10.199.0.13']);
    // The finished task holds no endpoint; the stopping one still does (its container exists) but is no backend.
    expect(st.endpoints.map((e) => [e.taskId, e.address, e.vtep, e.backend])).toEqual([
      ['w1', '10.10.0.11', '10.199.0.11', true],
      ['w2', '10.10.0.12', '10.199.0.12', true],
      ['w3', '10.10.0.13', '10.199.0.13', false],
      ['a1', '10.10.0.21', '10.199.0.12', false],
      ['r1', '10.10.0.31', '10.199.0.12', true],
    ]);
    expect(st.services.map((s) => s.id).sort()).toEqual(['api', 'rr', 'web']);
    expect(st.endpoints.find((e) => e.taskId === 'w1')?.taskName).toBe('web.1.w1');
  });

  it('a node with a task on both overlays gets both', () => {
    const w = world();
    w.tasks.push(task('x', 'lonely', 'n1', [['B', '10.20.0.12']]));
    expect(nodeNetworkState('n1', 0, w).networks.map((n) => n.id)).toEqual(['A', 'B']);
  });
});

describe('DNS answers and VIP tables derived from it', () => {
  const st = nodeNetworkState('n1', 0, world());
  const view = dnsRecordsFor(st);
  const table: DnsTable = buildTable(view.networks, view.records, view.clients);
  const ask = (name: string, from = '10.10.0.11') => {
    const a = answer(table, { name, type: 'A' }, from);
    return a === 'forward' ? 'forward' : a.answers.map((r) => r.data).sort();
  };

  it('service names and aliases are the VIP, tasks.<service> the backends, dnsrr the backends', () => {
    expect(ask('web')).toEqual(['10.10.0.100']);
    expect(ask('www')).toEqual(['10.10.0.100']);
    expect(ask('tasks.web')).toEqual(['10.10.0.11', '10.10.0.12']);
    // An unhealthy task is no backend: its service name still resolves (the VIP) but refuses.
    expect(ask('tasks.api')).toEqual([]);
    expect(ask('rr')).toEqual(['10.10.0.31']);
    expect(ask('web.1.w1')).toEqual(['10.10.0.11']);
  });

  it('names of overlays the asker is not on are not ours: forwarded', () => {
    expect(ask('lonely')).toBe('forward');
  });

  it('a client sees every VIP of its overlays with their backends; empty backends refuse', () => {
    const t: VipTable = vipTableFor(st, 'w1');
    expect(t).toEqual({ vips: [{ vip: '10.10.0.100', backends: ['10.10.0.11', '10.10.0.12'] }, { vip: '10.10.0.101', backends: [] }] });
    expect(vipTableFor(st, 'nobody')).toEqual({ vips: [] });
  });
});

describe('NetworkAgent over a fake engine and fake dataplane ports', () => {
  const st = (): NodeNetworkState => nodeNetworkState('n1', 0, world());

  it('programs the devices, then a macvlan engine network on the VXLAN device and the egress network; remotes with derived MACs; DNS on the shim address', async () => {
    const e = new FakeEngine();
    const { agent, overlays, dns } = agentWith(e);
    await agent.configure(st());
    expect(e.created).toEqual([
      expect.objectContaining({ name: engineNetworkName('A'), driver: 'macvlan', internal: true, driverOpts: { parent: 'tsvx-A', macvlan_mode: 'bridge' }, ipam: { driver: 'default', config: [{ subnet: '10.10.0.0/24', gateway: '10.10.0.1' }] } }),
      expect.objectContaining({ name: EGRESS_NETWORK, driver: 'bridge', driverOpts: { 'com.docker.network.bridge.name': 'tsegress0', 'com.docker.network.bridge.enable_icc': 'false' } }),
    ]);
    expect(overlays[0]!.overlays[0]).toMatchObject({ key: 'A', shim: 'tsgw-A', vxlan: 'tsvx-A', address: '10.10.0.1/24', vni: 4096, mtu: 1450, local: '10.199.0.11', peers: ['10.199.0.12', '10.199.0.13'] });
    expect(overlays[0]!.overlays[0]!.remotes).toContainEqual({ ip: '10.10.0.12', mac: 'mac-10.10.0.12', vtep: '10.199.0.12' });
    expect(overlays[0]!.overlays[0]!.remotes.some((r) => r.ip === '10.10.0.11')).toBe(false);
    expect(dns.bound).toEqual(['10.10.0.1']);
    expect(agent.programmedIndex).toBe(42);
    expect(agent.needsRetry).toBe(false);
    // A second pass with the same state creates nothing again.
    await agent.configure(st());
    expect(e.created.length).toBe(2);
  });

  it('attach: the cluster address on every overlay and DNS through this node\'s gateway; not ready yet -> NetworkNotReadyError', async () => {
    const e = new FakeEngine();
    const { agent } = agentWith(e);
    const w1 = world().tasks[0]!;
    expect(() => agent.attach({ task: w1, serviceName: 'web' })).toThrow(NetworkNotReadyError);
    await agent.configure(st());
    expect(agent.attach({ task: w1, serviceName: 'web' })).toEqual({ networkMode: engineNetworkName('A'), networks: { [engineNetworkName('A')]: { ipv4Address: '10.10.0.11' }, [EGRESS_NETWORK]: {} }, dns: ['10.10.0.1'] });
    expect(agent.attach({ task: { ...w1, networks: [] }, serviceName: 'web' })).toEqual({ networkMode: 'bridge' });
  });

  it('a task only on internal overlays gets no egress network, and the egress network goes once no overlay has needed it for 5 s', async () => {
    const e = new FakeEngine();
    const clock = { t: 1_000_000 };
    const { agent } = agentWith(e, { now: () => clock.t });
    await agent.configure(st());
    expect(e.networks.map((n) => n.name)).toContain(EGRESS_NETWORK);
    const internal = world();
    internal.networks = internal.networks.map((n) => ({ ...n, spec: { ...n.spec, internal: true } }));
    // A moment without a need (a rolling update between two tasks): it stays.
    await agent.configure(nodeNetworkState('n1', 0, { ...internal, index: 43 }));
    expect(e.networks.map((n) => n.name)).toContain(EGRESS_NETWORK);
    clock.t += 6_000;
    await agent.configure(nodeNetworkState('n1', 0, { ...internal, index: 44 }));
    expect(e.networks.map((n) => n.name)).toEqual([engineNetworkName('A')]);
    const w1 = internal.tasks[0]!;
    expect(agent.attach({ task: w1, serviceName: 'web' }).networks).toEqual({ [engineNetworkName('A')]: { ipv4Address: '10.10.0.11' } });
  });

  it('a network the engine refuses waits and the pass is retried; a stale one still in use is removed once free', async () => {
    const e = new FakeEngine();
    const { agent } = agentWith(e);
    e.networks.push({ id: 'old', name: engineNetworkName('GONE'), driver: 'bridge', scope: 'local', labels: { 'com.tsswarm.network.id': 'GONE' }, internal: false, attachable: false, subnets: ['10.10.0.0/24'], containers: [] });
    e.containers.push({ id: 'c-old', labels: {}, status: 'running', pid: 7, networks: [engineNetworkName('GONE')] });
    e.failCreate.add(engineNetworkName('A'));
    await agent.configure(st());
    expect(agent.needsRetry).toBe(true);
    expect(() => agent.attach({ task: world().tasks[0]!, serviceName: 'web' })).toThrow(NetworkNotReadyError);
    // The executor removed the old container; the engine now accepts the subnet.
    e.containers = [];
    e.failCreate.clear();
    await agent.configure(st());
    expect(e.networks.map((n) => n.name)).toEqual([EGRESS_NETWORK, engineNetworkName('A')]);
    expect(agent.needsRetry).toBe(false);
  });

  it('DNS that cannot bind yet does not fail the pass but asks for a retry', async () => {
    const e = new FakeEngine();
    const { agent, dns } = agentWith(e);
    dns.failListen = true;
    await agent.configure(st());
    expect(agent.needsRetry).toBe(true);
    expect(agent.programmedIndex).toBe(42);
  });

  it('every running task container on an overlay gets its VIP table; a gone one is forgotten', async () => {
    const e = new FakeEngine();
    const { agent, lb } = agentWith(e);
    e.containers.push({ id: 'c1', labels: { [TASK_LABELS.task]: 'w1', [TASK_LABELS.node]: 'n1' }, status: 'running', pid: 101, networks: [] });
    await agent.configure(st());
    expect(lb.get('/proc/101/ns/net')?.vips.map((v) => v.vip)).toEqual(['10.10.0.100', '10.10.0.101']);
    e.containers = [];
    await agent.configure(st());
    expect(lb.has('/proc/101/ns/net')).toBe(false);
  });
});

describe('the stop gate: SIGTERM only once every node dropped the task from its VIPs and DNS', () => {
  function executorWith(stopped: string[]) {
    const info = { id: 'c1', running: true, paused: false, restarting: false, pid: 5, exitCode: 0, startedAt: '2026-01-01T00:00:00Z', health: undefined } as unknown as ContainerInfo;
    const runtime = {
      async listContainers() {
        return [{ id: 'c1', labels: { [TASK_LABELS.task]: 'w1', [TASK_LABELS.node]: 'n1' }, status: 'running', statusText: 'Up 1 second' }];
      },
      async inspectContainer() {
        return stopped.length > 0 ? { ...info, running: false } : info;
      },
      async stopContainer(id: string) {
        stopped.push(id);
      },
    } as unknown as ContainerRuntime;
    return new TaskExecutor({ runtime, nodeId: 'n1', log: () => undefined, networking: { attach: (): Pick<ContainerSpec, 'networkMode'> => ({ networkMode: 'bridge' }), started: async () => undefined } });
  }

  it('waits while settled is below the task\'s version, stops once it is not', async () => {
    const stopped: string[] = [];
    const ex = executorWith(stopped);
    const t = task('w1', 'web', 'n1', [['A', '10.10.0.11']], { desired: 'shutdown', version: 50 });
    await ex.reconcile([{ task: t, serviceName: 'web' }], { settled: 49 });
    expect(stopped).toEqual([]);
    await ex.reconcile([{ task: t, serviceName: 'web' }], { settled: 50 });
    expect(stopped).toEqual(['c1']);
  });

  it('a task on no overlay stops at once', async () => {
    const stopped: string[] = [];
    const ex = executorWith(stopped);
    const t = task('w1', 'web', 'n1', [], { desired: 'shutdown', version: 50 });
    await ex.reconcile([{ task: t, serviceName: 'web' }], { settled: 0 });
    expect(stopped).toEqual(['c1']);
  });
});
