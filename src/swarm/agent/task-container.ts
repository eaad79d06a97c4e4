import type { ContainerSpec } from '../../runtime/index.js';
import type { AssignedTask } from '../api/assignments.js';

/** Labels that make a container a tsswarm task's (the agent re-adopts containers by them). */
export const TASK_LABELS = {
  task: 'com.tsswarm.task.id',
  service: 'com.tsswarm.service.id',
  serviceName: 'com.tsswarm.service.name',
  node: 'com.tsswarm.node.id',
  slot: 'com.tsswarm.task.slot',
} as const;

/** Swarm's container name: `<service>.<slot>.<task id>` (global tasks: the node id for the slot). */
export function taskContainerName(a: AssignedTask): string {
  const slot = a.task.slot > 0 ? String(a.task.slot) : (a.task.nodeId ?? 'x');
  return `${a.serviceName}.${slot}.${a.task.id}`;
}

/**
 * The engine-level container for a task, without its network attachment (the executor adds what
 * its TaskNetworking says). Pure: the same task always gives the same spec.
 */
export function taskContainerSpec(a: AssignedTask, nodeId: string): ContainerSpec {
  const { task } = a;
  const c = task.spec.container;
  const limits = task.spec.resources.limits;
  const hc = c.healthcheck;
  return {
    name: taskContainerName(a),
    image: c.image,
    labels: {
      ...c.labels,
      [TASK_LABELS.task]: task.id,
      [TASK_LABELS.service]: task.serviceId,
      [TASK_LABELS.serviceName]: a.serviceName,
      [TASK_LABELS.node]: nodeId,
      [TASK_LABELS.slot]: String(task.slot),
    },
    ...(c.command.length > 0 ? { entrypoint: c.command } : {}),
    ...(c.args.length > 0 ? { cmd: c.args } : {}),
    env: c.env,
    ...(c.workdir ? { workingDir: c.workdir } : {}),
    ...(c.user ? { user: c.user } : {}),
    ...(c.hostname ? { hostname: c.hostname } : {}),
    mounts: c.mounts.map((m) => ({
      type: m.type,
      ...(m.source ? { source: m.source } : {}),
      target: m.target,
      readOnly: m.readOnly,
    })),
    ...(hc
      ? {
          healthcheck: {
            test: hc.test,
            interval: hc.intervalMs * 1e6,
            timeout: hc.timeoutMs * 1e6,
            retries: hc.retries,
            startPeriod: hc.startPeriodMs * 1e6,
          },
        }
      : {}),
    ...(limits.memoryBytes > 0 ? { memory: limits.memoryBytes } : {}),
    ...(limits.nanoCPUs > 0 ? { nanoCpus: limits.nanoCPUs } : {}),
    init: c.init,
    ...(c.dns.nameservers.length > 0 ? { dns: c.dns.nameservers } : {}),
    ...(c.dns.options.length > 0 ? { dnsOptions: c.dns.options } : {}),
    ...(c.dns.search.length > 0 ? { dnsSearch: c.dns.search } : {}),
    ...(c.hosts.length > 0 ? { extraHosts: c.hosts } : {}),
    ...(c.groups.length > 0 ? { groupAdd: c.groups } : {}),
    stopTimeout: Math.ceil(c.stopGracePeriodMs / 1000),
    // The orchestrator restarts tasks (as new tasks); the engine must not do it behind its back.
    restartPolicy: { name: 'no' },
    ...hostPorts(a),
    networkMode: 'bridge',
  };
}

/**
 * Host-mode published ports: bound by this node's engine on the task's bridge network (the
 * default bridge, or the node's egress network: network-agent.ts joins it for such a task), so
 * only a node running the task answers; the scheduler keeps two on one node apart. No number:
 * the engine picks one, as Swarm's host mode does.
 */
function hostPorts(a: AssignedTask): Pick<ContainerSpec, 'ports' | 'exposedPorts'> {
  const host = a.task.ports.filter((p) => p.publishMode === 'host');
  if (host.length === 0) return {};
  return {
    exposedPorts: host.map((p) => `${p.targetPort}/${p.protocol}`),
    ports: host.map((p) => ({ containerPort: p.targetPort, protocol: p.protocol, ...(p.publishedPort === null ? {} : { hostPort: String(p.publishedPort) }) })),
  };
}
