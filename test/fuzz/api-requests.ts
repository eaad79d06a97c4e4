/**
 * A seeded generator of manager API requests (raw HTTP/1.1 bytes), for the fuzz lab test
 * (test/lab/swarm-fuzz.test.ts) and anyone poking a cluster by hand. Every route of specs/api.md
 * gets: random JSON, valid bodies with one field mutated (wrong type, huge, deep, negative,
 * out of bounds), deep nesting, huge and oversized bodies, truncated JSON, wrong methods, bad
 * headers (too many, too large, wrong content type), garbage paths and %-escapes.
 *
 * Pure: the same seed gives the same requests. What it must never do is take the cluster down by
 * a *valid* request (leave with force, demote, node rm, shorter certificate life), so node
 * references use ids no node can have and those routes only get invalid bodies; valid service
 * templates have 0 replicas, so nothing floods the engines.
 */

export interface FuzzRequest {
  /** What kind of mischief this is (for the histogram per kind). */
  kind: string;
  method: string;
  path: string;
  /** Header lines in order (names may repeat). */
  headers: Array<[string, string]>;
  body: Buffer;
  /** Send without a client certificate. */
  anonymous: boolean;
}

/** mulberry32: small, fast, good enough to pick mischief. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Rand = () => number;
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
const int = (r: Rand, lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));

/** An id no object can have (ids are `[A-Za-z0-9][A-Za-z0-9_.-]*`): node routes never hit a node. */
const NO_NODE = ['~fuzz', 'zz~', '%7Efuzz'];

interface RouteDef {
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  /** A valid body to mutate; null: only invalid bodies (a valid one could harm the cluster). */
  template: ((r: Rand, n: number) => unknown) | null;
}

const ref = (r: Rand): string => pick(r, ['a', '0', 'fz', 'nonexistent', 'x'.repeat(300), '%E0%A4%A', '..', '%2F%2F', 'fz-svc-1', 'ingress', encodeURIComponent('é'), '']);

function serviceSpec(r: Rand, n: number): Record<string, unknown> {
  return {
    name: `fz-${n}`,
    labels: {},
    mode: { type: 'replicated', replicas: 0 },
    task: {
      container: { image: 'tscompose-test/busybox:latest', command: [], args: ['sleep', '1'], env: [], workdir: '', user: '', hostname: '', labels: {}, mounts: [], healthcheck: null, secrets: [], configs: [], stopGracePeriodMs: 1000, init: false, dns: { nameservers: [], search: [], options: [] }, hosts: [], groups: [] },
      resources: { limits: { nanoCPUs: 0, memoryBytes: 0 }, reservations: { nanoCPUs: 0, memoryBytes: 0 } },
      restartPolicy: { condition: 'none', delayMs: 0, maxAttempts: 0, windowMs: 0 },
      placement: { constraints: [], preferences: [], maxReplicasPerNode: 0 },
      networks: [],
      forceUpdate: 0,
    },
    update: null,
    rollback: null,
    endpoint: { mode: pick(r, ['vip', 'dnsrr']), ports: [] },
    dependsOn: [],
  };
}

const ROUTES: RouteDef[] = [
  { method: 'GET', path: '/v1/ca', template: null },
  { method: 'POST', path: '/v1/join', template: () => ({ token: 'SWMTKN-1-xyz-abc', csr: 'not a csr', hostname: 'fz', advertiseAddr: '10.199.15.99' }) },
  { method: 'POST', path: '/v1/heartbeat', template: null },
  { method: 'POST', path: '/v1/certificate/renew', template: null },
  { method: 'POST', path: '/v1/leave', template: null },
  { method: 'GET', path: '/v1/info', template: null },
  { method: 'GET', path: '/v1/nodes', template: null },
  { method: 'GET', path: '/v1/nodes/:node', template: null },
  { method: 'POST', path: '/v1/nodes/:node/update', template: () => ({ availability: 'active', labelAdd: { a: 'b' } }) },
  { method: 'POST', path: '/v1/nodes/:node/promote', template: () => ({}) },
  { method: 'POST', path: '/v1/nodes/:node/demote', template: () => ({}) },
  { method: 'DELETE', path: '/v1/nodes/:node', template: null },
  { method: 'POST', path: '/v1/cluster/update', template: null },
  { method: 'POST', path: '/v1/dispatcher/assignments', template: () => ({ since: 0 }) },
  { method: 'POST', path: '/v1/dispatcher/status', template: () => ({ updates: [{ taskId: 'fz-no-task', state: 'running', message: '', err: null, exitCode: null, containerId: null, health: null }] }) },
  { method: 'POST', path: '/v1/dispatcher/network-state', template: null },
  { method: 'POST', path: '/v1/networks', template: (_r, n) => ({ spec: { name: `fz-net-${n}`, labels: {}, driver: 'overlay', driverOptions: {}, ipam: { configs: [] }, internal: false, attachable: false, ingress: false } }) },
  { method: 'GET', path: '/v1/networks', template: null },
  { method: 'GET', path: '/v1/networks/:ref', template: null },
  { method: 'DELETE', path: '/v1/networks/:ref', template: null },
  { method: 'POST', path: '/v1/networks/prune', template: () => ({}) },
  { method: 'POST', path: '/v1/secrets', template: (_r, n) => ({ name: `fz-secret-${n}`, labels: {}, data: 'c2VjcmV0' }) },
  { method: 'GET', path: '/v1/secrets', template: null },
  { method: 'GET', path: '/v1/secrets/:ref', template: null },
  { method: 'DELETE', path: '/v1/secrets/:ref', template: null },
  { method: 'POST', path: '/v1/configs', template: (_r, n) => ({ name: `fz-config-${n}`, labels: {}, data: 'Y29uZmln' }) },
  { method: 'GET', path: '/v1/configs', template: null },
  { method: 'GET', path: '/v1/configs/:ref', template: null },
  { method: 'DELETE', path: '/v1/configs/:ref', template: null },
  { method: 'POST', path: '/v1/services', template: (r, n) => ({ spec: serviceSpec(r, n), resolveImage: 'never' }) },
  { method: 'GET', path: '/v1/services', template: null },
  { method: 'GET', path: '/v1/services/:ref', template: null },
  { method: 'POST', path: '/v1/services/:ref/update', template: (r, n) => ({ spec: serviceSpec(r, n), resolveImage: 'never' }) },
  { method: 'DELETE', path: '/v1/services/:ref', template: null },
  { method: 'GET', path: '/v1/services/:ref/tasks', template: null },
  { method: 'GET', path: '/v1/join-tokens', template: null },
  { method: 'POST', path: '/v1/join-tokens/rotate', template: null },
];

/** Every route pattern the generator covers (the lab test checks all were hit). */
export const FUZZ_ROUTES: readonly string[] = ROUTES.map((r) => `${r.method} ${r.path}`);

function fillPath(r: Rand, path: string): string {
  return path.replace(':node', () => pick(r, NO_NODE)).replace(':ref', () => ref(r) || 'x');
}

function randomJson(r: Rand, depth: number): unknown {
  const t = depth <= 0 ? int(r, 0, 4) : int(r, 0, 7);
  switch (t) {
    case 0:
      return null;
    case 1:
      return pick(r, [0, -1, 1e9, 1e308, -0.5, 2 ** 53 + 1, 10_001, 1.5]);
    case 2:
      return pick(r, ['', 'x', 'a'.repeat(int(r, 64, 5000)), '\u0000', '%s%n', '../../etc/passwd', '🐳'.repeat(50), '{"a":1}']);
    case 3:
      return r() < 0.5;
    case 4:
      return 'SWMTKN-1-00-00';
    case 5:
      return Array.from({ length: int(r, 0, 8) }, () => randomJson(r, depth - 1));
    default: {
      const keys = ['spec', 'name', 'data', 'force', 'replicas', 'labels', 'token', 'csr', 'since', 'updates', 'role', '__proto__', 'constructor', 'availability', 'mode', 'task'];
      return Object.fromEntries(Array.from({ length: int(r, 0, 6) }, () => [pick(r, keys), randomJson(r, depth - 1)]));
    }
  }
}

function deep(n: number): string {
  return '['.repeat(n) + '1' + ']'.repeat(n);
}

/** Bad values for a field: wrong types, huge, deep, out of bounds. */
function badValue(r: Rand): unknown {
  return pick(r, [
    null,
    -1,
    1e9,
    1e20,
    0.5,
    'string',
    true,
    [],
    {},
    'x'.repeat(int(r, 1000, 200_000)),
    Array.from({ length: int(r, 1025, 5000) }, (_, i) => `K${i}=v`),
    Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`k${i}`, 'v'])),
    JSON.parse(deep(20)) as unknown,
    { type: 'replicated', replicas: 1e9 },
    { type: 'replicated', replicas: -5 },
    2 ** 60,
  ]);
}

/** Sets one random field (at any depth) of `v` to a bad value. */
function mutate(r: Rand, v: unknown): unknown {
  if (v === null || typeof v !== 'object' || r() < 0.25) return badValue(r);
  if (Array.isArray(v)) {
    if (v.length === 0) return [badValue(r)];
    const i = int(r, 0, v.length - 1);
    return v.map((x: unknown, j) => (j === i ? mutate(r, x) : x));
  }
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o);
  if (keys.length === 0 || r() < 0.1) return { ...o, [pick(r, ['extra', 'x-unknown', 'Spec'])]: badValue(r) };
  const k = pick(r, keys);
  return { ...o, [k]: mutate(r, o[k]) };
}

const json = (v: unknown): Buffer => Buffer.from(JSON.stringify(v));

/** The `n`-th request of the sequence for `seed` (each one is independent of the others). */
export function fuzzRequest(seed: number, n: number): FuzzRequest {
  const r = rng((seed * 2654435761) ^ (n * 40503));
  const route = pick(r, ROUTES);
  let method: string = route.method;
  let path = fillPath(r, route.path);
  let headers: Array<[string, string]> = [];
  let body: Buffer = Buffer.alloc(0);
  let contentType = 'application/json';
  const kind = pick(r, ['mutated', 'mutated', 'mutated', 'random', 'random', 'deep', 'huge', 'oversized', 'truncated', 'method', 'headers', 'content-type', 'path', 'anonymous', 'valid']);
  const template = route.template?.(r, n);
  switch (kind) {
    case 'valid':
      body = template === undefined ? Buffer.alloc(0) : json(template);
      break;
    case 'mutated':
      body = json(mutate(r, template ?? randomJson(r, 3)));
      break;
    case 'random':
      body = json(randomJson(r, int(r, 0, 5)));
      break;
    case 'deep':
      // Balanced, or left open (deep and truncated at once).
      body = Buffer.from(r() < 0.5 ? deep(int(r, 33, 100_000)) : `{"spec":${'{"a":'.repeat(int(r, 33, 5000))}1`);
      break;
    case 'huge':
      // Under the body limit but with a string no field takes.
      body = json({ ...((template) ?? {}), name: 'x'.repeat(int(r, 100_000, 900_000)) });
      break;
    case 'oversized':
      body = Buffer.alloc(int(r, 1024 * 1024 + 1, 3 * 1024 * 1024), 0x20);
      break;
    case 'truncated': {
      const full = json(template ?? randomJson(r, 4));
      body = full.subarray(0, Math.max(1, Math.floor(full.length * r())));
      break;
    }
    case 'method':
      method = pick(r, ['PUT', 'PATCH', 'OPTIONS', 'HEAD', 'TRACE', 'DELETE', 'GET', 'POST', 'FUZZ']);
      if (method === route.method) method = 'PATCH';
      body = template === undefined ? Buffer.alloc(0) : json(template);
      break;
    case 'headers': {
      const h = int(r, 0, 2);
      if (h === 0) headers = Array.from({ length: int(r, 65, 200) }, (_, i) => [`x-fuzz-${i}`, 'v'] as [string, string]);
      else if (h === 1) headers = [['x-fuzz', 'v'.repeat(int(r, 17 * 1024, 60 * 1024))]];
      else headers = [['x-tsswarm-on-behalf-of', pick(r, ['root:manager', 'x'.repeat(5000), ':', 'a:b:c'])]];
      body = template === undefined ? Buffer.alloc(0) : json(template);
      break;
    }
    case 'content-type':
      contentType = pick(r, ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/json; charset=latin1', 'image/png']);
      body = json(template ?? {});
      break;
    case 'path':
      path = pick(r, ['/', '/v1', '/v1/', '/v2/services', `/v1/services/${'a'.repeat(4000)}`, '/v1/services/%', '/v1/../v1/nodes', '//v1//nodes', '/v1/services?all=%%', '/v1/nodes/%E0%A4%A/update', '/v1/services/a/tasks?all=' + 'true'.repeat(100), '*']);
      break;
    case 'anonymous':
      body = template === undefined ? Buffer.alloc(0) : json(template);
      break;
  }
  const base: Array<[string, string]> = [
    ['host', 'swarm-manager'],
    ['connection', 'close'],
  ];
  if (body.length > 0) base.push(['content-type', contentType], ['content-length', String(body.length)]);
  return { kind, method, path, headers: [...base, ...headers], body, anonymous: kind === 'anonymous' };
}

/** The request's bytes on the wire. */
export function wireBytes(q: FuzzRequest): Buffer {
  const head = `${q.method} ${q.path} HTTP/1.1\r\n${q.headers.map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`;
  return Buffer.concat([Buffer.from(head, 'latin1'), q.body]);
}

/** Which route pattern a request was aimed at (for coverage). */
export function routeOf(seed: number, n: number): string {
  const r = rng((seed * 2654435761) ^ (n * 40503));
  const route = pick(r, ROUTES);
  return `${route.method} ${route.path}`;
}
