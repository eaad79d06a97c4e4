import { describe, expect, it } from 'vitest';
import type { NodeNetworkState } from '../../../src/swarm/api/network-state.js';
import { engineNetworkName, engineNetworkNameOf } from '../../../src/swarm/agent/network-agent.js';
import { Worker, type WorkerNetworking } from '../../../src/swarm/agent/worker.js';
import type { TaskExecutor } from '../../../src/swarm/agent/executor.js';
import { TASK_LABELS } from '../../../src/swarm/agent/task-container.js';
import { answer, buildTable } from '../../../src/net/dns/index.js';
import { dnsRecordsFor } from '../../../src/swarm/agent/network-dns.js';
import type { NodeAttachment } from '../../../src/swarm/store/index.js';
import { FakeEngine, agentWith } from './network-agent-fakes.js';

/**
 * The agent on an attachable overlay: its engine network named by the network's name with this
 * node's range, standalone containers found, reported, and given VIP tables and DNS; remote
 * ones programmed like remote tasks.
 */

const CID = (c: string) => c.repeat(64);

/** n1's view: `shared` (attachable, web's task w1 on n2, a remote standalone container on n2) and `plain` (a1 here). */
function state(o: { attachRange?: string | null; index?: number } = {}): NodeNetworkState {
  return {
    index: o.index ?? 10,
    settled: 0,
    vxlanPort: 4789,
    ingress: null,
    nodeAddrs: ['10.199.0.11', '10.199.0.12'],
    networks: [
      { id: 'shared-id', name: 'shared', vni: 4096, subnet: '10.40.0.0/24', gateway: '10.40.0.1', internal: false, attachable: true, attachRange: o.attachRange === undefined ? '10.40.0.240/28' : o.attachRange, mtu: null, peers: ['10.199.0.12'] },
      { id: 'plain-id', name: 'plain', vni: 4097, subnet: '10.41.0.0/24', gateway: '10.41.0.1', internal: false, attachable: false, attachRange: null, mtu: null, peers: [] },
    ],
    endpoints: [
      { networkId: 'shared-id', kind: 'task', taskId: 'w1', taskName: 'web.1.w1', serviceId: 'web', address: '10.40.0.5', nodeId: 'n2', vtep: '10.199.0.12', backend: true },
      { networkId: 'shared-id', kind: 'container', taskId: CID('e'), taskName: 'remote-probe', serviceId: null, address: '10.40.0.225', nodeId: 'n2', vtep: '10.199.0.12', backend: false },
      { networkId: 'plain-id', kind: 'task', taskId: 'a1', taskName: 'api.1.a1', serviceId: 'api', address: '10.41.0.5', nodeId: 'n1', vtep: '10.199.0.11', backend: true },
    ],
    services: [
      { id: 'web', name: 'web', mode: 'vip', networks: [{ networkId: 'shared-id', aliases: [] }], vips: [{ networkId: 'shared-id', address: '10.40.0.4' }] },
      { id: 'api', name: 'api', mode: 'vip', networks: [{ networkId: 'plain-id', aliases: [] }], vips: [{ networkId: 'plain-id', address: '10.41.0.4' }] },
    ],
  };
}

describe('NetworkAgent: the engine network of an attachable overlay', () => {
  it('is named by the network, attachable, with this node\'s range; a plain overlay keeps tss-<id>', async () => {
    const e = new FakeEngine();
    const { agent, overlays } = agentWith(e);
    await agent.configure(state());
    expect(e.created.map((c) => [c.name, c.attachable, c.ipam?.config?.[0]])).toEqual([
      ['shared', true, { subnet: '10.40.0.0/24', gateway: '10.40.0.1', ipRange: '10.40.0.240/28' }],
      [engineNetworkName('plain-id'), false, { subnet: '10.41.0.0/24', gateway: '10.41.0.1' }],
      // The node's egress network (the overlays are not internal).
      ['tss-egress', undefined, undefined],
    ]);
    expect(e.created[0]).toMatchObject({ driver: 'macvlan', internal: true, driverOpts: { parent: 'tsvx-shared-id', macvlan_mode: 'bridge' } });
    expect(engineNetworkNameOf(state().networks[0]!)).toBe('shared');
    // The remote standalone container is programmed like a remote task: derived MAC, its node's VTEP.
    expect(overlays[0]!.overlays.find((o) => o.key === 'shared-id')!.remotes).toEqual([
      { ip: '10.40.0.5', mac: 'mac-10.40.0.5', vtep: '10.199.0.12' },
      { ip: '10.40.0.225', mac: 'mac-10.40.0.225', vtep: '10.199.0.12' },
    ]);
    // A task on it joins the engine network by that name.
    const t = { task: { networks: [{ networkId: 'shared-id', addresses: ['10.40.0.7'] }] }, serviceName: 'web' } as unknown as Parameters<typeof agent.attach>[0];
    expect(agent.attach(t)).toMatchObject({ networkMode: 'shared', networks: { shared: { ipv4Address: '10.40.0.7' } } });
    await agent.configure(state());
    expect(e.created).toHaveLength(3);
  });

  it('without a range the engine hands out nothing: IPRange is the taken gateway alone', async () => {
    const e = new FakeEngine();
    const { agent } = agentWith(e);
    await agent.configure(state({ attachRange: null }));
    expect(e.created[0]!.ipam?.config?.[0]).toEqual({ subnet: '10.40.0.0/24', gateway: '10.40.0.1', ipRange: '10.40.0.1/32' });
  });

  it('never clobbers an engine network of that name that is not tsswarm\'s: reports it and retries', async () => {
    const e = new FakeEngine();
    const logs: string[] = [];
    const { agent } = agentWith(e, { log: (m) => logs.push(m) });
    e.networks.push({ id: 'theirs', name: 'shared', driver: 'bridge', scope: 'local', labels: {}, internal: false, attachable: false, subnets: ['172.30.0.0/16'], containers: [] });
    await agent.configure(state());
    expect(e.networks.find((n) => n.name === 'shared')?.id).toBe('theirs');
    expect(agent.needsRetry).toBe(true);
    expect(logs.join('\n')).toMatch(/already has a network named shared that is not tsswarm's.*docker network rm shared/);
    e.networks = e.networks.filter((n) => n.id !== 'theirs');
    await agent.configure(state());
    expect(e.networks.find((n) => n.name === 'shared')?.labels['com.tsswarm.network.id']).toBe('shared-id');
  });

  it('the DNS table answers a remote standalone container by its name', () => {
    const view = dnsRecordsFor(state());
    const t = buildTable(view.networks, view.records, view.clients);
    const a = answer(t, { name: 'remote-probe', type: 'A' }, '10.40.0.241');
    expect(a === 'forward' ? a : a.answers.map((r) => r.data)).toEqual(['10.40.0.225']);
  });
});

describe('NetworkAgent: standalone containers here', () => {
  async function setup() {
    const e = new FakeEngine();
    const logs: string[] = [];
    const f = agentWith(e, { log: (m) => logs.push(m) });
    await f.agent.configure(state());
    return { e, logs, ...f };
  }

  it('are found on the engine network (not tasks, not outside the range), reported, and given VIPs and DNS at once', async () => {
    const { e, agent, lb, redirects, logs } = await setup();
    expect(agent.attachments).toBeUndefined();
    // The first scan is news even when empty: it replaces whatever the leader kept from before a restart.
    expect(await agent.refreshAttachments()).toBe(true);
    expect(agent.attachments).toEqual([]);
    expect(await agent.refreshAttachments()).toBe(false);
    e.containers.push(
      { id: CID('a'), name: 'probe', labels: {}, status: 'running', pid: 501, networks: ['shared'], addresses: { shared: '10.40.0.241' } },
      { id: CID('b'), name: 'web.2.x', labels: { [TASK_LABELS.task]: 'w2', [TASK_LABELS.node]: 'n1' }, status: 'running', pid: 502, networks: ['shared'], addresses: { shared: '10.40.0.8' } },
      { id: CID('c'), name: 'static', labels: {}, status: 'running', pid: 503, networks: ['shared'], addresses: { shared: '10.40.0.9' } },
    );
    expect(await agent.refreshAttachments()).toBe(true);
    expect(agent.attachments).toEqual([{ networkId: 'shared-id', containerId: CID('a'), name: 'probe', address: '10.40.0.241' }]);
    expect(lb.get('/proc/501/ns/net')).toEqual({ vips: [{ vip: '10.40.0.4', backends: ['10.40.0.5'] }] });
    expect(redirects.now.get('/proc/501/ns/net')).toBe('10.40.0.1');
    // Its egress (and Docker's forwarding of other names) through the node's egress network, as a task's, once its DNS is redirected.
    expect(e.connected).toEqual([`tss-egress ${CID('a')}`]);
    expect(redirects.calls.indexOf('apply /proc/501/ns/net 10.40.0.1')).toBeGreaterThanOrEqual(0);
    expect(logs.join('\n')).toMatch(/container static on network shared has address 10\.40\.0\.9, outside this node's attachment range 10\.40\.0\.240\/28/);
    // Nothing changed: no new inspect, no new redirect, no second log line.
    const inspected = e.inspectedContainers.length;
    const calls = redirects.calls.length;
    expect(await agent.refreshAttachments()).toBe(false);
    expect(e.inspectedContainers.length).toBe(inspected);
    expect(redirects.calls.length).toBe(calls);
    expect(logs.filter((l) => l.includes('static')).length).toBe(1);
  });

  it('a backend change reaches a standalone container\'s VIP table with the next state', async () => {
    const { e, agent, lb } = await setup();
    e.containers.push({ id: CID('a'), name: 'probe', labels: {}, status: 'running', pid: 501, networks: ['shared'], addresses: { shared: '10.40.0.241' } });
    await agent.refreshAttachments();
    const s = state({ index: 11 });
    s.endpoints[0] = { ...s.endpoints[0]!, backend: false };
    await agent.configure(s);
    expect(lb.get('/proc/501/ns/net')).toEqual({ vips: [{ vip: '10.40.0.4', backends: [] }] });
    expect(agent.programmedIndex).toBe(11);
  });

  it('a restarted container (new endpoint, new pid) is programmed again; a removed one is forgotten and its redirect removed', async () => {
    const { e, agent, lb, redirects } = await setup();
    e.containers.push({ id: CID('a'), name: 'probe', labels: {}, status: 'running', pid: 501, networks: ['shared'], addresses: { shared: '10.40.0.241' } });
    await agent.refreshAttachments();
    e.containers[0] = { ...e.containers[0]!, pid: 601, endpointSeq: 1 };
    expect(await agent.refreshAttachments()).toBe(true);
    expect(redirects.now.get('/proc/601/ns/net')).toBe('10.40.0.1');
    expect(lb.has('/proc/501/ns/net')).toBe(false);
    expect(redirects.calls).toContain('remove /proc/501/ns/net');
    e.containers = [];
    expect(await agent.refreshAttachments()).toBe(true);
    expect(agent.attachments).toEqual([]);
    expect(lb.size).toBe(0);
    expect(redirects.now.size).toBe(0);
  });

  it('an endpoint without a container (ep-<id>, a container going away) and a name the leader would refuse are not published', async () => {
    const { e, agent, logs } = await setup();
    e.strayEndpoints.push({ network: 'shared', containerId: `ep-${'f'.repeat(64)}`, name: 'probe', endpointId: 'x', ipv4Address: '10.40.0.242' });
    e.containers.push({ id: CID('a'), name: 'n'.repeat(200), labels: {}, status: 'running', pid: 501, networks: ['shared'], addresses: { shared: '10.40.0.241' } });
    await agent.refreshAttachments();
    expect(agent.attachments).toEqual([]);
    expect(e.inspectedContainers).toEqual([CID('a')]);
    expect(logs.join('\n')).toMatch(/container n+ on network shared is not published: name: /);
  });

  it('a container on the plain overlay\'s engine network is never looked at', async () => {
    const { e, agent } = await setup();
    e.containers.push({ id: CID('d'), name: 'sneaky', labels: {}, status: 'running', pid: 701, networks: [engineNetworkName('plain-id')], addresses: { [engineNetworkName('plain-id')]: '10.41.0.200' } });
    await agent.refreshAttachments();
    expect(agent.attachments).toEqual([]);
    expect(e.inspectedContainers).not.toContain(CID('d'));
  });
});

describe('Worker: reporting standalone containers', () => {
  it('sends them with the network-state request once the agent has looked, and asks again at once when they change', async () => {
    const bodies: Array<{ attachments?: NodeAttachment[] }> = [];
    let found: NodeAttachment[] | undefined;
    let scans = 0;
    const networking: WorkerNetworking = {
      configure: async () => undefined,
      markCurrent: () => undefined,
      programmedIndex: 0,
      needsRetry: false,
      get attachments() {
        return found;
      },
      refreshAttachments: async () => {
        scans++;
        if (scans === 1) {
          found = [{ networkId: 'shared-id', containerId: CID('a'), name: 'probe', address: '10.40.0.241' }];
          return true;
        }
        return false;
      },
    };
    const worker = new Worker({
      executor: { reconcile: async () => [] } as unknown as TaskExecutor,
      networking,
      periodMs: 60_000,
      log: () => undefined,
      call: async <T,>(path: string, body: unknown): Promise<T> => {
        if (path === '/v1/dispatcher/network-state') bodies.push(body as { attachments?: NodeAttachment[] });
        return (path === '/v1/dispatcher/network-state' ? state() : { index: 1, ids: [], tasks: [] }) as T;
      },
    });
    worker.run();
    for (let i = 0; i < 100 && bodies.length < 4; i++) await new Promise((r) => setTimeout(r, 10));
    await worker.stop();
    expect(bodies[0]).not.toHaveProperty('attachments');
    expect(bodies[1]?.attachments?.map((a) => a.name)).toEqual(['probe']);
    // Unchanged since the leader took them: not sent again (until the repair period).
    expect(bodies.slice(2).some((b) => 'attachments' in b)).toBe(false);
  });

  it('keeps looking when the request fails, so what it reports next never waits on the answer', async () => {
    let scans = 0;
    const networking: WorkerNetworking = {
      configure: async () => undefined,
      markCurrent: () => undefined,
      programmedIndex: 0,
      needsRetry: false,
      attachments: [],
      refreshAttachments: async () => {
        scans++;
        return false;
      },
    };
    const worker = new Worker({
      executor: { reconcile: async () => [] } as unknown as TaskExecutor,
      networking,
      periodMs: 20,
      log: () => undefined,
      call: async <T,>(path: string): Promise<T> => {
        if (path === '/v1/dispatcher/network-state') throw new Error('invalid request field attachments.0.name');
        return { index: 1, ids: [], tasks: [] } as T;
      },
    });
    worker.run();
    for (let i = 0; i < 100 && scans < 2; i++) await new Promise((r) => setTimeout(r, 10));
    await worker.stop();
    expect(scans).toBeGreaterThanOrEqual(2);
  });
});
