/**
 * Service, network and volume options reach the engine as Compose would set them (asserted on the
 * engine's own `docker inspect` JSON), and services find each other by name.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SLEEPER, TEST_IMAGE, cleanupProject, cli, ensureBuilt, projectDir, runtime, uniqueProject } from './compose-helpers.js';

const p = uniqueProject('opt');
const ext = `${p}-external`;
const d = projectDir(`
services:
  app:
    image: ${TEST_IMAGE}
    command: ${SLEEPER}
    init: true
    user: "65534"
    working_dir: /tmp
    hostname: apphost
    environment: {A: "1"}
    labels: {team: core}
    mem_limit: 64m
    cpus: 0.5
    ulimits: {nofile: {soft: 1024, hard: 2048}}
    cap_add: [NET_ADMIN]
    cap_drop: [MKNOD]
    stop_signal: SIGUSR1
    stop_grace_period: 3s
    extra_hosts: ["gateway.test:10.1.2.3"]
    dns: [10.0.0.53]
    read_only: true
    tmpfs: ["/run/scratch:size=1m"]
    sysctls: {net.core.somaxconn: "1024"}
    shm_size: 32m
    restart: unless-stopped
    logging: {driver: json-file, options: {max-size: 1m}}
    expose: ["9000"]
    ports: ["127.0.0.1::8000", "9100-9101:9100-9101/udp"]
    networks:
      front: {aliases: [app-alias], ipv4_address: 10.213.250.10}
      back: {}
    volumes:
      - ./conf:/conf:ro
      - type: volume
        source: data
        target: /data
        volume: {nocopy: true}
      - type: tmpfs
        target: /cache
    secrets: [token, fromfile]
    configs: [{source: motd, target: /etc/motd}]
  peer:
    image: ${TEST_IMAGE}
    command: ${SLEEPER}
    network_mode: "service:app"
    depends_on: [app]
  ext:
    image: ${TEST_IMAGE}
    command: ${SLEEPER}
    networks: [outside]
    read_only: true
networks:
  front:
    driver: bridge
    driver_opts: {com.docker.network.driver.mtu: "1400"}
    # Outside Docker's default pools (172.17-31/16, 192.168/20): a default network that another
    # test creates meanwhile can get 172.31.0.0/16, which this subnet would overlap.
    ipam: {config: [{subnet: 10.213.250.0/24}]}
    labels: {tier: front}
  back:
    internal: true
    attachable: true
  outside:
    external: true
    name: ${ext}
volumes:
  data:
    labels: {kind: data}
secrets:
  token: {environment: TOKEN}
  fromfile: {file: ./secret.txt}
configs:
  motd: {content: "welcome"}
`, { 'secret.txt': 's3cret\n' });

const inspect = (kind: string, name: string) => JSON.parse(execFileSync('docker', [kind, 'inspect', name], { encoding: 'utf8' }))[0];

beforeAll(async () => {
  ensureBuilt();
  mkdirSync(join(d.dir, 'conf'));
  writeFileSync(join(d.dir, 'conf', 'x'), 'conf');
  await runtime.createNetwork({ name: ext, labels: { 'com.docker.compose.project': p } });
  const r = await cli(['-p', p, '--progress', 'plain', 'up', '-d'], { cwd: d.dir, env: { TOKEN: 'from-env', TSCOMPOSE_STATE_DIR: join(d.dir, 'state') } });
  expect(r.code, r.stderr).toBe(0);
});
afterAll(async () => {
  await cleanupProject(p);
  d.remove();
});

describe('service options', () => {
  it('host config, config and labels', () => {
    const c = inspect('container', `${p}-app-1`);
    expect(c.Config).toMatchObject({ User: '65534', WorkingDir: '/tmp', Hostname: 'apphost', StopSignal: 'SIGUSR1', StopTimeout: 3 });
    expect(c.Config.Env).toContain('A=1');
    expect(c.Config.Labels).toMatchObject({ team: 'core', 'com.docker.compose.project': p, 'com.docker.compose.service': 'app' });
    expect(Object.keys(c.Config.ExposedPorts).sort()).toEqual(['8000/tcp', '9000/tcp', '9100/udp', '9101/udp']);
    const h = c.HostConfig;
    expect(h).toMatchObject({
      Init: true, Memory: 64 * 1024 * 1024, NanoCpus: 5e8, CapAdd: ['NET_ADMIN'], CapDrop: ['MKNOD'], ExtraHosts: ['gateway.test:10.1.2.3'],
      Dns: ['10.0.0.53'], ReadonlyRootfs: true, Tmpfs: { '/run/scratch': 'size=1m' }, Sysctls: { 'net.core.somaxconn': '1024' },
      ShmSize: 32 * 1024 * 1024, RestartPolicy: { Name: 'unless-stopped' }, LogConfig: { Type: 'json-file', Config: { 'max-size': '1m' } },
    });
    expect(h.Ulimits).toEqual([{ Name: 'nofile', Soft: 1024, Hard: 2048 }]);
    expect(h.PortBindings['8000/tcp']).toEqual([{ HostIp: '127.0.0.1', HostPort: '' }]);
    expect(h.PortBindings['9100/udp']).toEqual([{ HostIp: '', HostPort: '9100' }]);
  });

  it('networks: custom driver options, ipam, internal, aliases, fixed address, external', () => {
    const front = inspect('network', `${p}_front`);
    expect(front.Options).toMatchObject({ 'com.docker.network.driver.mtu': '1400' });
    expect(front.IPAM.Config[0].Subnet).toBe('10.213.250.0/24');
    expect(front.Labels).toMatchObject({ tier: 'front', 'com.docker.compose.network': 'front', 'com.docker.compose.project': p });
    const back = inspect('network', `${p}_back`);
    expect(back).toMatchObject({ Internal: true, Attachable: true });
    const c = inspect('container', `${p}-app-1`);
    expect(c.NetworkSettings.Networks[`${p}_front`].IPAddress).toBe('10.213.250.10');
    expect(c.NetworkSettings.Networks[`${p}_front`].Aliases).toEqual(expect.arrayContaining(['app', 'app-alias']));
    expect(Object.keys(c.NetworkSettings.Networks).sort()).toEqual([`${p}_back`, `${p}_front`]);
    expect(Object.keys(inspect('container', `${p}-ext-1`).NetworkSettings.Networks)).toEqual([ext]);
    expect(inspect('container', `${p}-ext-1`).HostConfig.ReadonlyRootfs).toBe(true);
    // The engine stores network_mode service:app as the app container's id.
    expect(inspect('container', `${p}-peer-1`).HostConfig.NetworkMode).toBe(`container:${c.Id}`);
  });

  it('volumes: bind read-only, named with nocopy and labels, tmpfs', async () => {
    const c = inspect('container', `${p}-app-1`);
    const byTarget = Object.fromEntries(c.Mounts.map((m: { Destination: string }) => [m.Destination, m]));
    expect(byTarget['/conf']).toMatchObject({ Type: 'bind', RW: false, Source: join(d.dir, 'conf') });
    expect(byTarget['/data']).toMatchObject({ Type: 'volume', Name: `${p}_data` });
    expect(inspect('volume', `${p}_data`).Labels).toMatchObject({ kind: 'data', 'com.docker.compose.volume': 'data' });
    expect(c.HostConfig.Mounts.find((m: { Target: string }) => m.Target === '/cache').Type).toBe('tmpfs');
  });

  it('secrets and configs from environment, file and content, read-only at their targets', async () => {
    const read = async (path: string) => (await runtime.exec(`${p}-app-1`, { cmd: ['cat', path] })).stdout;
    expect(await read('/run/secrets/token')).toBe('from-env');
    expect(await read('/run/secrets/fromfile')).toBe('s3cret\n');
    expect(await read('/etc/motd')).toBe('welcome');
    for (const target of ['/run/secrets/fromfile', '/run/secrets/token', '/etc/motd']) {
      const write = await runtime.exec(`${p}-app-1`, { cmd: ['sh', '-c', `echo x > ${target}`] });
      expect(write.exitCode, target).not.toBe(0);
    }
    // Content and environment secrets are host files under the project's state directory.
    const mounts = inspect('container', `${p}-app-1`).Mounts as Array<{ Destination: string; Source: string; RW: boolean }>;
    expect(mounts.find((m) => m.Destination === '/run/secrets/token')).toMatchObject({ Source: join(d.dir, 'state', p, 'secrets', 'token'), RW: false });
  });

  it('service-name DNS between services on a network', async () => {
    const r = await runtime.exec(`${p}-app-1`, { cmd: ['nslookup', 'app-alias'] });
    expect(r.stdout).toContain('10.213.250.10');
  });
});
