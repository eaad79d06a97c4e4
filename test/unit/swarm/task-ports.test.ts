import { describe, expect, it } from 'vitest';
import { isCurrent, makeTask, samePorts } from '../../../src/swarm/manager/task-model.js';
import { portConfigSchema, taskSchema, type PortConfig, type Service } from '../../../src/swarm/store/index.js';
import { mkIngress, mkNode, mkPort as port, mkService, mkTask, taskSpec, World } from './task-fixtures.js';


function withPorts(s: Service, ports: PortConfig[]): Service {
  return { ...s, previousSpec: s.spec, spec: { ...s.spec, endpoint: { ...s.spec.endpoint, ports } }, updateStatus: null };
}

describe('a task carries its ports', () => {
  it('makeTask copies the service endpoint ports', () => {
    const s = withPorts(mkService('web'), [port(80, 8080), port(53, 5353, { protocol: 'udp', publishMode: 'host' })]);
    const t = makeTask({ service: s, id: 't1', now: 1, slot: 1, nodeId: null });
    expect(t.ports).toEqual(s.spec.endpoint.ports);
  });

  it('tasks and ports written before the fields existed still decode (no ports, no snat)', () => {
    const { ports: _ports, ...old } = mkTask('t1', 'web', 1);
    expect(taskSchema.parse(old).ports).toEqual([]);
    const { snat: _snat, ...oldPort } = port(80, 8080);
    expect(portConfigSchema.parse(oldPort).snat).toBe(false);
  });
});

describe('isCurrent: what of the ports a task depends on', () => {
  const base = withPorts(mkService('web'), [port(80, 8080), port(22, 2222, { publishMode: 'host' })]);
  const task = mkTask('t1', 'web', 1, { spec: base.spec.task, ports: base.spec.endpoint.ports });

  it('an ingress published number is the dataplane\'s: changing it keeps the task current', () => {
    expect(isCurrent(task, withPorts(base, [port(80, 8081), port(22, 2222, { publishMode: 'host' })]))).toBe(true);
    expect(isCurrent(task, withPorts(base, [port(80, null), port(22, 2222, { publishMode: 'host' })]))).toBe(true);
    expect(isCurrent(task, withPorts(base, [port(80, 8080, { snat: true }), port(22, 2222, { publishMode: 'host' })]))).toBe(true);
  });

  it('host ports are bound by the engine: adding, removing or renumbering one makes the task old', () => {
    expect(isCurrent(task, withPorts(base, [port(80, 8080)]))).toBe(false);
    expect(isCurrent(task, withPorts(base, [port(80, 8080), port(22, 2223, { publishMode: 'host' })]))).toBe(false);
    expect(isCurrent(task, withPorts(base, [port(80, 8080), port(22, 2222, { publishMode: 'host' }), port(23, null, { publishMode: 'host' })]))).toBe(false);
  });

  it('joining or leaving the ingress network makes the task old; the order of ports does not matter', () => {
    expect(isCurrent(task, withPorts(base, [port(22, 2222, { publishMode: 'host' })]))).toBe(false);
    const bare = mkTask('t2', 'web', 1, { spec: base.spec.task, ports: [] });
    expect(isCurrent(bare, withPorts(base, [port(9000, null)]))).toBe(false);
    expect(samePorts([port(1, 1, { publishMode: 'host' }), port(2, 2, { publishMode: 'host' })], [port(2, 2, { publishMode: 'host' }), port(1, 1, { publishMode: 'host' })])).toBe(true);
  });

  it('a different task spec is never current, whatever the ports', () => {
    expect(isCurrent(mkTask('t3', 'web', 1, { spec: taskSpec('other'), ports: base.spec.endpoint.ports }), base)).toBe(false);
  });
});

describe('port changes and the update policy', () => {
  function world(): World {
    const w = new World();
    w.networks = [mkIngress()];
    for (const n of ['n1', 'n2', 'n3']) w.addNode(mkNode(n));
    w.setService(withPorts(mkService('web', { replicas: 3, update: { parallelism: 1 } }), [port(80, 8080)]));
    w.settle();
    return w;
  }
  const ids = (w: World): string[] => w.running('web').map((t) => t.id).sort();

  it('8080 -> 8081 in ingress mode restarts nothing', () => {
    const w = world();
    const before = ids(w);
    w.setService(withPorts(w.service('web'), [port(80, 8081)]));
    w.settle();
    expect(ids(w)).toEqual(before);
    expect(w.service('web').updateStatus).toBeNull();
  });

  it('adding a host port rolls the tasks one by one (parallelism 1), and the new tasks carry it', () => {
    const w = world();
    const before = ids(w);
    const ports = [port(80, 8080), port(22, null, { publishMode: 'host' })];
    w.setService(withPorts(w.service('web'), ports));
    const first = w.update('web');
    expect(first.shutdown).toHaveLength(1);
    w.settle();
    expect(ids(w).some((id) => before.includes(id))).toBe(false);
    expect(w.running('web').every((t) => t.ports.length === 2)).toBe(true);
    expect(w.service('web').updateStatus?.state).toBe('completed');
  });

  it('a service that starts publishing in ingress mode rolls its tasks too', () => {
    const w = new World();
    w.networks = [mkIngress()];
    w.addNode(mkNode('n1'));
    w.setService(mkService('web', { replicas: 2 }));
    w.settle();
    const before = ids(w);
    w.setService(withPorts(w.service('web'), [port(80, null)]));
    w.settle();
    expect(ids(w).some((id) => before.includes(id))).toBe(false);
  });
});
