/**
 * The bounds of store/objects/limits.ts, applied alike at the three places a spec enters the
 * cluster: the manager API (400 naming the field), the `service create|update` flags (exit 2, one
 * line naming the flag) and `stack deploy` (the service and compose key). The store itself still
 * decodes an object out of bounds (a log written by an older build must replay).
 */
import { describe, expect, it } from 'vitest';
import { LIMITS, serviceSpecProblems, serviceSchema, networkSpecProblems, type ServiceSpec } from '../../../src/swarm/store/index.js';
import { parseBody } from '../../../src/swarm/api/schemas.js';
import { serviceCreateSchema, serviceUpdateSchema } from '../../../src/swarm/manager/services-api.js';
import { networkCreateSchema } from '../../../src/swarm/manager/networks-api.js';
import { fileObjectCreateSchema } from '../../../src/swarm/manager/secrets-api.js';
import { serviceSpecFromFlags, updatedSpec, type ServiceFlags } from '../../../src/swarm/service-flags.js';
import { stackServiceSpecs } from '../../../src/swarm/stack/stack-spec.js';
import { loadProject } from '../../../src/compose/index.js';
import { isApiError } from '../../../src/swarm/api/errors.js';
import { UserError } from '../../../src/util/errors.js';
import { MemoryReader } from '../compose/memory-reader.js';
import { mkService } from './task-fixtures.js';

const none: ServiceFlags = { env: [], label: [], containerLabel: [], constraint: [], placementPref: [], mount: [], publish: [] };
const base = (): ServiceSpec => structuredClone(mkService('s1', { name: 'web' }).spec);

function apiField(spec: unknown): string | null {
  try {
    parseBody(serviceCreateSchema, { spec });
    return null;
  } catch (e) {
    if (!isApiError(e, 'invalid')) throw e;
    return e.field;
  }
}

function flagError(fn: () => unknown): UserError {
  try {
    fn();
  } catch (e) {
    if (e instanceof UserError) return e;
    throw e;
  }
  throw new Error('no error');
}

async function stackError(yaml: string): Promise<string> {
  const project = await loadProject({ env: {}, reader: new MemoryReader({ '/p/stack.yaml': yaml }), cwd: '/p', files: ['/p/stack.yaml'], projectName: 'app' });
  try {
    stackServiceSpecs(project, 'app');
  } catch (e) {
    if (e instanceof UserError) return e.message;
    throw e;
  }
  return '';
}

describe('limits on a service spec', () => {
  it('accept an ordinary spec', () => {
    expect(serviceSpecProblems(base())).toEqual([]);
  });

  it('the same bound at the API, in the flags and in a stack: replicas', async () => {
    const s = base();
    s.mode = { type: 'replicated', replicas: 1e9 };
    expect(apiField(s)).toBe('spec.mode.replicas');
    const at = { ...s, mode: { type: 'replicated' as const, replicas: LIMITS.replicas } };
    expect(apiField(at)).toBeNull();

    const e = flagError(() => serviceSpecFromFlags({ ...none, replicas: '1000000000' }, 'busybox', []));
    expect(e.exitCode).toBe(2);
    expect(e.message).toBe('--replicas: 1000000000 is more than 10000 (mode.replicas)');
    expect(e.message.split('\n')).toHaveLength(1);
    expect(() => serviceSpecFromFlags({ ...none, replicas: String(LIMITS.replicas) }, 'busybox', [])).not.toThrow();
    expect(flagError(() => updatedSpec(base(), { replicas: '10001', envAdd: [], envRm: [] })).message).toMatch(/^--replicas: /);

    expect(await stackError('services:\n  web:\n    image: busybox\n    deploy:\n      replicas: 1000000000\n')).toBe('services.web.deploy.replicas: 1000000000 is more than 10000');
  });

  it('lists: env, labels, mounts, ports, networks, secrets, configs, constraints', async () => {
    const many = (n: number, f: (i: number) => string) => Array.from({ length: n }, (_, i) => f(i));
    const cases: Array<[string, (s: ServiceSpec) => void]> = [
      ['spec.task.container.env', (s) => void (s.task.container.env = many(LIMITS.envEntries + 1, (i) => `K${i}=v`))],
      ['spec.labels', (s) => void (s.labels = Object.fromEntries(many(LIMITS.labels + 1, (i) => `k${i}`).map((k) => [k, 'v'])))],
      ['spec.task.container.mounts', (s) => void (s.task.container.mounts = many(LIMITS.mounts + 1, (i) => `/m${i}`).map((t) => ({ type: 'tmpfs', source: '', target: t, readOnly: false })))],
      [
        'spec.endpoint.ports',
        (s) => void (s.endpoint.ports = many(LIMITS.ports + 1, (i) => String(i)).map((_, i) => ({ name: '', protocol: 'tcp', targetPort: (i % 60000) + 1, publishedPort: null, publishMode: 'ingress', snat: false }))),
      ],
      ['spec.task.networks', (s) => void (s.task.networks = many(LIMITS.networks + 1, (i) => `n${i}`).map((target) => ({ target, aliases: [] })))],
      ['spec.task.container.secrets', (s) => void (s.task.container.secrets = many(LIMITS.secrets + 1, (i) => `s${i}`).map((id) => ({ id, name: id, target: { name: id, uid: '0', gid: '0', mode: 0o444 } })))],
      ['spec.task.container.configs', (s) => void (s.task.container.configs = many(LIMITS.configs + 1, (i) => `c${i}`).map((id) => ({ id, name: id, target: { name: id, uid: '0', gid: '0', mode: 0o444 } })))],
      ['spec.task.placement.constraints', (s) => void (s.task.placement.constraints = many(LIMITS.constraints + 1, (i) => `node.labels.k${i}==v`))],
      ['spec.task.container.image', (s) => void (s.task.container.image = 'a'.repeat(LIMITS.imageChars + 1))],
      ['spec.labels.k', (s) => void (s.labels = { k: 'v'.repeat(LIMITS.labelValueChars + 1) })],
      ['spec.task.resources.limits.nanoCPUs', (s) => void (s.task.resources.limits.nanoCPUs = LIMITS.nanoCPUs + 1)],
      ['spec.task.resources.reservations.memoryBytes', (s) => void (s.task.resources.reservations.memoryBytes = LIMITS.memoryBytes + 1)],
      ['spec.task.container.stopGracePeriodMs', (s) => void (s.task.container.stopGracePeriodMs = LIMITS.durationMs + 1)],
      ['spec.update.delayMs', (s) => void (s.update = { parallelism: 1, delayMs: LIMITS.durationMs + 1, failureAction: 'pause', monitorMs: 0, maxFailureRatio: 0, order: 'stop-first' })],
      ['spec.task.container.healthcheck.intervalMs', (s) => void (s.task.container.healthcheck = { test: ['CMD', 'true'], intervalMs: LIMITS.durationMs + 1, timeoutMs: 1, retries: 1, startPeriodMs: 0 })],
    ];
    for (const [field, mutate] of cases) {
      const s = base();
      mutate(s);
      expect(apiField(s), field).toBe(field);
      // The store still takes it: bounds are the edges' (and the loops'), not the log's.
      expect(serviceSchema.safeParse({ ...mkService('s1'), spec: s }).success, field).toBe(true);
    }
    expect(flagError(() => serviceSpecFromFlags({ ...none, env: Array.from({ length: 1025 }, (_, i) => `K${i}=v`) }, 'busybox', [])).message).toMatch(/^--env: 1025 entries, at most 1024/);
    expect(flagError(() => serviceSpecFromFlags({ ...none, limitMemory: '100T' }, 'busybox', [])).message).toMatch(/^--limit-memory: /);
    expect(flagError(() => serviceSpecFromFlags({ ...none, updateDelay: '48h' }, 'busybox', [])).message).toMatch(/^--update-delay: /);
    expect(flagError(() => serviceSpecFromFlags({ ...none, healthCmd: 'true', healthInterval: '25h' }, 'busybox', [])).message).toMatch(/^--health-interval: /);
    expect(flagError(() => serviceSpecFromFlags({ ...none, limitCpu: '2000' }, 'busybox', [])).message).toMatch(/^--limit-cpu: /);
    const env = Array.from({ length: 1025 }, (_, i) => `      K${i}: v`).join('\n');
    expect(await stackError(`services:\n  api:\n    image: busybox\n    environment:\n${env}\n`)).toBe('services.api.environment: 1025 entries, at most 1024');
    expect(await stackError('services:\n  api:\n    image: busybox\n    stop_grace_period: 48h\n')).toMatch(/^services\.api\.stop_grace_period: /);
    expect(await stackError('services:\n  api:\n    image: busybox\n    deploy:\n      resources:\n        limits:\n          memory: 100T\n')).toMatch(/^services\.api\.deploy\.resources\.limits\.memory: /);
  });

  it('an update is bounded like a create', () => {
    const s = base();
    s.mode = { type: 'replicated', replicas: 20_000 };
    expect(() => parseBody(serviceUpdateSchema, { spec: s })).toThrow(/spec\.mode\.replicas/);
    expect(() => parseBody(serviceUpdateSchema, { rollback: true })).not.toThrow();
  });
});

describe('limits on other objects', () => {
  it('networks: labels and driver options', () => {
    const spec = { name: 'n', labels: {}, driver: 'overlay' as const, driverOptions: {}, ipam: { configs: [] }, internal: false, attachable: false, ingress: false };
    expect(networkSpecProblems(spec)).toEqual([]);
    const many = Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`o${i}`, 'v']));
    expect(() => parseBody(networkCreateSchema, { spec: { ...spec, driverOptions: many } })).toThrow(/spec\.driverOptions/);
    expect(() => parseBody(networkCreateSchema, { spec: { ...spec, labels: many } })).toThrow(/spec\.labels/);
  });

  it('secrets and configs: data size and labels', () => {
    const data = Buffer.alloc(LIMITS.fileDataBytes + 3).toString('base64');
    expect(() => parseBody(fileObjectCreateSchema, { name: 's', data })).toThrow(/field data/);
    const labels = Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, 'v']));
    expect(() => parseBody(fileObjectCreateSchema, { name: 's', data: 'YQ==', labels })).toThrow(/field labels/);
  });
});
