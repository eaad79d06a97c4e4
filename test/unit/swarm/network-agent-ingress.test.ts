import { describe, expect, it } from 'vitest';
import type { NodeNetworkState } from '../../../src/swarm/api/network-state.js';
import { EGRESS_NETWORK, engineNetworkName } from '../../../src/swarm/agent/network-agent.js';
import { TASK_LABELS, taskContainerSpec } from '../../../src/swarm/agent/task-container.js';
import type { Task } from '../../../src/swarm/store/index.js';
import { mkTask } from './task-fixtures.js';
import { FakeEngine, agentWith } from './network-agent-fakes.js';

/** n1's view: overlay A (internal) with web's w1 here and w2 on n2; every node also on the ingress overlay ING; web publishes 8080. */
function state(o: { ingress?: boolean } = {}): NodeNetworkState {
  const ep = (taskId: string, networkId: string, address: string, nodeId: string, vtep: string) => ({ networkId, kind: 'task' as const, taskId, taskName: `web.1.${taskId}`, serviceId: 'web', address, nodeId, vtep, backend: true });
  const netw = (id: string, gateway: string, subnet: string, internal: boolean) => ({ id, name: id, vni: 4096 + id.length, subnet, gateway, internal, attachable: false, attachRange: null, mtu: null, peers: ['10.199.0.12'] });
  return {
    index: 7,
    settled: 0,
    vxlanPort: 4789,
    nodeAddrs: ['10.199.0.11', '10.199.0.12'],
    networks: [netw('A', '10.10.0.1', '10.10.0.0/24', true), ...(o.ingress === false ? [] : [netw('ING', '10.255.0.1', '10.255.0.0/24', false)])],
    endpoints: [ep('w1', 'A', '10.10.0.11', 'n1', '10.199.0.11'), ep('w2', 'A', '10.10.0.12', 'n2', '10.199.0.12'), ...(o.ingress === false ? [] : [ep('w1', 'ING', '10.255.0.11', 'n1', '10.199.0.11'), ep('w2', 'ING', '10.255.0.12', 'n2', '10.199.0.12')])],
    services: [{ id: 'web', name: 'web', mode: 'vip', networks: [{ networkId: 'A', aliases: [] }], vips: [{ networkId: 'A', address: '10.10.0.100' }] }],
    ingress:
      o.ingress === false
        ? null
        : {
            networkId: 'ING',
            gateways: [
              { nodeId: 'n1', address: '10.255.0.1', vtep: '10.199.0.11' },
              { nodeId: 'n2', address: '10.255.0.2', vtep: '10.199.0.12' },
            ],
            ports: [{ protocol: 'tcp', published: 8080, target: 80, snat: false, serviceId: 'web', serviceName: 'web', backends: ['10.255.0.11', '10.255.0.12'] }],
          },
  };
}

describe('NetworkAgent: the ingress mesh', () => {
  it('programs the entry table on the ingress shim once the overlay is there, with unicast entries for the other nodes\' shims', async () => {
    const e = new FakeEngine();
    const { agent, overlays, ingress } = agentWith(e);
    await agent.configure(state());
    expect(ingress.tables.at(-1)).toEqual({ shim: 'tsgw-ING', ports: [{ protocol: 'tcp', port: 8080, target: 80, snat: false, backends: ['10.255.0.11', '10.255.0.12'] }] });
    const ing = overlays[0]!.overlays.find((x) => x.key === 'ING')!;
    expect(ing.remotes).toContainEqual({ ip: '10.255.0.2', mac: 'mac-10.255.0.2', vtep: '10.199.0.12' });
    expect(ing.remotes.some((r) => r.ip === '10.255.0.1')).toBe(false);
    // No published port any more: the table goes.
    await agent.configure(state({ ingress: false }));
    expect(ingress.tables.at(-1)).toBeNull();
  });

  it('waits for the ingress overlay before writing ports, and asks for a retry', async () => {
    const e = new FakeEngine();
    const { agent, ingress } = agentWith(e);
    e.failCreate.add(engineNetworkName('ING'));
    await agent.configure(state());
    expect(ingress.tables).toEqual([]);
    expect(agent.needsRetry).toBe(true);
  });

  it('attach: the ingress overlay is joined last, gives no DNS and no egress; a running backend gets reply routing', async () => {
    const e = new FakeEngine();
    const { agent, ingress } = agentWith(e);
    await agent.configure(state());
    const t = { networks: [{ networkId: 'ING', addresses: ['10.255.0.11/24'] }, { networkId: 'A', addresses: ['10.10.0.11/24'] }], ports: [] };
    const a = agent.attach({ task: t as never, serviceName: 'web' });
    expect(a).toEqual({ networkMode: engineNetworkName('A'), networks: { [engineNetworkName('A')]: { ipv4Address: '10.10.0.11' }, [engineNetworkName('ING')]: { ipv4Address: '10.255.0.11' } }, dns: ['10.10.0.1'] });
    expect(Object.keys(a.networks!)).not.toContain(EGRESS_NETWORK);
    // Only on ingress (no network of its own): egress, as the engine's default bridge gave it.
    const only = agent.attach({ task: { networks: [t.networks[0]], ports: [] } as never, serviceName: 'web' });
    expect(only).toEqual({ networkMode: engineNetworkName('ING'), networks: { [engineNetworkName('ING')]: { ipv4Address: '10.255.0.11' }, [EGRESS_NETWORK]: {} } });
    e.containers.push({ id: 'c1', labels: { [TASK_LABELS.task]: 'w1', [TASK_LABELS.node]: 'n1' }, status: 'running', pid: 101, networks: [] });
    await agent.configure({ ...state(), index: 8 });
    expect(ingress.replies.get('/proc/101/ns/net')).toEqual({ address: '10.255.0.11', gateways: ['10.255.0.1', '10.255.0.2'], self: '10.255.0.1' });
    e.containers = [];
    await agent.configure({ ...state(), index: 9 });
    expect(ingress.replies.has('/proc/101/ns/net')).toBe(false);
  });

  it('host mode: the engine binds the port on a bridge network, so a task on internal overlays joins the egress network too', async () => {
    const e = new FakeEngine();
    const { agent } = agentWith(e);
    await agent.configure(state());
    const port: Task['ports'][number] = { name: '', protocol: 'tcp', targetPort: 80, publishedPort: 9090, publishMode: 'host', snat: false };
    const task: Task = { ...mkTask('h1', 'web', 1), networks: [{ networkId: 'A', addresses: ['10.10.0.11/24'] }], ports: [port] };
    expect(Object.keys(agent.attach({ task, serviceName: 'web' }).networks!)).toEqual([engineNetworkName('A'), EGRESS_NETWORK]);
    expect(taskContainerSpec({ task, serviceName: 'web' }, 'n1')).toMatchObject({ exposedPorts: ['80/tcp'], ports: [{ containerPort: 80, protocol: 'tcp', hostPort: '9090' }] });
    const ingressOnly: Task = { ...task, ports: [{ ...port, publishMode: 'ingress' }] };
    expect(taskContainerSpec({ task: ingressOnly, serviceName: 'web' }, 'n1')).not.toHaveProperty('ports');
  });
});
