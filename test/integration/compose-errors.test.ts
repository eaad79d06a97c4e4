/**
 * The errors users meet: each exits non-zero with a message (no stack trace) and leaves nothing a
 * second `up` would trip over.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:net';
import { SLEEPER, TEST_IMAGE, cleanupProject, cli, ensureBuilt, projectDir, runtime, uniqueProject } from './compose-helpers.js';

const dirs: Array<{ remove: () => void }> = [];
const projects: string[] = [];
const foreign: string[] = [];
beforeAll(() => ensureBuilt());
afterEach(async () => {
  while (projects.length) await cleanupProject(projects.pop()!);
  while (foreign.length) await runtime.removeContainer(foreign.pop()!, { force: true }).catch(() => undefined);
});
afterAll(() => dirs.forEach((d) => d.remove()));

function setup(prefix: string, compose: string) {
  const p = uniqueProject(prefix);
  projects.push(p);
  const d = projectDir(compose);
  dirs.push(d);
  const up = (env: Record<string, string> = {}) => cli(['-p', p, '--progress', 'plain', 'up', '-d'], { cwd: d.dir, env });
  const run = (args: string[]) => cli(['-p', p, ...args], { cwd: d.dir });
  return { p, dir: d.dir, up, run };
}

const noStack = (s: string) => expect(s).not.toMatch(/\n\s+at .+:\d+:\d+/);
const containers = (p: string) => runtime.listContainers({ all: true, labels: { 'com.docker.compose.project': p } });

describe('errors users meet', () => {
  it('engine unreachable: one line naming DOCKER_HOST, exit 1', async () => {
    const { up } = setup('unreach', `services:\n  a: {image: ${TEST_IMAGE}}\n`);
    const r = await up({ DOCKER_HOST: 'unix:///nonexistent' });
    expect(r.code).toBe(1);
    noStack(r.stderr);
    expect(r.stderr).toMatch(/^tscompose: cannot connect to the Docker engine at unix:\/\/\/nonexistent \(ENOENT\)\nhint: .*DOCKER_HOST/m);
  });

  it('image missing: names the image, creates nothing', async () => {
    const { p, up } = setup('noimg', `services:\n  a: {image: '127.0.0.1:9/tscompose-test/does-not-exist:1', command: ${SLEEPER}}\n`);
    const r = await up();
    expect(r.code).toBe(1);
    noStack(r.stderr);
    // A registry on loopback where nothing listens: the pull is tried and fails without leaving the machine.
    expect(r.stderr).toContain('tscompose: service a: cannot pull 127.0.0.1:9/tscompose-test/does-not-exist:1: registry 127.0.0.1:9 is unreachable');
    expect(await containers(p)).toEqual([]);
    expect(await runtime.listNetworks({ labels: { 'com.docker.compose.project': p } })).toEqual([]);
  });

  it('port already allocated: names the port; the next up after freeing it succeeds', async () => {
    const server: Server = createServer();
    await new Promise<void>((r) => server.listen(0, '0.0.0.0', r));
    const port = (server.address() as { port: number }).port;
    const { p, up } = setup('port', `services:\n  a: {image: ${TEST_IMAGE}, command: ${SLEEPER}, ports: ["${port}:80"]}\n`);
    try {
      const r = await up();
      expect(r.code).toBe(1);
      noStack(r.stderr);
      expect(r.stderr).toContain(`host port`);
      expect(r.stderr).toContain(String(port));
      expect(r.stderr).toContain('not started: a');
      // The container that could not start was removed again.
      expect(await containers(p)).toEqual([]);
    } finally {
      await new Promise((r) => server.close(r));
    }
    const again = await up();
    expect(again.code).toBe(0);
    expect((await runtime.inspectContainer(`${p}-a-1`)).running).toBe(true);
  });

  it('bad bind path (create_host_path: false): names the service and path before creating anything', async () => {
    const { p, up } = setup('bind', `services:\n  a:\n    image: ${TEST_IMAGE}\n    volumes: [{type: bind, source: /nonexistent/tscompose, target: /x, bind: {create_host_path: false}}]\n`);
    const r = await up();
    expect(r.code).toBe(1);
    noStack(r.stderr);
    expect(r.stderr).toContain('services.a.volumes[0]: bind source path /nonexistent/tscompose does not exist');
    expect(await containers(p)).toEqual([]);
    expect(await runtime.listNetworks({ labels: { 'com.docker.compose.project': p } })).toEqual([]);
  });

  it('two services with one container_name: config refuses it unless --no-consistency (as Compose), up refuses before creating anything', async () => {
    const { p, up, run } = setup('cname', `services:\n  a: {image: ${TEST_IMAGE}, container_name: tscompose-shared-cname}\n  b: {image: ${TEST_IMAGE}, container_name: tscompose-shared-cname}\n`);
    const config = await run(['config', '-q']);
    expect(config.code).toBe(1);
    expect(config.stderr).toContain('services.b.container_name: container_name "tscompose-shared-cname" is already used by service "a"');
    const loose = await run(['config', '--no-consistency']);
    expect(loose.code, loose.stderr).toBe(0);
    expect(loose.stdout.match(/container_name: tscompose-shared-cname/g)).toHaveLength(2);
    const r = await up();
    expect(r.code).toBe(1);
    noStack(r.stderr);
    expect(r.stderr).toContain('services.b.container_name: container_name "tscompose-shared-cname" is already used by service "a"');
    expect(await containers(p)).toEqual([]);
    expect(await runtime.listNetworks({ labels: { 'com.docker.compose.project': p } })).toEqual([]);
  });

  it('name conflict with a foreign container: says so, with how to fix', async () => {
    const { p, up } = setup('conflict', `services:\n  a: {image: ${TEST_IMAGE}, command: ${SLEEPER}}\n`);
    const name = `${p}-a-1`;
    await runtime.createContainer({ name, image: TEST_IMAGE, labels: {}, cmd: ['true'] });
    foreign.push(name);
    const r = await up();
    expect(r.code).toBe(1);
    noStack(r.stderr);
    expect(r.stderr).toContain(`container name ${name} is already in use by another container`);
    expect(r.stderr).toContain(`docker rm -f ${name}`);
    await runtime.removeContainer(name, { force: true });
    expect((await up()).code).toBe(0);
  });

  it('unhealthy dependency: names it, its last health output, and the services not started', async () => {
    const { p, up } = setup('unhealthy', `
services:
  db:
    image: ${TEST_IMAGE}
    command: ${SLEEPER}
    healthcheck: {test: ["CMD-SHELL", "echo not ready; exit 1"], interval: 100ms, retries: 2}
  web:
    image: ${TEST_IMAGE}
    command: ${SLEEPER}
    depends_on: {db: {condition: service_healthy}}
  proxy:
    image: ${TEST_IMAGE}
    command: ${SLEEPER}
    depends_on: {web: {condition: service_started}}
`);
    const r = await up();
    expect(r.code).toBe(1);
    noStack(r.stderr);
    expect(r.stderr).toContain(`dependency failed to start: container ${p}-db-1 is unhealthy (last health check exit 1: not ready)`);
    expect(r.stderr).toContain('not started: proxy, web');
    const web = await runtime.inspectContainer(`${p}-web-1`);
    expect(web.startedAt).toBeUndefined();
    // A second up meets the same, clear failure rather than a leftover.
    const again = await up();
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('is unhealthy');
  });

  it('failed one-shot dependency: names it and its exit code', async () => {
    const { p, up } = setup('failedjob', `
services:
  migrate:
    image: ${TEST_IMAGE}
    command: ["sh", "-c", "exit 3"]
  app:
    image: ${TEST_IMAGE}
    command: ${SLEEPER}
    depends_on: {migrate: {condition: service_completed_successfully}}
`);
    const r = await up();
    expect(r.code).toBe(1);
    noStack(r.stderr);
    expect(r.stderr).toContain(`dependency failed to start: container ${p}-migrate-1 exited with code 3 (condition service_completed_successfully)`);
    expect(r.stderr).toContain('not started: app');
    expect((await runtime.inspectContainer(`${p}-app-1`)).startedAt).toBeUndefined();
  });

  it('dependency wait with --wait-timeout: names the condition and the timeout', async () => {
    const { p, dir } = setup('timeout', `
services:
  db:
    image: ${TEST_IMAGE}
    command: ${SLEEPER}
    healthcheck: {test: ["CMD", "false"], interval: 10s, retries: 3}
  web:
    image: ${TEST_IMAGE}
    command: ${SLEEPER}
    depends_on: {db: {condition: service_healthy}}
`);
    const r = await cli(['-p', p, '--progress', 'plain', 'up', '-d', '--wait-timeout', '1'], { cwd: dir });
    expect(r.code).toBe(1);
    noStack(r.stderr);
    expect(r.stderr).toContain(`container ${p}-db-1 did not reach service_healthy within 1000 ms`);
  });
});
