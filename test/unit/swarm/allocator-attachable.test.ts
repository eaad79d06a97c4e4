import { describe, expect, it } from 'vitest';
import { allocate, attachPrefixOf } from '../../../src/swarm/manager/allocator/index.js';
import { networkBodySchema } from '../../../src/swarm/store/index.js';
import { AllocHarness } from './allocator-harness.js';
import { network } from './store-fixtures.js';

/** Attachable overlays: a gateway and an attachment range on every ready node (specs/networking.md "Attachable overlays"). */

const ranges = (h: AllocHarness, id: string) => Object.fromEntries((h.network(id).allocation?.nodes ?? []).map((e) => [e.nodeId, [e.address, e.attachRange]]));

describe('allocator: attachable networks', () => {
  it('gives every ready node a gateway and a /28 from the top of the subnet, without any task', async () => {
    const h = new AllocHarness();
    await h.nodes('n1', 'n2', 'n3');
    await h.setNode('n3', 'down');
    await h.net('att', { subnet: '10.30.0.0/24', attachable: true });
    await h.net('plain', { subnet: '10.31.0.0/24' });
    await h.pass();
    expect(ranges(h, 'att')).toEqual({ n1: ['10.30.0.1', '10.30.0.240/28'], n2: ['10.30.0.2', '10.30.0.224/28'] });
    expect(h.network('plain').allocation?.nodes).toEqual([]);
    // A node that becomes ready gets its own; the others keep theirs.
    await h.setNode('n3', 'ready');
    await h.pass();
    expect(ranges(h, 'att')).toMatchObject({ n1: ['10.30.0.1', '10.30.0.240/28'], n3: ['10.30.0.3', '10.30.0.208/28'] });
    // Stable: the next pass changes nothing.
    expect(allocate(h.view()).networks).toEqual([]);
  });

  it('never hands a range address to a task or a VIP, and counts ranges as in use', async () => {
    const h = new AllocHarness();
    await h.nodes('n1', 'n2');
    // 30 host addresses: n1 and n2 take .1 and .2 and the two top /29 blocks (.16-.31 less the broadcast).
    await h.net('att', { subnet: '10.30.0.0/27', attachable: true, attachPrefix: 29 });
    await h.svc('web', { networks: ['att'], mode: 'dnsrr' });
    const ids = await h.tasks('web', 14);
    await h.pass();
    expect(ranges(h, 'att')).toEqual({ n1: ['10.30.0.1', '10.30.0.24/29'], n2: ['10.30.0.2', '10.30.0.16/29'] });
    const last = (a: string) => Number(a.split('.')[3]);
    const got = ids.map((id) => h.addr(id, 'att')).filter((a): a is string => a !== undefined).sort((a, b) => last(a) - last(b));
    expect(got).toEqual(['10.30.0.3', '10.30.0.4', '10.30.0.5', '10.30.0.6', '10.30.0.7', '10.30.0.8', '10.30.0.9', '10.30.0.10', '10.30.0.11', '10.30.0.12', '10.30.0.13', '10.30.0.14', '10.30.0.15']);
    expect(ids.map((id) => h.task(id).status.err).filter((e) => e !== null)).toEqual(['no address left on network att (30 of 30 in use)']);
  });

  it('reports a node without a free block instead of failing the pass; a freed block goes to it', async () => {
    const h = new AllocHarness();
    await h.nodes('n1', 'n2', 'n3', 'n4');
    // A /27 in /29 blocks: the gateways fill the bottom block, three blocks for four nodes.
    await h.net('att', { subnet: '10.30.0.0/27', attachable: true, attachPrefix: 29 });
    const d = await h.pass();
    expect(ranges(h, 'att')).toEqual({
      n1: ['10.30.0.1', '10.30.0.24/29'],
      n2: ['10.30.0.2', '10.30.0.16/29'],
      n3: ['10.30.0.3', '10.30.0.8/29'],
      n4: ['10.30.0.4', null],
    });
    expect(d.problems).toEqual([
      'network att: no free /29 left in 10.30.0.0/27 for the attachment range of node n4 (standalone containers cannot attach there; free addresses or use a larger subnet)',
    ]);
    await h.removeNode('n2');
    await h.pass();
    expect(ranges(h, 'att')).toEqual({ n1: ['10.30.0.1', '10.30.0.24/29'], n3: ['10.30.0.3', '10.30.0.8/29'], n4: ['10.30.0.4', '10.30.0.16/29'] });
    expect(allocate(h.view()).problems).toEqual([]);
  });

  it('keeps a node\'s range while it is down and gives it back when the node leaves the store', async () => {
    const h = new AllocHarness();
    await h.nodes('n1', 'n2');
    await h.net('att', { subnet: '10.30.0.0/24', attachable: true });
    await h.pass();
    await h.setNode('n2', 'down');
    await h.pass();
    expect(ranges(h, 'att').n2).toEqual(['10.30.0.2', '10.30.0.224/28']);
    await h.removeNode('n2');
    await h.nodes('n5');
    await h.pass();
    expect(ranges(h, 'att')).toEqual({ n1: ['10.30.0.1', '10.30.0.240/28'], n5: ['10.30.0.2', '10.30.0.224/28'] });
  });

  it('a stored range that collides with another holder is replaced, and the collision is reported', async () => {
    const h = new AllocHarness();
    await h.nodes('n1', 'n2');
    await h.net('att', { subnet: '10.30.0.0/24', attachable: true });
    await h.pass();
    // A hand-edited (or buggy) store: n2 claims n1's block.
    await h.store.update((tx) => {
      const n = tx.get('network', 'att')!;
      const nodes = n.allocation!.nodes.map((e) => (e.nodeId === 'n2' ? { ...e, attachRange: '10.30.0.240/28' } : e));
      tx.update('network', { ...n, allocation: { ...n.allocation!, nodes } });
    });
    const d = await h.pass();
    expect(d.problems).toContain("network att: node n2's attachment range 10.30.0.240/28 is not usable (taken twice or outside the subnet); it gets a new one");
    expect(ranges(h, 'att')).toEqual({ n1: ['10.30.0.1', '10.30.0.240/28'], n2: ['10.30.0.2', '10.30.0.224/28'] });
  });

  it('decodes node entries written before ranges existed (attachRange null), and reads the option', () => {
    const b = network('old');
    const decoded = networkBodySchema.parse({ ...b, allocation: { vni: 4096, subnets: [{ subnet: '10.0.0.0/24', gateway: '10.0.0.1' }], nodes: [{ nodeId: 'n1', address: '10.0.0.1' }] } });
    expect(decoded.allocation?.nodes).toEqual([{ nodeId: 'n1', address: '10.0.0.1', attachRange: null }]);
    expect(attachPrefixOf(b.spec)).toBeNull();
    expect(attachPrefixOf({ ...b.spec, attachable: true })).toBe(28);
    expect(attachPrefixOf({ attachable: true, driverOptions: { 'attach-prefix': '26' } })).toBe(26);
  });
});
