/**
 * The planner as golden text: each case is (project, observed) -> the plan it must produce.
 */
import { describe, expect, it } from 'vitest';
import { planDown, planUp } from '../../../src/engine/reconcile.js';
import { planToString } from '../../../src/engine/plan.js';
import { serviceConfigFields, serviceConfigHash } from '../../../src/engine/config-hash.js';
import type { ObservedContainer, ObservedState } from '../../../src/engine/observed.js';
import { dep, project, service } from '../../fixtures/engine/project.js';

const empty: ObservedState = { containers: [], networks: [], volumes: [] };

function running(p: ReturnType<typeof project>, svc: string, n: number, over: Partial<ObservedContainer> = {}): ObservedContainer {
  return {
    id: `${svc}${n}`,
    name: `${p.name}-${svc}-${n}`,
    service: svc,
    number: n,
    oneOff: false,
    configHash: serviceConfigHash(p.services[svc]!),
    imageId: 'sha256:img',
    status: 'running',
    labels: {},
    ...over,
  };
}

const stack = project('app', [
  service('db', { healthcheck: { test: ['CMD', 'true'] }, volumes: [{ type: 'volume', source: 'data', target: '/data' }] }),
  service('web', { depends_on: { db: dep('service_healthy') } }),
  service('proxy', { depends_on: { web: dep('service_started') } }),
], { volumes: { data: { name: 'app_data' } } });
const imageIds = { db: 'sha256:img', web: 'sha256:img', proxy: 'sha256:img' };

describe('planUp', () => {
  it('creates everything on an empty engine, gated by depends_on', () => {
    expect(planToString(planUp(stack, empty, { imageIds }))).toBe(
      `#1 create-network app_default -- missing
#2 create-volume app_data -- missing
#3 create-container app-db-1 after #1 #2 -- missing
#4 start-container app-db-1 after #3 -- missing
#5 create-container app-web-1 after #1 -- missing
#6 wait-dependency web on db service_healthy [app-db-1] after #4 -- web depends on db
#7 start-container app-web-1 after #5 #6 -- missing
#8 create-container app-proxy-1 after #1 -- missing
#9 wait-dependency proxy on web service_started [app-web-1] after #7 -- proxy depends on web
#10 start-container app-proxy-1 after #8 #9 -- missing
`);
  });

  it('is empty when nothing changed (the fast no-op)', () => {
    const observed: ObservedState = {
      containers: [running(stack, 'db', 1), running(stack, 'proxy', 1), running(stack, 'web', 1)],
      networks: [{ id: 'n', name: 'app_default', key: 'default' }],
      volumes: [{ name: 'app_data', key: 'data' }],
    };
    expect(planToString(planUp(stack, observed, { imageIds }))).toBe('');
  });

  it('recreates only the changed service, and restarts dependents with restart: true', () => {
    const changed = project('app', [
      service('db', { healthcheck: { test: ['CMD', 'true'] }, environment: { NEW: '1' } }),
      service('web', { depends_on: { db: dep('service_healthy', { restart: true }) } }),
    ]);
    const observed: ObservedState = {
      containers: [running(stack, 'db', 1), running(changed, 'web', 1)],
      networks: [{ id: 'n', name: 'app_default', key: 'default' }],
      volumes: [],
    };
    expect(planToString(planUp(changed, observed, { imageIds }))).toBe(
      `#1 stop-container app-db-1 -- config hash changed
#2 remove-container app-db-1 after #1 -- config hash changed
#3 create-container app-db-1 (replaces app-db-1) after #2 -- config hash changed
#4 start-container app-db-1 after #3 -- config hash changed
#5 restart-container app-web-1 after #4 -- dependency db recreated
`);
  });

  it('scales up with the lowest free numbers and down from the highest', () => {
    const p = project('s', [service('web')]);
    const three: ObservedState = {
      containers: [1, 2, 3].map((n) => running(p, 'web', n)),
      networks: [{ id: 'n', name: 's_default', key: 'default' }],
      volumes: [],
    };
    expect(planToString(planUp(p, three, { scale: { web: 1 }, imageIds: { web: 'sha256:img' } }))).toBe(
      `#1 stop-container s-web-3 -- scale 3 -> 1
#2 remove-container s-web-3 after #1 -- scale 3 -> 1
#3 stop-container s-web-2 -- scale 3 -> 1
#4 remove-container s-web-2 after #3 -- scale 3 -> 1
`);
    const gap: ObservedState = { ...three, containers: [running(p, 'web', 2)] };
    expect(planToString(planUp(p, gap, { scale: { web: 3 }, imageIds: { web: 'sha256:img' } }))).toBe(
      `#1 create-container s-web-1 -- scale 1 -> 3
#2 start-container s-web-1 after #1 -- scale 1 -> 3
#3 create-container s-web-3 -- scale 1 -> 3
#4 start-container s-web-3 after #3 -- scale 1 -> 3
`);
  });

  it('warns about orphans and removes them with --remove-orphans', () => {
    const p = project('o', [service('web')]);
    const observed: ObservedState = {
      containers: [running(p, 'web', 1), { ...running(p, 'web', 1), id: 'x', name: 'o-old-1', service: 'old' }],
      networks: [{ id: 'n', name: 'o_default', key: 'default' }],
      volumes: [],
    };
    expect(planToString(planUp(p, observed, { imageIds: { web: 'sha256:img' } }))).toMatch(/^warning: found orphan containers \(o-old-1\)/);
    expect(planToString(planUp(p, observed, { removeOrphans: true, imageIds: { web: 'sha256:img' } }))).toBe(
      `#1 stop-container o-old-1 -- orphan
#2 remove-container o-old-1 after #1 -- orphan
`);
  });

  it('skips an optional dependency that is not enabled, with a warning', () => {
    const p = project('q', [service('web', { depends_on: { cache: dep('service_started', { required: false }) } })]);
    expect(planToString(planUp(p, empty, { imageIds: { web: 'i' } }))).toBe(
      `#1 create-network q_default -- missing
#2 create-container q-web-1 after #1 -- missing
#3 start-container q-web-1 after #2 -- missing
warning: web depends on optional service cache, which is not enabled: not waiting for it
`);
  });

  it('recreates on a new image id and with --force-recreate, never with --no-recreate', () => {
    const p = project('r', [service('web')]);
    const observed: ObservedState = { containers: [running(p, 'web', 1)], networks: [{ id: 'n', name: 'r_default', key: 'default' }], volumes: [] };
    expect(planToString(planUp(p, observed, { imageIds: { web: 'sha256:new' } }))).toContain('create-container r-web-1 (replaces r-web-1)');
    expect(planToString(planUp(p, observed, { forceRecreate: true, imageIds: { web: 'sha256:img' } }))).toContain('(replaces r-web-1)');
    expect(planToString(planUp(p, observed, { noRecreate: true, imageIds: { web: 'sha256:new' } }))).toBe('');
  });

  it('recreates a network whose definition changed, with the containers on it; keeps one with the same definition', () => {
    const netted = project('app', [service('db'), service('web', { networks: { front: null } })], { networks: { default: { name: 'app_default' }, front: { name: 'app_front', internal: true } } });
    const def = (over: Partial<NonNullable<ObservedState['networks'][number]['definition']>> = {}) => ({
      driver: 'bridge', options: {}, internal: false, attachable: false, enableIpv6: false, labels: {}, ipam: { driver: 'default', options: {}, config: [{ subnet: '172.18.0.0/16' }] }, ...over,
    });
    const observed: ObservedState = {
      containers: [running(netted, 'db', 1), running(netted, 'web', 1)],
      networks: [
        { id: 'n1', name: 'app_default', key: 'default', configHash: 'from-another-tool', definition: def() },
        { id: 'n2', name: 'app_front', key: 'front', definition: def() },
      ],
      volumes: [],
    };
    expect(planToString(planUp(netted, observed, { imageIds: { db: 'sha256:img', web: 'sha256:img' } }))).toBe(
      `#1 stop-container app-web-1 -- network app_front changed: internal
#2 remove-container app-web-1 after #1 -- network app_front changed: internal
#3 remove-network app_front after #2 -- network app_front changed: internal
#4 create-network app_front after #3 -- network app_front changed: internal
#5 create-container app-web-1 (replaces app-web-1) after #2 #4 -- network app_front changed: internal
#6 start-container app-web-1 after #5 -- network app_front changed: internal
warning: network app_front differs from the file (internal): recreating it and the containers attached to it
`);
    // --no-recreate keeps the network, with a warning naming it and the fields.
    expect(planToString(planUp(netted, observed, { imageIds: { db: 'sha256:img', web: 'sha256:img' }, noRecreate: true }))).toBe(
      'warning: network app_front differs from the file (internal); kept because of --no-recreate\n',
    );
    // A service left out of this up (named services, profiles) still on the network: an error, no plan.
    const both = project('app', [service('db', { networks: { front: null } }), service('web', { networks: { front: null } })], { networks: netted.networks });
    const partial = { ...both, services: { web: both.services.web! }, disabledServices: { db: both.services.db! } };
    expect(() => planUp(partial, observed, { services: ['web'] })).toThrow(/network app_front differs from the file \(internal\) and must be recreated, but service db also uses it/);
  });

  it('a recreated container mounts the anonymous volumes of the one it replaces; new anonymous volumes carry the project labels', () => {
    const anon = project('app', [service('db', { environment: { V: '2' }, volumes: [{ type: 'volume', target: '/anon' }, { type: 'volume', source: 'data', target: '/data' }] })], { volumes: { data: { name: 'app_data' } } });
    const old = 'a'.repeat(64);
    const observed: ObservedState = {
      containers: [running(anon, 'db', 1, { configHash: 'old', volumes: { '/anon': old, '/data': 'app_data' } })],
      networks: [{ id: 'n', name: 'app_default', key: 'default' }],
      volumes: [{ name: 'app_data', key: 'data' }],
    };
    const mountsOf = (plan: ReturnType<typeof planUp>) => {
      const op = plan.operations.find((o) => o.kind === 'create-container');
      return op?.kind === 'create-container' ? op.spec.mounts : undefined;
    };
    expect(mountsOf(planUp(anon, observed, { imageIds: { db: 'sha256:img' } }))).toEqual([
      { type: 'volume', target: '/anon', source: old },
      { type: 'volume', target: '/data', source: 'app_data' },
    ]);
    expect(mountsOf(planUp(anon, { ...observed, containers: [] }, { imageIds: { db: 'sha256:img' } }))![0]).toEqual({
      type: 'volume',
      target: '/anon',
      volumeLabels: { 'com.docker.compose.project': 'app', 'com.docker.compose.service': 'db', 'com.docker.compose.version': '2.24.0' },
    });
  });

  it('a service: namespace orders creates whatever the names, and a recreate of the donor recreates the joiner', () => {
    const ns = project('app', [service('a', { pid: 'service:z', networks: {} , network_mode: 'service:z' }), service('z')]);
    expect(planToString(planUp(ns, empty, { imageIds: { a: 'sha256:img', z: 'sha256:img' } }))).toBe(
      `#1 create-network app_default -- missing
#2 create-container app-z-1 after #1 -- missing
#3 start-container app-z-1 after #2 -- missing
#4 create-container app-a-1 after #3 -- missing
#5 start-container app-a-1 after #4 -- missing
`);
    const observed: ObservedState = {
      containers: [running(ns, 'a', 1), running(ns, 'z', 1, { configHash: 'old' })],
      networks: [{ id: 'n', name: 'app_default', key: 'default' }],
      volumes: [],
    };
    expect(planToString(planUp(ns, observed, { imageIds: { a: 'sha256:img', z: 'sha256:img' } }))).toBe(
      `#1 stop-container app-z-1 -- config hash changed
#2 remove-container app-z-1 after #1 -- config hash changed
#3 create-container app-z-1 (replaces app-z-1) after #2 -- config hash changed
#4 start-container app-z-1 after #3 -- config hash changed
#5 stop-container app-a-1 -- service z recreated (its namespaces are joined)
#6 remove-container app-a-1 after #5 -- service z recreated (its namespaces are joined)
#7 create-container app-a-1 (replaces app-a-1) after #4 #6 -- service z recreated (its namespaces are joined)
#8 start-container app-a-1 after #7 -- service z recreated (its namespaces are joined)
`);
  });
});

describe('planUp causes', () => {
  const p = project('c', [service('web')]);
  const net = [{ id: 'n', name: 'c_default', key: 'default' }];
  const causes = (plan: ReturnType<typeof planUp>) => [...new Set(plan.operations.map((o) => o.cause))];

  it('names the service keys that changed when the container carries per-key hashes, and says only "config hash changed" when it does not', () => {
    const old = running(p, 'web', 1, { configHashFields: serviceConfigFields(p.services.web!) });
    const changed = project('c', [service('web', { environment: { A: '1' }, image: 'other:1' })]);
    expect(causes(planUp(changed, { containers: [old], networks: net, volumes: [] }, { imageIds: { web: 'sha256:img' } }))).toEqual(['config hash changed: environment, image']);
    const legacy = running(p, 'web', 1);
    expect(causes(planUp(changed, { containers: [legacy], networks: net, volumes: [] }, { imageIds: { web: 'sha256:img' } }))).toEqual(['config hash changed']);
  });

  it('says why a container is recreated on a new image, forced, or started', () => {
    const observed: ObservedState = { containers: [running(p, 'web', 1)], networks: net, volumes: [] };
    expect(causes(planUp(p, observed, { imageIds: { web: 'sha256:new' } }))).toEqual(['image changed']);
    expect(causes(planUp(p, observed, { forceRecreate: true, imageIds: { web: 'sha256:img' } }))).toEqual(['--force-recreate']);
    const stopped: ObservedState = { ...observed, containers: [running(p, 'web', 1, { status: 'exited' })] };
    expect(planToString(planUp(p, stopped, { imageIds: { web: 'sha256:img' } }))).toBe('#1 start-container c-web-1 -- not running\n');
  });

  it('writes the per-key hashes on the containers it creates', () => {
    const op = planUp(p, { containers: [], networks: net, volumes: [] }, { imageIds: { web: 'sha256:img' } }).operations.find((o) => o.kind === 'create-container');
    const label = op?.kind === 'create-container' ? op.spec.labels?.['dev.tscompose.config-hash-fields'] : undefined;
    expect(JSON.parse(label ?? '{}')).toEqual(serviceConfigFields(p.services.web!));
  });
});

describe('planUp --always-recreate-deps and --renew-anon-volumes', () => {
  const p = project('f', [
    service('db', { volumes: [{ type: 'volume', target: '/anon' }] }),
    service('web', { depends_on: { db: dep('service_started') } }),
  ]);
  const anon = 'b'.repeat(64);
  const observed: ObservedState = {
    containers: [running(p, 'db', 1, { volumes: { '/anon': anon } }), running(p, 'web', 1)],
    networks: [{ id: 'n', name: 'f_default', key: 'default' }],
    volumes: [],
  };
  const imageIds = { db: 'sha256:img', web: 'sha256:img' };

  it('--always-recreate-deps recreates the dependencies of the named services, not the named ones', () => {
    expect(planToString(planUp(p, observed, { services: ['web', 'db'], targets: ['web'], recreateDependencies: true, imageIds }))).toBe(
      `#1 stop-container f-db-1 -- --always-recreate-deps
#2 remove-container f-db-1 after #1 -- --always-recreate-deps
#3 create-container f-db-1 (replaces f-db-1) after #2 -- --always-recreate-deps
#4 start-container f-db-1 after #3 -- --always-recreate-deps
`);
    // Without named services every service is a target: nothing is a dependency to recreate.
    expect(planToString(planUp(p, observed, { recreateDependencies: true, imageIds }))).toBe('');
  });

  it('-V recreates the named services with new anonymous volumes (the replaced ones are kept, for down -v)', () => {
    const plan = planUp(p, observed, { services: ['db'], targets: ['db'], renewAnonVolumes: true, imageIds });
    expect(planToString(plan)).toBe(
      `#1 stop-container f-db-1 -- --renew-anon-volumes
#2 remove-container f-db-1 after #1 -- --renew-anon-volumes
#3 create-container f-db-1 (replaces f-db-1) after #2 -- --renew-anon-volumes
#4 start-container f-db-1 after #3 -- --renew-anon-volumes
`);
    const rm = plan.operations.find((o) => o.kind === 'remove-container');
    expect(rm?.kind === 'remove-container' && rm.volumes).toBe(false);
    const create = plan.operations.find((o) => o.kind === 'create-container');
    const mount = create?.kind === 'create-container' ? create.spec.mounts?.find((m) => m.target === '/anon') : undefined;
    expect(mount?.source).toBeUndefined();
    // Without -V the recreate keeps the volume: the new container mounts it again.
    const kept = planUp(p, observed, { services: ['db'], forceRecreate: true, imageIds }).operations.find((o) => o.kind === 'create-container');
    expect(kept?.kind === 'create-container' ? kept.spec.mounts?.find((m) => m.target === '/anon')?.source : undefined).toBe(anon);
  });
});

describe('planDown', () => {
  it('stops dependents first, then removes networks and (with -v) volumes', () => {
    const observed: ObservedState = {
      containers: [running(stack, 'db', 1), running(stack, 'web', 1), running(stack, 'proxy', 1)],
      networks: [{ id: 'n', name: 'app_default', key: 'default' }],
      volumes: [{ name: 'app_data', key: 'data' }],
    };
    expect(planToString(planDown(stack, observed, { volumes: true }))).toBe(
      `#1 stop-container app-proxy-1 -- down
#2 remove-container app-proxy-1 after #1 -- down
#3 stop-container app-web-1 after #1 -- down
#4 remove-container app-web-1 after #3 -- down
#5 stop-container app-db-1 after #3 -- down
#6 remove-container app-db-1 after #5 -- down
#7 remove-network app_default after #2 #4 #6 -- down
#8 remove-volume app_data after #2 #4 #6 -- down --volumes
`);
  });
});
