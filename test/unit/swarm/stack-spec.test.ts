import { describe, expect, it } from 'vitest';
import { loadProject } from '../../../src/compose/index.js';
import { planStackDeploy, stackFileObjects, stackServiceSpecs, STACK_NAMESPACE_LABEL, type ExistingService } from '../../../src/swarm/stack/stack-spec.js';
import type { ServiceSpec } from '../../../src/swarm/store/index.js';
import { DiagnosticError, UserError } from '../../../src/util/errors.js';
import { MemoryReader } from '../compose/memory-reader.js';

/** Loads files the way `stack deploy -c` does (the project name is the stack name). */
async function loadYaml(yaml: string | string[], stack = 'app', env: Record<string, string> = {}) {
  const list = Array.isArray(yaml) ? yaml : [yaml];
  const files: Record<string, string> = {};
  list.forEach((y, i) => (files[`/proj/stack${i}.yaml`] = y));
  return loadProject({ env, reader: new MemoryReader(files), cwd: '/proj', files: Object.keys(files), projectName: /^[a-z0-9][a-z0-9_-]*$/.test(stack) ? stack : 'app' });
}

async function specsOf(yaml: string | string[], stack = 'app', env: Record<string, string> = {}) {
  return stackServiceSpecs(await loadYaml(yaml, stack, env), stack);
}

const byName = (specs: ServiceSpec[], name: string): ServiceSpec => {
  const s = specs.find((x) => x.name === name);
  if (!s) throw new Error(`no spec ${name} in ${specs.map((x) => x.name).join(', ')}`);
  return s;
};

const FULL = `
services:
  db:
    image: postgres:16
    init: true
    user: "999:999"
    working_dir: /data
    hostname: database
    command: ["postgres", "-c", "fsync=off"]
    entrypoint: /docker-entrypoint.sh
    environment:
      POSTGRES_PASSWORD: \${PW:-secret}
      A_FIRST: "1"
    labels: {tier: data}
    healthcheck:
      test: pg_isready
      interval: 200ms
      timeout: 2s
      retries: 5
      start_period: 1s
    stop_grace_period: 1m30s
    volumes:
      - dbdata:/var/lib/postgresql/data
      - /srv/conf:/etc/conf:ro
      - type: tmpfs
        target: /run/pg
      - /anon
    tmpfs: [/tmp]
    ports: ["5432:5432", {target: 9187, protocol: udp, mode: host}]
    deploy:
      mode: replicated
      replicas: 3
      labels: {owner: team-a}
      endpoint_mode: dnsrr
      placement:
        constraints: ["node.hostname==h2", "node.labels.disk != hdd"]
        preferences: [{spread: node.labels.zone}]
        max_replicas_per_node: 2
      resources:
        limits: {cpus: "0.5", memory: 512M}
        reservations: {cpus: "0.25", memory: 128M}
      restart_policy: {condition: on-failure, delay: 2s, max_attempts: 3, window: 1m}
      update_config: {parallelism: 2, delay: 10s, failure_action: rollback, order: start-first}
      rollback_config: {parallelism: 0, monitor: 20s, max_failure_ratio: 0.5}
  api:
    image: api:1
    depends_on:
      db: {condition: service_healthy}
      cache: {condition: service_completed_successfully}
      log:
        condition: service_started
  cache: {image: cache:1}
  log: {image: log:1, deploy: {mode: global}}
volumes:
  dbdata: {}
`;

describe('stack spec mapping', () => {
  it('maps every supported key of a service, Docker-named and labelled', async () => {
    const { specs, warnings } = await specsOf(FULL);
    expect(specs.map((s) => s.name)).toEqual(['app_api', 'app_cache', 'app_db', 'app_log']);
    expect(warnings).toEqual([]);
    const db = byName(specs, 'app_db');
    expect(db.labels).toEqual({ owner: 'team-a', [STACK_NAMESPACE_LABEL]: 'app', 'com.docker.stack.image': 'postgres:16' });
    expect(db.mode).toEqual({ type: 'replicated', replicas: 3 });
    const c = db.task.container;
    expect(c.image).toBe('postgres:16');
    expect(c.command).toEqual(['/docker-entrypoint.sh']);
    expect(c.args).toEqual(['postgres', '-c', 'fsync=off']);
    expect(c.env).toEqual(['A_FIRST=1', 'POSTGRES_PASSWORD=secret']);
    expect(c.labels).toEqual({ tier: 'data', [STACK_NAMESPACE_LABEL]: 'app' });
    expect([c.init, c.user, c.workdir, c.hostname]).toEqual([true, '999:999', '/data', 'database']);
    expect(c.healthcheck).toEqual({ test: ['CMD-SHELL', 'pg_isready'], intervalMs: 200, timeoutMs: 2000, retries: 5, startPeriodMs: 1000 });
    expect(c.stopGracePeriodMs).toBe(90_000);
    expect(c.mounts).toEqual([
      { type: 'volume', source: 'app_dbdata', target: '/var/lib/postgresql/data', readOnly: false },
      { type: 'bind', source: '/srv/conf', target: '/etc/conf', readOnly: true },
      { type: 'tmpfs', source: '', target: '/run/pg', readOnly: false },
      { type: 'volume', source: '', target: '/anon', readOnly: false },
      { type: 'tmpfs', source: '', target: '/tmp', readOnly: false },
    ]);
    expect(db.endpoint).toEqual({
      mode: 'dnsrr',
      ports: [
        { name: '', protocol: 'tcp', targetPort: 5432, publishedPort: 5432, publishMode: 'ingress', snat: false },
        { name: '', protocol: 'udp', targetPort: 9187, publishedPort: null, publishMode: 'host', snat: false },
      ],
    });
    expect(db.task.placement).toEqual({ constraints: ['node.hostname==h2', 'node.labels.disk != hdd'], preferences: [{ spread: 'node.labels.zone' }], maxReplicasPerNode: 2 });
    expect(db.task.resources).toEqual({
      limits: { nanoCPUs: 500_000_000, memoryBytes: 512 * 1024 * 1024 },
      reservations: { nanoCPUs: 250_000_000, memoryBytes: 128 * 1024 * 1024 },
    });
    expect(db.task.restartPolicy).toEqual({ condition: 'on-failure', delayMs: 2000, maxAttempts: 3, windowMs: 60_000 });
    expect(db.update).toEqual({ parallelism: 2, delayMs: 10_000, failureAction: 'rollback', monitorMs: 5000, maxFailureRatio: 0, order: 'start-first' });
    expect(db.rollback).toEqual({ parallelism: 0, delayMs: 0, failureAction: 'pause', monitorMs: 20_000, maxFailureRatio: 0.5, order: 'stop-first' });
    expect(byName(specs, 'app_log').mode).toEqual({ type: 'global' });
  });

  it('uses Docker\'s defaults for what the file leaves out', async () => {
    const { specs } = await specsOf('services:\n  web: {image: web:1}\n');
    const web = specs[0]!;
    expect(web.mode).toEqual({ type: 'replicated', replicas: 1 });
    expect(web.task.restartPolicy).toEqual({ condition: 'any', delayMs: 5000, maxAttempts: 0, windowMs: 0 });
    expect([web.update, web.rollback, web.task.container.healthcheck]).toEqual([null, null, null]);
    expect(web.task.container.stopGracePeriodMs).toBe(10_000);
    expect(web.dependsOn).toEqual([]);
    expect(web.endpoint).toEqual({ mode: 'vip', ports: [] });
  });

  it('dns, dns_search, dns_opt, extra_hosts and group_add reach the task spec, without a warning', async () => {
    const { specs, warnings } = await specsOf(
      'services:\n  web:\n    image: web:1\n    dns: [10.0.0.2]\n    dns_search: [corp.example]\n    dns_opt: [ndots:2]\n    extra_hosts: ["db:10.0.0.5"]\n    group_add: ["100"]\n',
    );
    expect(specs[0]!.task.container).toMatchObject({ dns: { nameservers: ['10.0.0.2'], search: ['corp.example'], options: ['ndots:2'] }, hosts: ['db:10.0.0.5'], groups: ['100'] });
    expect(warnings).toEqual([]);
  });

  it('depends_on -> dependsOn with the stack service name and the condition (service_started by default)', async () => {
    const { specs } = await specsOf(FULL);
    expect(byName(specs, 'app_api').dependsOn).toEqual([
      { service: 'app_cache', condition: 'service_completed_successfully' },
      { service: 'app_db', condition: 'service_healthy' },
      { service: 'app_log', condition: 'service_started' },
    ]);
    const short = await specsOf('services:\n  a: {image: x, depends_on: [b]}\n  b: {image: y}\n', 'st');
    expect(byName(short.specs, 'st_a').dependsOn).toEqual([{ service: 'st_b', condition: 'service_started' }]);
  });

  it('healthcheck: disabled -> NONE; partial fields take Docker\'s defaults', async () => {
    const { specs } = await specsOf('services:\n  a: {image: x, healthcheck: {disable: true}}\n  b: {image: x, healthcheck: {test: ["CMD", "true"], retries: 1}}\n');
    expect(byName(specs, 'app_a').task.container.healthcheck?.test).toEqual(['NONE']);
    expect(byName(specs, 'app_b').task.container.healthcheck).toEqual({ test: ['CMD', 'true'], intervalMs: 30_000, timeoutMs: 30_000, retries: 1, startPeriodMs: 0 });
  });

  it('`restart:` stands in for deploy.restart_policy as Docker reads it', async () => {
    const { specs } = await specsOf('services:\n  a: {image: x, restart: "on-failure:4"}\n  b: {image: x, restart: always}\n  c: {image: x, restart: "no"}\n');
    expect(byName(specs, 'app_a').task.restartPolicy).toEqual({ condition: 'on-failure', delayMs: 5000, maxAttempts: 4, windowMs: 0 });
    expect(byName(specs, 'app_b').task.restartPolicy.condition).toBe('any');
    expect(byName(specs, 'app_c').task.restartPolicy.condition).toBe('any');
  });

  it('scale and overrides follow the compose rules (later -c files win, interpolation from the environment)', async () => {
    const { specs } = await specsOf(['services:\n  web: {image: "web:${TAG}", environment: [A=1]}\n', 'services:\n  web: {environment: [A=2, B=3], scale: 4}\n'], 'app', { TAG: '7' });
    expect(specs[0]!.task.container.image).toBe('web:7');
    expect(specs[0]!.task.container.env).toEqual(['A=2', 'B=3']);
    expect(specs[0]!.mode).toEqual({ type: 'replicated', replicas: 4 });
  });

  it('warns once per key a stack ignores, and still deploys the rest', async () => {
    const { specs, warnings } = await specsOf(`
services:
  web:
    image: web:1
    build: .
    container_name: web1
    privileged: true
    networks: [front]
    secrets: [pw]
    configs: [cf]
    ports: [{target: 80, published: "8080-8081"}, {target: 81, published: "81", host_ip: 127.0.0.1}]
    healthcheck: {test: ["CMD", "true"], start_interval: 1s}
    depends_on:
      db: {condition: service_started, required: false, restart: true}
    deploy:
      resources: {limits: {pids: 10}}
  db: {image: db:1}
networks: {front: {}}
secrets: {pw: {file: ./pw}}
configs: {cf: {file: ./cf}}
`);
    expect(warnings).toEqual([
      'services.web.container_name: not supported in a stack; ignored',
      'services.web.privileged: not supported in a stack; ignored',
      'services.web.build: ignored by stack deploy (images are not built; the image must exist on the nodes)',
      'services.web.healthcheck.start_interval: not supported yet; ignored',
      'services.web.deploy.resources.limits.pids: not supported yet; ignored',
      'services.web.ports[1].host_ip: not supported in a stack (ports publish on every address); ignored',
      'services.web.depends_on.db.restart: not supported in a stack; ignored',
      'services.web.depends_on.db.required: false is not supported in a stack; the dependency is required',
    ]);
    expect(byName(specs, 'app_web').endpoint.ports.map((p) => [p.publishedPort, p.targetPort])).toEqual([[8080, 80], [8081, 80], [81, 81]]);
  });

  it('maps secrets and configs to cluster objects named STACK_key (or their name:), external ones as named', async () => {
    const yaml = `
services:
  web:
    image: web:1
    secrets: [pw, {source: ext, target: /etc/ext, mode: 0400, uid: "100"}]
    configs: [{source: cf, target: /etc/app.conf}]
  idle: {image: x:1}
secrets:
  pw: {environment: PW}
  ext: {external: true, name: shared-ext}
  unused: {environment: UNUSED}
configs:
  cf: {content: "listen 80"}
`;
    const { specs } = await specsOf(yaml);
    // Before the objects exist: placeholders, the spec still checkable.
    expect(byName(specs, 'app_web').task.container.secrets.map((r) => r.id)).toEqual(['pending', 'pending']);
    const project = await loadYaml(yaml);
    const objs = stackFileObjects(project, 'app');
    expect(objs).toEqual([
      { kind: 'secret', key: 'ext', name: 'shared-ext', external: true, source: null },
      { kind: 'secret', key: 'pw', name: 'app_pw', external: false, source: { environment: 'PW' } },
      { kind: 'config', key: 'cf', name: 'app_cf', external: false, source: { content: 'listen 80' } },
    ]);
    const files = { secret: { pw: { id: 's1', name: 'app_pw' }, ext: { id: 's2', name: 'shared-ext' } }, config: { cf: { id: 'c1', name: 'app_cf' } } };
    const web = byName(stackServiceSpecs(project, 'app', files).specs, 'app_web').task.container;
    expect(web.secrets).toEqual([
      { id: 's1', name: 'app_pw', target: { name: '/run/secrets/pw', uid: '0', gid: '0', mode: 0o444 } },
      { id: 's2', name: 'shared-ext', target: { name: '/etc/ext', uid: '100', gid: '0', mode: 0o400 } },
    ]);
    expect(web.configs).toEqual([{ id: 'c1', name: 'app_cf', target: { name: '/etc/app.conf', uid: '0', gid: '0', mode: 0o444 } }]);
  });

  it('refuses what cannot be deployed, all problems at once, before anything is sent', async () => {
    const err = await specsOf(`
services:
  a: {build: .}
  b: {image: x, deploy: {mode: replicated-job}}
  c: {image: x, deploy: {placement: {constraints: ["node.colour==red"]}}}
`).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).message.split('\n')).toEqual([
      'services.a: no image: a stack does not build images; set `image:` to one the nodes have',
      'services.b: deploy.mode replicated-job is not supported yet (replicated | global)',
      'services.c: deploy.placement.constraints: invalid "node.colour==red": expected node.id|node.hostname|node.role|node.platform.os|node.platform.arch|node.labels.KEY|engine.labels.KEY ==|!= VALUE',
    ]);
    await expect(specsOf('services:\n  a: {image: x}\n', 'bad name')).rejects.toThrow(/invalid stack name/);
    await expect(specsOf('services:\n  a: {image: x}\n', 'a'.repeat(70))).rejects.toThrow(/services\.a: name: /);
  });

  it('bad files fail with the loader\'s file:line:col diagnostics', async () => {
    const err = await specsOf('services:\n  web:\n    imgae: x\n').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DiagnosticError);
    expect((err as Error).message).toMatch(/^\/proj\/stack0\.yaml:3:5: services\.web\.imgae: unknown key "imgae"/);
  });
});

describe('stack deploy plan', () => {
  const existing = (spec: ServiceSpec, id: string, version = 10): ExistingService => ({ id, spec, meta: { version, createdAt: 1, updatedAt: 1 } });

  it('creates what is missing, updates only what changed, leaves the rest', async () => {
    const v1 = (await specsOf(FULL)).specs;
    const first = planStackDeploy('app', v1, [], { prune: false });
    expect(first.create.map((s) => s.name)).toEqual(['app_cache', 'app_db', 'app_log', 'app_api']);
    expect([first.update, first.unchanged, first.remove]).toEqual([[], [], []]);

    const stored = v1.map((s, i) => existing(structuredClone(s), `id${i}`, 100 + i));
    const same = planStackDeploy('app', (await specsOf(FULL)).specs, stored, { prune: true });
    expect(same).toEqual({ create: [], update: [], unchanged: ['app_api', 'app_cache', 'app_db', 'app_log'], remove: [] });

    const changed = (await specsOf(FULL.replace('image: api:1', 'image: api:1\n    environment: {MODE: fast}'))).specs;
    const plan = planStackDeploy('app', changed, stored, { prune: false });
    expect(plan.update.map((u) => [u.id, u.version, u.spec.name])).toEqual([['id0', 100, 'app_api']]);
    expect(plan.update[0]!.spec.task.container.env).toEqual(['MODE=fast']);
    expect(plan.unchanged).toEqual(['app_cache', 'app_db', 'app_log']);
  });

  it('key order and a forced-update counter do not count as changes', async () => {
    const [web] = (await specsOf('services:\n  web: {image: w, labels: {b: "2", a: "1"}}\n')).specs;
    const stored = structuredClone(web!);
    stored.task.container.labels = Object.fromEntries(Object.entries(stored.task.container.labels).reverse());
    stored.task.forceUpdate = 3;
    expect(planStackDeploy('app', [web!], [existing(stored, 'w')], { prune: false }).unchanged).toEqual(['app_web']);
    const [web2] = (await specsOf('services:\n  web: {image: w2}\n')).specs;
    const plan = planStackDeploy('app', [web2!], [existing(stored, 'w')], { prune: false });
    expect(plan.update[0]!.spec.task.forceUpdate).toBe(3);
  });

  it('--prune removes stack services the file no longer has, never other stacks\' or plain services', async () => {
    const { specs } = await specsOf('services:\n  a: {image: x}\n  b: {image: x}\n');
    const [other] = (await specsOf('services:\n  a: {image: x}\n', 'other')).specs;
    const plain: ServiceSpec = { ...structuredClone(specs[0]!), name: 'plain', labels: {} };
    const list = [existing(specs[0]!, 'a'), existing(specs[1]!, 'b'), existing(other!, 'o'), existing(plain, 'p')];
    const keep = planStackDeploy('app', [specs[0]!], list, { prune: false });
    expect(keep.remove).toEqual([]);
    const pruned = planStackDeploy('app', [specs[0]!], list, { prune: true });
    expect(pruned.remove).toEqual([{ id: 'b', name: 'app_b' }]);
  });

  it('a service of the same name outside the stack is a conflict, refused up front', async () => {
    const { specs } = await specsOf('services:\n  a: {image: x}\n');
    const foreign: ServiceSpec = { ...structuredClone(specs[0]!), labels: {} };
    expect(() => planStackDeploy('app', specs, [existing(foreign, 'f')], { prune: true })).toThrow(/app_a already exists outside stack app/);
  });
});
