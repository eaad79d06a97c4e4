import { describe, expect, it, vi } from 'vitest';
import { networkStateRequestSchema } from '../../../src/swarm/api/network-state.js';
import { Dispatcher } from '../../../src/swarm/manager/dispatcher.js';
import { nodeNetworkState } from '../../../src/swarm/manager/network-state.js';
import { acceptedAttachments, recordAttachments } from '../../../src/swarm/manager/node-attachments.js';
import type { Network, Node, NodeAttachment, Service, Task } from '../../../src/swarm/store/index.js';
import { mkNode, mkService, mkTask } from './task-fixtures.js';
import { network as networkBody, newStore, node as nodeBody } from './store-fixtures.js';

/** Attachable overlays in the network state: everywhere, with each node's range; standalone containers as endpoints. */

const meta = { version: 1, createdAt: 0, updatedAt: 0 };
const CID = (c: string) => c.repeat(64);

function net(id: string, subnet: string, nodes: Array<[string, string, string | null]>, attachable: boolean): Network {
  const b = networkBody(id);
  return {
    ...b,
    spec: { ...b.spec, attachable, ipam: { configs: [] } },
    allocation: { vni: 4096, subnets: [{ subnet, gateway: subnet.replace(/0\/\d+$/, '1') }], nodes: nodes.map(([nodeId, address, attachRange]) => ({ nodeId, address, attachRange })) },
    meta,
  };
}

function node(id: string, addr: string, attachments: NodeAttachment[] = [], state: 'ready' | 'down' = 'ready'): Node {
  const n = mkNode(id, { state });
  return { ...n, status: { ...n.status, addr, attachments } };
}

function svc(id: string, target: string, vip: string): Service {
  const s = mkService(id, { name: id });
  return { ...s, spec: { ...s.spec, endpoint: { mode: 'vip', ports: [] }, task: { ...s.spec.task, networks: [{ target, aliases: [] }] } }, endpoint: { ports: [], virtualIPs: [{ networkId: target, addr: vip }] } };
}

function task(id: string, serviceId: string, nodeId: string, networkId: string, address: string): Task {
  const t = mkTask(id, serviceId, 1, { nodeId, state: 'running', desired: 'running' });
  return { ...t, networks: [{ networkId, addresses: [address] }] };
}

const att = (networkId: string, c: string, name: string, address: string): NodeAttachment => ({ networkId, containerId: CID(c), name, address });

/** shared (attachable) has web on n1; plain has api on n2; n2 runs a probe on shared, n3 (down) one too. */
function world() {
  const shared = net('shared', '10.40.0.0/24', [['n1', '10.40.0.1', '10.40.0.240/28'], ['n2', '10.40.0.2', '10.40.0.224/28'], ['n3', '10.40.0.3', null]], true);
  const plain = net('plain', '10.41.0.0/24', [['n2', '10.41.0.1', null]], false);
  const nodes = [
    node('n1', '10.199.0.11'),
    node('n2', '10.199.0.12', [att('shared', 'a', 'probe', '10.40.0.225'), att('plain', 'b', 'sneaky', '10.41.0.200'), att('shared', 'c', 'shadow', '10.40.0.5')]),
    node('n3', '10.199.0.13', [att('shared', 'd', 'gone', '10.40.0.226')], 'down'),
  ];
  return {
    index: 7,
    vxlanPort: 4789,
    nodes,
    networks: [shared, plain],
    services: [svc('web', 'shared', '10.40.0.4'), svc('api', 'plain', '10.41.0.4')],
    tasks: [task('w1', 'web', 'n1', 'shared', '10.40.0.5'), task('a1', 'api', 'n2', 'plain', '10.41.0.5')],
  };
}

describe('network state: attachable overlays', () => {
  it('an attachable overlay is in every node\'s state with its own range, even without a task there', () => {
    const st = nodeNetworkState('n2', 0, world());
    expect(st.networks.map((n) => [n.id, n.gateway, n.attachable, n.attachRange, n.peers])).toEqual([
      ['shared', '10.40.0.2', true, '10.40.0.224/28', ['10.199.0.11']],
      ['plain', '10.41.0.1', false, null, []],
    ]);
    const st3 = nodeNetworkState('n3', 0, world());
    expect(st3.networks.map((n) => [n.id, n.gateway, n.attachRange])).toEqual([['shared', '10.40.0.3', null]]);
    // A node with no task on the plain overlay still does not get it.
    expect(nodeNetworkState('n1', 0, world()).networks.map((n) => n.id)).toEqual(['shared']);
  });

  it('standalone containers of nodes not down are endpoints (never backends); none on a plain overlay, none shadowing a task', () => {
    const st = nodeNetworkState('n1', 0, world());
    expect(st.endpoints.filter((e) => e.kind === 'container')).toEqual([
      { networkId: 'shared', kind: 'container', taskId: CID('a'), taskName: 'probe', serviceId: null, address: '10.40.0.225', nodeId: 'n2', vtep: '10.199.0.12', backend: false },
    ]);
    expect(st.endpoints.filter((e) => e.kind === 'task').map((e) => e.taskId)).toEqual(['w1']);
    // The service on the attachable overlay (and its VIP) is known on n1; so is the probe's node's.
    expect(nodeNetworkState('n2', 0, world()).services.map((s) => s.id)).toEqual(['web', 'api']);
  });
});

describe('the network-state request body', () => {
  const ok = { programmed: 3, attachments: [att('shared', 'a', 'probe', '10.40.0.225')] };

  it('accepts programmed and attachments, either or both', () => {
    expect(networkStateRequestSchema.parse(ok)).toEqual(ok);
    expect(networkStateRequestSchema.parse({})).toEqual({});
  });

  it.each([
    ['an unknown field', { ...ok, extra: 1 }, /unrecognized/i],
    ['a short container id', { attachments: [{ ...ok.attachments[0], containerId: 'abc' }] }, /64-hex-digit container id/],
    ['a name Docker would not give', { attachments: [{ ...ok.attachments[0], name: '-x y' }] }, /container name/],
    ['a name too long for DNS', { attachments: [{ ...ok.attachments[0], name: 'x'.repeat(64) }] }, /63/],
    ['an address that is not IPv4', { attachments: [{ ...ok.attachments[0], address: 'fd00::1' }] }, /ipv4/i],
    ['a container twice on one network', { attachments: [ok.attachments[0], { ...ok.attachments[0], address: '10.40.0.226' }] }, /container a+ is listed twice on network shared/],
    ['an address twice on one network', { attachments: [ok.attachments[0], { ...ok.attachments[0], containerId: CID('b') }] }, /address 10\.40\.0\.225 is listed twice/],
    ['more than 512', { attachments: Array.from({ length: 513 }, (_x, i) => att('shared', 'a', 'p', `10.40.${Math.floor(i / 250)}.${i % 250}`)) }, /512/],
    ['a negative index', { programmed: -1 }, />=0|too small/i],
  ])('refuses %s', (_what, body, message) => {
    const r = networkStateRequestSchema.safeParse(body);
    expect(r.success).toBe(false);
    expect(JSON.stringify(r.error?.issues)).toMatch(message);
  });
});

describe('the leader keeps what nodes report', () => {
  it('publishes only containers on an attachable network inside the node\'s own range, sorted', () => {
    const w = world();
    const reported = [att('shared', 'f', 'late', '10.40.0.230'), att('shared', 'a', 'probe', '10.40.0.225'), att('shared', 'b', 'static', '10.40.0.9'), att('plain', 'c', 'sneaky', '10.41.0.200'), att('gone', 'd', 'x', '10.40.0.226')];
    expect(acceptedAttachments('n2', reported, w.networks).map((a) => a.name)).toEqual(['probe', 'late']);
    // n3 has no range: nothing of it is published.
    expect(acceptedAttachments('n3', reported, w.networks)).toEqual([]);
  });

  it('writes the node\'s status only when the published list changes', async () => {
    const { store } = newStore();
    const w = world();
    await store.update((tx) => {
      tx.create('node', nodeBody('n2'));
      const { meta: _m, ...shared } = w.networks[0]!;
      tx.create('network', shared);
    });
    const version = () => store.view((tx) => tx.get('node', 'n2')!.meta.version);
    const v0 = version();
    await recordAttachments(store, 'n2', [att('shared', 'a', 'probe', '10.40.0.225')]);
    expect(store.view((tx) => tx.get('node', 'n2')!.status.attachments.map((a) => a.name))).toEqual(['probe']);
    const v1 = version();
    expect(v1).toBeGreaterThan(v0);
    // The same report again (and one with an out-of-range extra) writes nothing.
    await recordAttachments(store, 'n2', [att('shared', 'b', 'static', '10.40.0.9'), att('shared', 'a', 'probe', '10.40.0.225')]);
    expect(version()).toBe(v1);
    await recordAttachments(store, 'n2', []);
    expect(store.view((tx) => tx.get('node', 'n2')!.status.attachments)).toEqual([]);
    // An unknown node is no error: nothing to record.
    await recordAttachments(store, 'nobody', [att('shared', 'a', 'probe', '10.40.0.225')]);
  });
});

describe('a node that goes down', () => {
  it('loses its standalone containers in the store when the dispatcher marks it down', async () => {
    vi.useFakeTimers();
    try {
      const { store } = newStore();
      await store.update((tx) => {
        const n = nodeBody('n2');
        tx.create('node', { ...n, status: { ...n.status, attachments: [att('shared', 'a', 'probe', '10.40.0.225')] } });
      });
      let t = 0;
      const d = new Dispatcher({ store, periodMs: 1000, now: () => t, log: () => undefined });
      d.run();
      t = 10_000;
      await vi.advanceTimersByTimeAsync(1000);
      d.stop();
      expect(store.view((tx) => tx.get('node', 'n2')!.status)).toMatchObject({ state: 'down', attachments: [] });
    } finally {
      vi.useRealTimers();
    }
  });
});
