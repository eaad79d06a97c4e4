import { describe, expect, it } from 'vitest';
import { loadProject } from '../../../src/compose/index.js';
import { stackNetworkObjects, stackServiceSpecs, STACK_NAMESPACE_LABEL } from '../../../src/swarm/stack/stack-spec.js';
import { UserError } from '../../../src/util/errors.js';
import { MemoryReader } from '../compose/memory-reader.js';

async function load(yaml: string) {
  return loadProject({ env: {}, reader: new MemoryReader({ '/proj/stack.yaml': yaml }), cwd: '/proj', files: ['/proj/stack.yaml'], projectName: 'app' });
}

describe('stack networks: <stack>_default and declared overlays', () => {
  it('a service without networks joins app_default; declared ones keep ipam, internal, labels, mtu; external keep their name', async () => {
    const p = await load(`
services:
  web: {image: web, networks: {front: {aliases: [www]}, back: {priority: 10}}}
  db: {image: db, networks: [back]}
  lone: {image: x}
networks:
  front:
    driver: overlay
    driver_opts: {mtu: "1400"}
    labels: {team: a}
  back:
    internal: true
    ipam: {config: [{subnet: 10.40.0.0/24, gateway: 10.40.0.9, ip_range: 10.40.0.128/25}]}
  unused: {}
  outside: {external: true, name: shared-net}
`);
    const nets = stackNetworkObjects(p, 'app');
    expect(nets.map((n) => [n.key, n.name, n.external])).toEqual([
      ['back', 'app_back', false],
      ['default', 'app_default', false],
      ['front', 'app_front', false],
    ]);
    const back = nets.find((n) => n.key === 'back')!.spec!;
    expect(back).toMatchObject({ driver: 'overlay', internal: true, ipam: { configs: [{ subnet: '10.40.0.0/24', gateway: '10.40.0.9', ipRange: '10.40.0.128/25' }] } });
    expect(back.labels[STACK_NAMESPACE_LABEL]).toBe('app');
    expect(nets.find((n) => n.key === 'front')!.spec).toMatchObject({ driverOptions: { mtu: '1400' }, labels: { team: 'a', [STACK_NAMESPACE_LABEL]: 'app' } });

    const ids = { back: { id: 'idback', name: 'app_back' }, front: { id: 'idfront', name: 'app_front' }, default: { id: 'iddef', name: 'app_default' } };
    const { specs, warnings } = stackServiceSpecs(p, 'app', undefined, ids);
    const by = (n: string) => specs.find((s) => s.name === n)!.task.networks;
    // Higher priority first, then by key; the short name is an alias (as Docker does), file aliases kept.
    expect(by('app_web')).toEqual([{ target: 'idback', aliases: ['web'] }, { target: 'idfront', aliases: ['web', 'www'] }]);
    expect(by('app_db')).toEqual([{ target: 'idback', aliases: ['db'] }]);
    expect(by('app_lone')).toEqual([{ target: 'iddef', aliases: ['lone'] }]);
    expect(warnings.filter((w) => w.includes('networks'))).toEqual([]);
  });

  it('an external network is looked up by its name', async () => {
    const p = await load(`
services: {web: {image: web, networks: [outside]}}
networks: {outside: {external: true, name: shared-net}}
`);
    expect(stackNetworkObjects(p, 'app')).toEqual([{ key: 'outside', name: 'shared-net', external: true, spec: null }]);
  });

  it('what an overlay cannot be is refused, every problem at once; per-service addresses warn', async () => {
    const p = await load(`
services:
  web: {image: web, networks: {a: {ipv4_address: 10.9.0.5}, b: {}, c: {}}}
networks:
  a: {driver: bridge}
  b: {enable_ipv6: true}
  c: {ipam: {config: [{subnet: 10.1.0.0/24}, {subnet: 10.2.0.0/24}]}}
`);
    let err: unknown;
    try {
      stackNetworkObjects(p, 'app');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UserError);
    const msg = (err as Error).message;
    expect(msg).toMatch(/networks\.a\.driver: "bridge" cannot span a cluster/);
    expect(msg).toMatch(/networks\.b\.enable_ipv6/);
    expect(msg).not.toMatch(/attachable/);
    expect(msg).toMatch(/networks\.c\.ipam\.config: at most one subnet/);
    const { warnings } = stackServiceSpecs(p, 'app');
    expect(warnings).toContain('services.web.networks.a.ipv4_address: not supported in a stack (the cluster assigns addresses); ignored');
  });

  it('attachable: true is kept: standalone containers may join the overlay on any node', async () => {
    const p = await load(`
services:
  web: {image: web, networks: [shared]}
networks:
  shared: {attachable: true}
`);
    expect(stackNetworkObjects(p, 'app')[0]?.spec).toMatchObject({ name: 'app_shared', attachable: true });
  });
});
