import { describe, expect, it } from 'vitest';
import { schedule } from '../../../src/swarm/manager/scheduler/index.js';
import type { PortConfig, Task } from '../../../src/swarm/store/index.js';
import { mkNode, mkPort, mkService, mkTask, World } from './task-fixtures.js';

/** Host-mode ports: a node's engine binds a (protocol, number) once, whichever service asks. */

const host = (target: number, published: number | null, protocol: PortConfig['protocol'] = 'tcp') => mkPort(target, published, { publishMode: 'host', protocol });
const pending = (n: number, serviceId: string, ports: PortConfig[]): Task[] => Array.from({ length: n }, (_, i) => mkTask(`${serviceId}-${i + 1}`, serviceId, i + 1, { ports }));
const nodes = () => [mkNode('n1'), mkNode('n2'), mkNode('n3')];

describe('scheduler: host ports', () => {
  it('one replica per node, and a 4th on 3 nodes stays pending with the reason', () => {
    const tasks = pending(4, 'web', [host(80, 8080)]);
    const d = schedule({ tasks, nodes: nodes(), allTasks: tasks });
    expect(d.placements.map((p) => p.nodeId).sort()).toEqual(['n1', 'n2', 'n3']);
    expect(d.unplaced).toEqual([{ taskId: 'web-4', reason: 'no suitable node (host port 8080/tcp in use on 3 nodes)' }]);
  });

  it('a live task of any service holds its port; a finished one, another protocol or number, or no number does not', () => {
    const existing = [
      mkTask('o1', 'other', 1, { state: 'running', nodeId: 'n1', ports: [host(80, 8080)] }),
      // Asked to stop but not stopped yet: its container still binds the port.
      mkTask('o2', 'other', 2, { state: 'running', desired: 'shutdown', nodeId: 'n2', ports: [host(80, 8080)] }),
      mkTask('o3', 'other', 3, { state: 'shutdown', nodeId: 'n3', ports: [host(80, 8080)] }),
    ];
    const [t] = pending(1, 'web', [host(80, 8080)]);
    expect(schedule({ tasks: [t!], nodes: nodes(), allTasks: [...existing, t!] }).placements).toEqual([{ taskId: 'web-1', nodeId: 'n3' }]);
    for (const ports of [[host(80, 8080, 'udp')], [host(80, 8081)], [host(80, null)], [mkPort(80, 8080)]]) {
      const free = pending(3, 'web', ports);
      expect(schedule({ tasks: free, nodes: nodes(), allTasks: [...existing, ...free] }).unplaced).toEqual([]);
    }
  });

  it('names every host port of a task with several', () => {
    const existing = nodes().map((n, i) => mkTask(`o${i}`, 'other', i + 1, { state: 'running', nodeId: n.id, ports: [host(53, 53, 'udp')] }));
    const [t] = pending(1, 'dns', [host(80, 8080), host(53, 53, 'udp')]);
    expect(schedule({ tasks: [t!], nodes: nodes(), allTasks: [...existing, t!] }).unplaced[0]?.reason).toBe('no suitable node (one of host ports 8080/tcp, 53/udp in use on 3 nodes)');
  });

  it('end to end: two services sharing a host port spread over the nodes and the rest waits', () => {
    const w = new World();
    for (const n of nodes()) w.addNode(n);
    const withPort = (id: string, replicas: number) => {
      const s = mkService(id, { replicas });
      return { ...s, spec: { ...s.spec, endpoint: { mode: 'vip' as const, ports: [host(80, 8080)] } } };
    };
    w.setService(withPort('a', 2));
    w.setService(withPort('b', 2));
    w.settle();
    expect(w.running().length).toBe(3);
    expect(new Set(w.running().map((t) => t.nodeId)).size).toBe(3);
    expect(w.live().filter((t) => t.status.state === 'pending')).toHaveLength(1);
  });
});
