/**
 * What `up` recreates when something outside the service definition changes: the content of a
 * secret or config (file, environment value, inline content), and the definition of a network.
 * Asserted on container and network ids from the engine.
 */
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SLEEPER, TEST_IMAGE, eventually, runtime, testProjects } from './compose-helpers.js';

const project = testProjects();

/** A project of its own, with a state directory inside it, and its containers' ids by service. */
function setup(prefix: string, compose: string, files: Record<string, string> = {}) {
  const t = project(prefix, compose, files, (dir) => ({ TSCOMPOSE_STATE_DIR: join(dir, 'state') }));
  const ids = async (): Promise<Record<string, string>> => {
    const list = await runtime.listContainers({ all: true, labels: { 'com.docker.compose.project': t.p } });
    return Object.fromEntries(list.map((c) => [c.labels['com.docker.compose.service']!, c.id]));
  };
  return { ...t, ids };
}

describe('up recreates the services whose secret or config content changed', () => {
  it('file, environment value and inline content each recreate only the service using them', async () => {
    const compose = (motd: string) => `
services:
  files:
    image: ${TEST_IMAGE}
    command: ${SLEEPER}
    secrets: [fromfile]
  inline:
    image: ${TEST_IMAGE}
    command: ${SLEEPER}
    configs: [{source: motd, target: /etc/motd}]
  fromenv:
    image: ${TEST_IMAGE}
    command: ${SLEEPER}
    secrets: [token]
  plain:
    image: ${TEST_IMAGE}
    command: ${SLEEPER}
secrets:
  fromfile: {file: ./secret.txt}
  token: {environment: TOKEN}
configs:
  motd: {content: "${motd}"}
`;
    const { p, dir, run, ids } = setup('sec', compose('hello'), { 'secret.txt': 'one\n' });
    const up = (token: string) => run(['up', '-d'], { TOKEN: token });
    let r = await up('t1');
    expect(r.code, r.stderr).toBe(0);
    const first = await ids();
    expect(Object.keys(first).sort()).toEqual(['files', 'fromenv', 'inline', 'plain']);

    // Unchanged: nothing recreated.
    r = await up('t1');
    expect(r.code, r.stderr).toBe(0);
    expect(await ids()).toEqual(first);

    // The secret file changes: only `files` is recreated, and sees the new content.
    writeFileSync(join(dir, 'secret.txt'), 'two\n');
    r = await up('t1');
    expect(r.code, r.stderr).toBe(0);
    const second = await ids();
    expect(second.files).not.toBe(first.files);
    expect({ ...second, files: '' }).toEqual({ ...first, files: '' });
    expect((await runtime.exec(`${p}-files-1`, { cmd: ['cat', '/run/secrets/fromfile'] })).stdout).toBe('two\n');

    // The environment value changes: only `fromenv`.
    r = await up('t2');
    expect(r.code, r.stderr).toBe(0);
    const third = await ids();
    expect(third.fromenv).not.toBe(second.fromenv);
    expect({ ...third, fromenv: '' }).toEqual({ ...second, fromenv: '' });
    expect((await runtime.exec(`${p}-fromenv-1`, { cmd: ['cat', '/run/secrets/token'] })).stdout).toBe('t2');

    // The inline content changes: only `inline`.
    writeFileSync(join(dir, 'compose.yaml'), compose('bye'));
    r = await up('t2');
    expect(r.code, r.stderr).toBe(0);
    const fourth = await ids();
    expect(fourth.inline).not.toBe(third.inline);
    expect({ ...fourth, inline: '' }).toEqual({ ...third, inline: '' });
    expect((await runtime.exec(`${p}-inline-1`, { cmd: ['cat', '/etc/motd'] })).stdout).toBe('bye');

    // No plaintext in labels: only digests reach the engine's metadata.
    for (const svc of ['files', 'inline', 'fromenv']) {
      const labels = JSON.stringify((await runtime.inspectContainer(`${p}-${svc}-1`)).labels);
      for (const secret of ['two', 'bye', 't2']) expect(labels).not.toContain(`"${secret}`);
    }
    expect(readFileSync(join(dir, 'secret.txt'), 'utf8')).toBe('two\n');
  });
});

describe('up diffs project networks against the file', () => {
  const compose = (front: string) => `
services:
  a:
    image: ${TEST_IMAGE}
    command: ${SLEEPER}
    networks: [front]
  c:
    image: ${TEST_IMAGE}
    command: ${SLEEPER}
    networks: [front, default]
  b:
    image: ${TEST_IMAGE}
    command: ${SLEEPER}
networks:
  front:
${front}
`;
  const before = `    driver_opts: {com.docker.network.driver.mtu: "1400"}
    ipam: {config: [{subnet: 10.213.47.0/24}]}
    labels: {tier: front}`;
  const after = `    driver_opts: {com.docker.network.driver.mtu: "1450"}
    internal: true
    ipam: {config: [{subnet: 10.213.48.0/24}]}
    labels: {tier: front}`;
  const netId = async (name: string) => (await runtime.inspectNetwork(name)).id;

  it('an unchanged network and its containers are left alone; a changed one is recreated with the containers on it', async () => {
    const { p, dir, run, ids } = setup('net', compose(before));
    let r = await run(['up', '-d']);
    expect(r.code, r.stderr).toBe(0);
    const front = await runtime.inspectNetwork(`${p}_front`);
    const dflt = await runtime.inspectNetwork(`${p}_default`);
    expect(front.labels['com.docker.compose.config-hash']).toMatch(/^[0-9a-f]{64}$/);
    expect(dflt.labels['com.docker.compose.config-hash']).toMatch(/^[0-9a-f]{64}$/);
    const first = await ids();

    r = await run(['up', '-d']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toContain('differs');
    expect(await ids()).toEqual(first);
    expect(await netId(`${p}_front`)).toBe(front.id);

    // A container outside the project on the network: disconnected (not stopped) when it is recreated.
    const foreign = `${p}-foreign`;
    execFileSync('docker', ['run', '-d', '--name', foreign, '--network', `${p}_front`, TEST_IMAGE, 'sh', '-c', "trap 'exit 0' TERM; sleep 3600 & wait"]);
    try {
      writeFileSync(join(dir, 'compose.yaml'), compose(after));
      r = await run(['up', '-d']);
      expect(r.code, r.stderr).toBe(0);
      const f = await runtime.inspectContainer(foreign);
      expect(f.status).toBe('running');
      expect(Object.keys(f.networks)).toEqual([]);
    } finally {
      execFileSync('docker', ['rm', '-f', foreign]);
    }
    expect(r.stderr).toContain(`network ${p}_front differs from the file (driver_opts, internal, ipam)`);
    const now = await runtime.inspectNetwork(`${p}_front`);
    expect(now.id).not.toBe(front.id);
    expect(now).toMatchObject({ internal: true, options: { 'com.docker.network.driver.mtu': '1450' }, subnets: ['10.213.48.0/24'] });
    expect(now.labels['com.docker.compose.config-hash']).not.toBe(front.labels['com.docker.compose.config-hash']);
    // The containers on the network are new and attached to the new network; the others untouched.
    const second = await ids();
    expect(second.a).not.toBe(first.a);
    expect(second.c).not.toBe(first.c);
    expect(second.b).toBe(first.b);
    expect(await netId(`${p}_default`)).toBe(dflt.id);
    for (const svc of ['a', 'c']) {
      const c = await runtime.inspectContainer(`${p}-${svc}-1`);
      expect(c.status, svc).toBe('running');
      expect(c.networks[`${p}_front`]?.networkId, svc).toBe(now.id);
      expect(c.networks[`${p}_front`]?.ipAddress, svc).toMatch(/^10\.213\.48\./);
    }
    // And the next up is a no-op again.
    r = await run(['up', '-d']);
    expect(r.code, r.stderr).toBe(0);
    expect(await ids()).toEqual(second);
    expect(await netId(`${p}_front`)).toBe(now.id);
  });

  it('a network created by another tool or an older tscompose (other hash label, or none) with the same definition is kept', async () => {
    const { p, run, ids } = setup('netold', compose(before));
    const common = ['--label', `com.docker.compose.project=${p}`, '--label', 'com.docker.compose.version=2.24.0'];
    execFileSync('docker', ['network', 'create', ...common, '--label', 'com.docker.compose.network=front', '--label', 'tier=front',
      '--label', 'com.docker.compose.config-hash=from-another-tool', '-o', 'com.docker.network.driver.mtu=1400', '--subnet', '10.213.47.0/24', `${p}_front`]);
    execFileSync('docker', ['network', 'create', ...common, '--label', 'com.docker.compose.network=default', `${p}_default`]);
    const front = await netId(`${p}_front`);
    const dflt = await netId(`${p}_default`);
    const r = await run(['up', '-d']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toContain('differs');
    expect(await netId(`${p}_front`)).toBe(front);
    expect(await netId(`${p}_default`)).toBe(dflt);
    expect(Object.keys(await ids()).sort()).toEqual(['a', 'b', 'c']);
  });

  it('a changed network used by a service left out of `up SVC` is an error naming the network and the field; nothing changes', async () => {
    const { p, dir, run, ids } = setup('netsel', compose(before));
    let r = await run(['up', '-d']);
    expect(r.code, r.stderr).toBe(0);
    const first = await ids();
    const front = await netId(`${p}_front`);
    writeFileSync(join(dir, 'compose.yaml'), compose(before.replace('"1400"', '"1420"')));
    r = await run(['up', '-d', 'a']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`network ${p}_front differs from the file (driver_opts)`);
    expect(r.stderr).toContain('service c also uses it');
    expect(r.stderr).toContain('down');
    expect(r.stderr).not.toMatch(/at .*\.(ts|js|mjs):\d+/);
    expect(await ids()).toEqual(first);
    expect(await netId(`${p}_front`)).toBe(front);
    // run only creates what is missing: a network that differs is left to up.
    r = await run(['run', '--rm', '--no-deps', 'a', 'true']);
    expect(r.code, r.stderr).toBe(0);
    expect(await netId(`${p}_front`)).toBe(front);
  });
});

describe('anonymous volumes', () => {
  const projectVolumes = async (p: string) => (await runtime.listVolumes({ labels: { 'com.docker.compose.project': p } })).map((v) => v.name).sort();

  /**
   * up; the anonymous volume at `target` of `<p>-<svc>-1` is labelled with the project; data is
   * written; the file changes (`compose(2)`) and up recreates the container onto the same volume,
   * data intact. Returns the volume's name.
   */
  async function survivesRecreate(t: ReturnType<typeof setup>, svc: string, target: string, compose: (v: string) => string): Promise<string> {
    const container = `${t.p}-${svc}-1`;
    const volumeAt = async () => (await runtime.inspectContainer(container)).mounts.find((m) => m.target === target)?.name;
    let r = await t.run(['up', '-d']);
    expect(r.code, r.stderr).toBe(0);
    const first = (await volumeAt())!;
    expect(first).toMatch(/^[0-9a-f]{64}$/);
    expect((await runtime.inspectVolume(first)).labels).toMatchObject({ 'com.docker.compose.project': t.p, 'com.docker.compose.service': svc });
    await runtime.exec(container, { cmd: ['sh', '-c', `echo kept > ${target}/f`] });
    writeFileSync(join(t.dir, 'compose.yaml'), compose('2'));
    r = await t.run(['up', '-d']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`Container ${container}  Recreated`);
    expect(await volumeAt()).toBe(first);
    expect((await runtime.exec(container, { cmd: ['cat', `${target}/f`] })).stdout).toBe('kept\n');
    expect(await projectVolumes(t.p)).toEqual([first]);
    return first;
  }

  it('survive a recreate (same volume, same data), are labelled with the project, and go with down -v and run --rm', async () => {
    const compose = (v: string) => `
services:
  db:
    image: ${TEST_IMAGE}
    command: ${SLEEPER}
    environment: {V: "${v}"}
    volumes: ["/anon"]
`;
    const t = setup('anon', compose('1'));
    const { p, run } = t;
    const first = await survivesRecreate(t, 'db', '/anon', compose);

    // run --rm: the one-off's own anonymous volume is removed with it.
    let r = await run(['run', '--rm', '--no-deps', 'db', 'true']);
    expect(r.code, r.stderr).toBe(0);
    expect(await projectVolumes(p)).toEqual([first]);
    // Detached, the engine removes it when it exits, with its anonymous volume.
    r = await run(['run', '-d', '--rm', '--no-deps', 'db', 'sleep', '1']);
    expect(r.code, r.stderr).toBe(0);
    await eventually(async () => (await runtime.listContainers({ all: true, labels: { 'com.docker.compose.project': p, 'com.docker.compose.oneoff': 'True' } })).length === 0, 'the detached one-off removed');
    await eventually(async () => (await projectVolumes(p)).length === 1, 'its anonymous volume removed');
    expect(await projectVolumes(p)).toEqual([first]);

    // down keeps anonymous volumes (as Compose), down -v removes them even once the container is gone.
    r = await run(['down']);
    expect(r.code, r.stderr).toBe(0);
    expect(await projectVolumes(p)).toEqual([first]);
    r = await run(['down', '-v']);
    expect(r.code, r.stderr).toBe(0);
    expect(await projectVolumes(p)).toEqual([]);
  });

  it('volumes the image declares (VOLUME) are labelled, carried over a recreate with their data, and go with down -v', async () => {
    const compose = (v: string) => `
services:
  img:
    build: .
    command: ${SLEEPER}
    environment: {V: "${v}"}
`;
    const t = setup('imgvol', compose('1'), { Dockerfile: `FROM ${TEST_IMAGE}\nVOLUME /var/lib/x\n` });
    await survivesRecreate(t, 'img', '/var/lib/x', compose);
    const r = await t.run(['down', '-v']);
    expect(r.code, r.stderr).toBe(0);
    expect(await projectVolumes(t.p)).toEqual([]);
  });
});
