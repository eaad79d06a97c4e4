/**
 * Published ports, the rules every side shares (specs/networking.md, "Ingress: the manager
 * side"): which (protocol, port) pairs a service holds, which pairs may not meet, and how `service
 * ls` writes them. Pure, so the API (a create or update), the stack loader (a whole deploy before
 * anything is sent) and the allocator judge with the same code.
 */
import type { PortConfig, Service } from './store/index.js';

/** Where the allocator picks published ports of ingress-mode ports that ask for none (Swarm's range). */
export const INGRESS_PORT_START = 30000;
export const INGRESS_PORT_END = 32767;

/** `8080/tcp`: how a published port is named in messages and used as a key. */
export function portName(protocol: PortConfig['protocol'], port: number): string {
  return `${port}/${protocol}`;
}

export function hasIngressPort(ports: readonly PortConfig[]): boolean {
  return ports.some((p) => p.publishMode === 'ingress');
}

/**
 * The service's ports with the published numbers it holds: the spec's, where an ingress-mode
 * port that asked for none takes the one the allocator wrote in `endpoint.ports` (matched by
 * protocol and target, in order). A port not allocated yet keeps null. The spec is read first
 * because `endpoint` lags a spec change until the allocator's next pass.
 */
export function heldPorts(s: Pick<Service, 'spec' | 'endpoint'>): PortConfig[] {
  const explicit = new Set(s.spec.endpoint.ports.filter((p) => p.publishedPort !== null).map((p) => portName(p.protocol, p.publishedPort!)));
  const allocated = (s.endpoint?.ports ?? []).filter((p) => p.publishMode === 'ingress' && p.publishedPort !== null && !explicit.has(portName(p.protocol, p.publishedPort)));
  const used = new Set<number>();
  return s.spec.endpoint.ports.map((p) => {
    if (p.publishMode !== 'ingress' || p.publishedPort !== null) return p;
    const i = allocated.findIndex((a, j) => !used.has(j) && a.protocol === p.protocol && a.targetPort === p.targetPort);
    if (i < 0) return p;
    used.add(i);
    return { ...p, publishedPort: allocated[i]!.publishedPort };
  });
}

/** Another service's claim on published ports, as the conflict rules read it. */
export interface PortHolder {
  name: string;
  /** Its ports with the published numbers it holds (heldPorts). */
  ports: readonly PortConfig[];
}

/** One refusal: the index of the offending port, the field under it, what is wrong and what to do. */
export interface PortProblem {
  index: number;
  /** `snat` or `publishedPort`, under `<prefix>[index]`. */
  key: 'snat' | 'publishedPort';
  /** `invalid`: wrong on its own (snat on a host port, a port twice); `conflict`: another service holds it. */
  code: 'invalid' | 'conflict';
  message: string;
  hint: string;
}

/**
 * Why these ports cannot be published by service `name` next to `others`, or [] when they can.
 * An ingress-mode port binds on every node, so it meets every other published port of its
 * protocol and number, ingress or host; two host-mode ports of different services may share a
 * number (the scheduler keeps their tasks on different nodes). One service never publishes a
 * (protocol, number) twice, whatever the modes (swarmkit's rule). `snat` is for ingress mode only.
 */
export function portProblems(name: string, ports: readonly PortConfig[], others: readonly PortHolder[]): PortProblem[] {
  const out: PortProblem[] = [];
  const mine = new Map<string, number>();
  ports.forEach((p, index) => {
    if (p.snat && p.publishMode === 'host') {
      out.push({
        index,
        key: 'snat',
        code: 'invalid',
        message: `snat applies to ingress-mode ports only: a host-mode port (${p.targetPort}/${p.protocol}) is answered on its task's own node, which sees the client's address anyway`,
        hint: 'leave snat out, or publish the port in ingress mode',
      });
    }
    if (p.publishedPort === null) return;
    const key = portName(p.protocol, p.publishedPort);
    const first = mine.get(key);
    if (first !== undefined) {
      out.push({ index, key: 'publishedPort', code: 'invalid', message: `port ${key} is published twice by service ${name} (ports ${first} and ${index})`, hint: 'publish each port once; give the other one another published port' });
      return;
    }
    mine.set(key, index);
    const clash = clashWith(p, others);
    if (clash === null) return;
    const how = clash.port.publishMode === 'ingress' ? 'in ingress mode, which binds it on every node' : 'in host mode on some node, and an ingress-mode port binds on every node';
    out.push({
      index,
      key: 'publishedPort',
      code: 'conflict',
      message: `port ${key} is already published by service ${clash.name} (${how})`,
      hint:
        p.publishMode === 'ingress'
          ? `choose another published port, leave it out (the cluster picks one from ${INGRESS_PORT_START}-${INGRESS_PORT_END}), or remove it from ${clash.name} first (tsswarm service update --publish-rm ${clash.port.targetPort}/${clash.port.protocol} ${clash.name})`
          : `choose another published port, or remove it from ${clash.name} first (tsswarm service update --publish-rm ${clash.port.targetPort}/${clash.port.protocol} ${clash.name})`,
    });
  });
  return out;
}

function clashWith(p: PortConfig, others: readonly PortHolder[]): { name: string; port: PortConfig } | null {
  for (const o of others) {
    for (const q of o.ports) {
      if (q.publishedPort !== p.publishedPort || q.protocol !== p.protocol) continue;
      if (p.publishMode === 'ingress' || q.publishMode === 'ingress') return { name: o.name, port: q };
    }
  }
  return null;
}

/**
 * `service ls`'s PORTS, as Docker writes it: the ingress-mode ports only (a host-mode port is on
 * whichever node the task runs, so Docker leaves it out), sorted by protocol then published port,
 * runs of consecutive published and target ports joined (`*:8000-8002->80-82/tcp`). A port the
 * allocator has not numbered yet shows `?`.
 */
export function formatPorts(ports: readonly PortConfig[]): string[] {
  const ingress = ports
    .filter((p) => p.publishMode === 'ingress')
    .sort((a, b) => (a.protocol === b.protocol ? (a.publishedPort ?? 0) - (b.publishedPort ?? 0) : a.protocol < b.protocol ? -1 : 1));
  interface Run {
    protocol: string;
    p0: number;
    p1: number;
    t0: number;
    t1: number;
  }
  const runs: Array<Run | string> = [];
  for (const p of ingress) {
    if (p.publishedPort === null) {
      runs.push(`*:?->${p.targetPort}/${p.protocol}`);
      continue;
    }
    const r = runs[runs.length - 1];
    if (typeof r === 'object' && r.protocol === p.protocol && p.publishedPort === r.p1 + 1 && p.targetPort === r.t1 + 1) {
      r.p1 = p.publishedPort;
      r.t1 = p.targetPort;
    } else runs.push({ protocol: p.protocol, p0: p.publishedPort, p1: p.publishedPort, t0: p.targetPort, t1: p.targetPort });
  }
  const span = (a: number, b: number): string => (b > a ? `${a}-${b}` : String(a));
  return runs.map((r) => (typeof r === 'string' ? r : `*:${span(r.p0, r.p1)}->${span(r.t0, r.t1)}/${r.protocol}`));
}
