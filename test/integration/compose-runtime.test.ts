/**
 * The runtime core against the real engine: each call maps engine JSON to our types and engine
 * failures to typed RuntimeErrors.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:net';
import { DockerRuntime, RuntimeError, resolveEndpoint } from '../../src/runtime/index.js';
import { TEST_IMAGE, cleanupProject, eventually, runtime, uniqueProject } from './compose-helpers.js';

const project = uniqueProject('rt');
const labels = { 'com.docker.compose.project': project };

afterAll(async () => {
  await cleanupProject(project);
});

describe('runtime core (docker)', () => {
  it('reports an unreachable engine in one line naming the endpoint', async () => {
    const rt = new DockerRuntime(resolveEndpoint({ DOCKER_HOST: 'unix:///nonexistent.sock' }));
    const err = await rt.ping().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RuntimeError);
    expect((err as RuntimeError).kind).toBe('unreachable');
    expect((err as RuntimeError).message).toContain('unix:///nonexistent.sock');
    expect((err as RuntimeError).message).not.toContain('\n');
    expect((err as RuntimeError).hint).toMatch(/DOCKER_HOST/);
  });

  it('parses tcp:// DOCKER_HOST', () => {
    const ep = resolveEndpoint({ DOCKER_HOST: 'tcp://127.0.0.1:2999' });
    expect(ep.url).toBe('tcp://127.0.0.1:2999');
    expect(ep.options).toMatchObject({ host: '127.0.0.1', port: '2999', protocol: 'http' });
  });

  it('creates, starts, inspects, execs, logs, stops and removes a container with health', async () => {
    const net = await runtime.createNetwork({ name: `${project}_n1`, labels });
    const vol = await runtime.createVolume({ name: `${project}_v1`, labels });
    expect(vol.labels).toMatchObject(labels);
    const id = await runtime.createContainer({
      name: `${project}-c-1`,
      image: TEST_IMAGE,
      labels,
      cmd: ['sh', '-c', "trap 'exit 0' TERM; echo hello; echo oops >&2; sleep 300 & wait"],
      env: ['A=1'],
      networks: { [`${project}_n1`]: { aliases: ['alias1'] } },
      mounts: [{ type: 'volume', source: `${project}_v1`, target: '/data' }, { type: 'tmpfs', target: '/scratch' }],
      healthcheck: { test: ['CMD-SHELL', 'true'], interval: 100_000_000, retries: 3 },
    });
    await runtime.startContainer(id);
    const info = await eventually(async () => {
      const i = await runtime.inspectContainer(id);
      return i.health?.status === 'healthy' && i;
    }, 'healthy');
    expect(info.running).toBe(true);
    expect(info.networks[`${project}_n1`]?.aliases).toContain('alias1');
    expect(info.mounts.map((m) => m.target).sort()).toEqual(['/data', '/scratch']);
    const r = await runtime.exec(id, { cmd: ['sh', '-c', 'echo $A; echo err >&2; exit 3'], env: ['A=42'] });
    expect(r).toEqual({ exitCode: 3, stdout: '42\n', stderr: 'err\n' });
    const lines = [];
    for await (const l of runtime.logs(id)) lines.push(l);
    // The engine does not order lines across stdout and stderr; compare as a set.
    expect(lines).toHaveLength(2);
    expect(lines).toEqual(expect.arrayContaining([{ stream: 'stdout', text: 'hello' }, { stream: 'stderr', text: 'oops' }]));
    const listed = await runtime.listContainers({ labels });
    expect(listed.map((c) => c.name)).toEqual([`${project}-c-1`]);
    const t0 = Date.now();
    await runtime.stopContainer(id, { timeout: 10 });
    expect(Date.now() - t0).toBeLessThan(5000);
    expect((await runtime.inspectContainer(id)).exitCode).toBe(0);
    await runtime.removeContainer(id);
    await runtime.removeNetwork(net);
    await runtime.removeVolume(vol.name);
    const err = await runtime.inspectContainer(id).catch((e: unknown) => e);
    expect((err as RuntimeError).kind).toBe('not-found');
  });

  it('types a name conflict and a port already allocated', async () => {
    const name = `${project}-dup-1`;
    await runtime.createContainer({ name, image: TEST_IMAGE, labels, cmd: ['true'] });
    const dup = await runtime.createContainer({ name, image: TEST_IMAGE, labels, cmd: ['true'] }).catch((e: unknown) => e);
    expect((dup as RuntimeError).kind).toBe('conflict');

    const server: Server = createServer();
    await new Promise<void>((r) => server.listen(0, '0.0.0.0', r));
    const port = (server.address() as { port: number }).port;
    try {
      const id = await runtime.createContainer({
        name: `${project}-port-1`,
        image: TEST_IMAGE,
        labels,
        cmd: ['sleep', '1'],
        ports: [{ containerPort: 80, protocol: 'tcp', hostPort: String(port) }],
      });
      const err = await runtime.startContainer(id).catch((e: unknown) => e);
      expect((err as RuntimeError).kind).toBe('port-allocated');
      expect((err as RuntimeError).message).toContain(String(port));
    } finally {
      server.close();
    }
  });

  it('types a missing image', async () => {
    const err = await runtime.inspectImage('tscompose-test/does-not-exist:1').catch((e: unknown) => e);
    expect((err as RuntimeError).kind).toBe('not-found');
  });
});
