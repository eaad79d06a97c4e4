import { describe, expect, it } from 'vitest';
import { loadProject } from '../../../src/compose/index.js';
import { planStackDeploy, stackServiceSpecs, STACK_NAMESPACE_LABEL, type ExistingService } from '../../../src/swarm/stack/stack-spec.js';
import type { PortConfig, ServiceSpec } from '../../../src/swarm/store/index.js';
import { DiagnosticError, UserError } from '../../../src/util/errors.js';
import { MemoryReader } from '../compose/memory-reader.js';
import { mkPort as port } from './task-fixtures.js';

/** `ports:` of a stack file (specs/stacks.md): short and long syntax, ranges, x-snat, and conflicts judged before anything is sent. */

async function specsOf(yaml: string) {
  const project = await loadProject({ env: {}, reader: new MemoryReader({ '/proj/stack.yaml': yaml }), cwd: '/proj', files: ['/proj/stack.yaml'], projectName: 'app' });
  return stackServiceSpecs(project, 'app');
}
const portsOf = async (lines: string): Promise<PortConfig[]> => (await specsOf(`services:\n  web:\n    image: x\n    ports:\n${lines}`)).specs[0]!.endpoint.ports;
const short = (p: PortConfig): string => `${p.publishedPort ?? '-'}:${p.targetPort}/${p.protocol}/${p.publishMode}${p.snat ? '/snat' : ''}`;

async function refusal(p: Promise<unknown>): Promise<{ message: string; hint: string | undefined }> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  if (e instanceof DiagnosticError) return { message: e.diagnostics.map((d) => `${d.path}: ${d.message}`).join('\n'), hint: e.diagnostics[0]?.hint };
  if (e instanceof UserError) return { message: e.message, hint: e.hint };
  throw new Error(`expected a refusal, got ${String(e)}`);
}

describe('stack ports: syntax', () => {
  it('short syntax: ranges expand one port each; a published range with one target publishes each to it; a bare target is allocated', async () => {
    expect((await portsOf('      - "8000-8002:80-82"\n      - "9000-9001:53/udp"\n      - "80"\n')).map(short)).toEqual([
      '8000:80/tcp/ingress',
      '8001:81/tcp/ingress',
      '8002:82/tcp/ingress',
      '9000:53/udp/ingress',
      '9001:53/udp/ingress',
      '-:80/tcp/ingress',
    ]);
  });

  it('long syntax: target, published (a range too), protocol, mode and x-snat; other x- keys are left alone', async () => {
    const got = await portsOf(
      '      - {target: 80, published: 8080, x-snat: true, x-note: hi}\n      - {target: 53, published: "5300-5301", protocol: udp}\n      - {target: 22, mode: host}\n      - {target: 443, x-snat: "false"}\n',
    );
    expect(got.map(short)).toEqual(['8080:80/tcp/ingress/snat', '5300:53/udp/ingress', '5301:53/udp/ingress', '-:22/tcp/host', '-:443/tcp/ingress']);
  });

  it('a published range longer than the target range is the loader\'s error, naming the entry, with a hint', async () => {
    const r = await refusal(portsOf('      - "8000-8003:80-82"\n'));
    expect(r.message).toBe('services.web.ports[0]: port ranges don\'t match in "8000-8003:80-82"');
    expect(r.hint).toMatch(/as many ports as the target range/);
  });

  it('x-snat on a host-mode port, or not a boolean, is refused naming the entry; host_ip still warns', async () => {
    const r = await refusal(portsOf('      - {target: 22, published: 2222, mode: host, x-snat: true}\n      - {target: 80, x-snat: maybe}\n'));
    expect(r.message.split('\n')).toEqual([
      "services.web.ports[0]: x-snat applies to ingress-mode ports only: a host-mode port is answered on its task's own node, which sees the client's address anyway",
      'services.web.ports[1].x-snat: expected true or false, got "maybe"',
    ]);
    expect(r.hint).toMatch(/^remove x-snat, or use mode: ingress; .*nothing was sent/);
    const { warnings } = await specsOf('services:\n  web:\n    image: x\n    ports: ["127.0.0.1:8080:80"]\n');
    expect(warnings).toEqual(['services.web.ports[0].host_ip: not supported in a stack (ports publish on every address); ignored']);
  });
});

describe('stack ports: conflicts before anything is sent', () => {
  it('the same port twice in one service or in two services of the file is refused with the entry\'s path', async () => {
    const r = await refusal(specsOf('services:\n  a:\n    image: x\n    ports: ["8080:80", "8080:81"]\n  b:\n    image: x\n    ports: ["9000:90"]\n  c:\n    image: x\n    ports: ["7000:70", {target: 90, published: 9000, mode: host}]\n'));
    expect(r.message.split('\n')).toEqual([
      'services.a.ports[1]: port 8080/tcp is published twice by service a (ports[0] and ports[1])',
      'services.c.ports[1]: port 9000/tcp is already published by service b (in ingress mode, which binds it on every node)',
    ]);
    expect(r.hint).toMatch(/nothing was sent to the cluster$/);
    // Two services of a stack may share a host port.
    await specsOf('services:\n  a: {image: x, ports: [{target: 80, published: 8080, mode: host}]}\n  b: {image: x, ports: [{target: 80, published: 8080, mode: host}]}\n');
  });

  const stored = (spec: ServiceSpec, id: string): ExistingService => ({ id, spec, meta: { version: 5, createdAt: 1, updatedAt: 1 } });

  it('a port another cluster service holds is refused as a conflict for the whole deploy', async () => {
    const { specs } = await specsOf('services:\n  web: {image: x, ports: ["8080:80"]}\n  api: {image: x, ports: ["30000:81"]}\n');
    const cluster = [{ name: 'other', ports: [port(80, 8080)] }, { name: 'auto', ports: [port(80, 30000)] }];
    const e = await refusal(Promise.resolve().then(() => planStackDeploy('app', specs, [], { prune: false, cluster })));
    expect(e.message.split('\n')).toEqual([
      'service app_api: port 30000/tcp is already published by service auto (in ingress mode, which binds it on every node)',
      'service app_web: port 8080/tcp is already published by service other (in ingress mode, which binds it on every node)',
    ]);
    expect(e.hint).toMatch(/nothing was sent to the cluster$/);
    // Ports the stack's own services hold now are theirs to keep or move.
    const mine = specs.map((s, i) => stored(s, `id${i}`));
    expect(planStackDeploy('app', specs, mine, { prune: false, cluster: specs.map((s) => ({ name: s.name, ports: s.endpoint.ports })) }).unchanged).toHaveLength(2);
  });

  it('a port moving from one stack service to another: the one giving it up is updated first; a pruned holder frees it', async () => {
    const before = (await specsOf('services:\n  a: {image: x, ports: ["9000:90"]}\n  b: {image: x, ports: ["9001:91"]}\n  c: {image: x, ports: ["7000:70"]}\n')).specs;
    const after = (await specsOf('services:\n  a: {image: x, ports: ["9001:90"]}\n  b: {image: x, ports: ["9002:91"]}\n  d: {image: x, ports: ["7000:70"]}\n')).specs;
    const existing = before.map((s, i) => stored(s, `id${i}`));
    const cluster = before.map((s) => ({ name: s.name, ports: s.endpoint.ports }));
    const plan = planStackDeploy('app', after, existing, { prune: true, cluster });
    expect(plan.update.map((u) => u.spec.name)).toEqual(['app_b', 'app_a']);
    expect(plan.remove.map((r) => r.name)).toEqual(['app_c']);
    expect(plan.create.map((s) => s.name)).toEqual(['app_d']);
    // Without --prune, c keeps 7000 and d cannot have it.
    await expect(Promise.resolve().then(() => planStackDeploy('app', after, existing, { prune: false, cluster }))).rejects.toThrow(/service app_d: port 7000\/tcp is already published by service app_c/);
    // A swap has no order: refused up front.
    const swap = (await specsOf('services:\n  a: {image: x, ports: ["9001:90"]}\n  b: {image: x, ports: ["9000:91"]}\n  c: {image: x, ports: ["7000:70"]}\n')).specs;
    await expect(Promise.resolve().then(() => planStackDeploy('app', swap, existing, { prune: false, cluster }))).rejects.toThrow(/move both ways between services app_a, app_b/);
    expect(existing[0]!.spec.labels[STACK_NAMESPACE_LABEL]).toBe('app');
  });
});
