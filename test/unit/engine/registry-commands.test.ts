/**
 * pull and push over a fake runtime: credentials asked per image, layer lines under the image,
 * failures as one line per image through describeRegistryError, --ignore-*-failures, -q,
 * --include-deps, --policy, skipped services. The engine's stream lines are ones observed from a
 * Docker 20.10 engine against docker-registry 2.8.
 */
import { describe, expect, it } from 'vitest';
import type { Project } from '../../../src/compose/types.js';
import { layerEvent } from '../../../src/engine/layer-progress.js';
import { pullCommand } from '../../../src/engine/ops/pull.js';
import { pushCommand } from '../../../src/engine/ops/push.js';
import type { ProgressEvent } from '../../../src/engine/progress.js';
import type { RegistryAuth } from '../../../src/registry/credentials.js';
import { RuntimeError } from '../../../src/runtime/errors.js';
import type { ContainerRuntime } from '../../../src/runtime/runtime.js';
import type { ImageProgress } from '../../../src/runtime/types.js';
import { UserError } from '../../../src/util/errors.js';

const R = '127.0.0.1:5901';
const PULL_STREAM: ImageProgress[] = [
  { status: 'Pulling from exp/layered', id: '1' },
  { status: 'Already exists', progressDetail: {}, id: '195471e3408e' },
  { status: 'Pulling fs layer', progressDetail: {}, id: '82df129d2b13' },
  { status: 'Downloading', progressDetail: { current: 1_200_000, total: 3_400_000 }, progress: '[=>   ]', id: '82df129d2b13' },
  { status: 'Verifying Checksum', progressDetail: {}, id: '82df129d2b13' },
  { status: 'Download complete', progressDetail: {}, id: '82df129d2b13' },
  { status: 'Extracting', progressDetail: { current: 3_400_000, total: 3_400_000 }, id: '82df129d2b13' },
  { status: 'Pull complete', progressDetail: {}, id: '82df129d2b13' },
  { status: 'Digest: sha256:0669ca2ea01ead5c2e0c4497dfe65d70fb37bcac5453f99889f894ba2e176c7c' },
  { status: `Status: Downloaded newer image for ${R}/exp/layered:1` },
];
const PUSH_STREAM: ImageProgress[] = [
  { status: `The push refers to repository [${R}/exp/layered]` },
  { status: 'Preparing', progressDetail: {}, id: 'eb726055ed90' },
  { status: 'Preparing', progressDetail: {}, id: '8a53c04a2a7a' },
  { status: 'Pushing', progressDetail: { current: 2_129_920, total: 1_984_230 }, id: 'eb726055ed90' },
  { status: 'Mounted from exp/box', progressDetail: {}, id: '8a53c04a2a7a' },
  { status: 'Pushed', progressDetail: {}, id: 'eb726055ed90' },
  { status: 'Layer already exists', progressDetail: {}, id: 'aaaabbbbcccc' },
  { status: '1: digest: sha256:0669ca2ea01ead5c2e0c4497dfe65d70fb37bcac5453f99889f894ba2e176c7c size: 739' },
  { progressDetail: {}, aux: { Tag: '1', Digest: 'sha256:0669ca2ea01ead5c2e0c4497dfe65d70fb37bcac5453f99889f894ba2e176c7c', Size: 739 } },
];

describe('layerEvent', () => {
  it('turns pull lines into layer rows under the image; Compose v2 words, bytes as done/total', () => {
    const events = PULL_STREAM.map((p) => layerEvent('Image x', p)).filter(Boolean);
    expect(events).toEqual([
      { resource: '195471e3408e', parent: 'Image x', text: 'Already exists', status: 'done' },
      { resource: '82df129d2b13', parent: 'Image x', text: 'Pulling fs layer', status: 'working' },
      { resource: '82df129d2b13', parent: 'Image x', text: 'Downloading', status: 'working', detail: '1.2MB/3.4MB' },
      { resource: '82df129d2b13', parent: 'Image x', text: 'Verifying Checksum', status: 'working' },
      { resource: '82df129d2b13', parent: 'Image x', text: 'Download complete', status: 'working' },
      { resource: '82df129d2b13', parent: 'Image x', text: 'Extracting', status: 'working', detail: '3.4MB/3.4MB' },
      { resource: '82df129d2b13', parent: 'Image x', text: 'Pull complete', status: 'done' },
    ]);
  });

  it('push lines: Preparing, Pushing (bytes alone when past the announced total), Pushed, Layer already exists, Mounted', () => {
    const events = PUSH_STREAM.map((p) => layerEvent('Image x', p)).filter(Boolean);
    expect(events.map((e) => [e!.resource, e!.text, e!.status, e!.detail])).toEqual([
      ['eb726055ed90', 'Preparing', 'working', undefined],
      ['8a53c04a2a7a', 'Preparing', 'working', undefined],
      ['eb726055ed90', 'Pushing', 'working', '2.13MB'],
      ['8a53c04a2a7a', 'Mounted from exp/box', 'done', undefined],
      ['eb726055ed90', 'Pushed', 'done', undefined],
      ['aaaabbbbcccc', 'Layer already exists', 'done', undefined],
    ]);
  });
});

type Call = { op: 'pull' | 'push'; ref: string; auth: RegistryAuth | undefined };

/** A runtime whose pull/push replay the observed streams, or fail with `fail[ref]` as the engine does. */
function fakeRuntime(opts: { fail?: Record<string, RuntimeError>; present?: string[] } = {}): { runtime: ContainerRuntime; calls: Call[] } {
  const calls: Call[] = [];
  const act = (op: Call['op'], stream: ImageProgress[]) => async (ref: string, on?: (p: ImageProgress) => void, auth?: RegistryAuth): Promise<void> => {
    calls.push({ op, ref, auth });
    const f = opts.fail?.[ref];
    if (f) throw f;
    for (const p of stream) on?.(p);
  };
  const runtime = {
    pullImage: act('pull', PULL_STREAM),
    pushImage: act('push', PUSH_STREAM),
    inspectImage: async (ref: string) => {
      if (opts.present?.includes(ref)) return { id: 'sha256:1', repoTags: [ref], labels: {}, created: 0, size: 1 };
      throw new RuntimeError('not-found', `inspect image ${ref}: No such image: ${ref}`);
    },
  } as unknown as ContainerRuntime;
  return { runtime, calls };
}

const engineFailure = (what: string, msg: string): RuntimeError => new RuntimeError('failed', `${what}: ${msg}`, { engineMessage: msg });

function project(services: Record<string, object>): Project {
  const full = Object.fromEntries(Object.entries(services).map(([name, s]) => [name, { name, depends_on: {}, ...s }]));
  return { name: 'demo', services: full, disabledServices: {} } as unknown as Project;
}

const P = project({
  api: { image: `${R}/team/api:1`, build: { context: '.', tags: [`${R}/team/api:latest`] }, depends_on: { db: {} } },
  db: { image: `${R}/team/db:1` },
  local: { build: { context: '.' } },
});

const authFor = (seen: string[]) => async (image: string): Promise<RegistryAuth | undefined> => {
  seen.push(image);
  return { serveraddress: R, username: 'alice', password: 'pw' };
};

async function failure(p: Promise<unknown>): Promise<UserError> {
  const e = await p.then(() => undefined, (x: unknown) => x);
  expect(e).toBeInstanceOf(UserError);
  return e as UserError;
}

describe('push', () => {
  it('pushes every service with image: (and its build tags) with that image\'s credentials; layers under the image', async () => {
    const { runtime, calls } = fakeRuntime();
    const seen: string[] = [];
    const events: ProgressEvent[] = [];
    const out = await pushCommand(runtime, { name: 'demo', project: P }, { services: [], auth: authFor(seen) }, (e) => events.push(e));
    expect(calls.map((c) => c.ref).sort()).toEqual([`${R}/team/api:1`, `${R}/team/api:latest`, `${R}/team/db:1`]);
    expect(calls.every((c) => c.auth?.username === 'alice')).toBe(true);
    expect(seen.sort()).toEqual(calls.map((c) => c.ref).sort());
    expect(out.find((o) => o.service === 'local')?.result).toBe('skipped');
    expect(events).toContainEqual({ resource: 'local', text: 'Skipped', status: 'done', detail: 'no image: to push to' });
    expect(events).toContainEqual({ resource: `Image ${R}/team/db:1`, text: 'Pushed', status: 'done' });
    expect(events).toContainEqual({ resource: 'eb726055ed90', parent: `Image ${R}/team/db:1`, text: 'Pushed', status: 'done' });
  });

  it('-q sends no layer lines; a named service pushes only itself unless --include-deps', async () => {
    const { runtime, calls } = fakeRuntime();
    const events: ProgressEvent[] = [];
    await pushCommand(runtime, { name: 'demo', project: P }, { services: ['api'], quiet: true, auth: authFor([]) }, (e) => events.push(e));
    expect(events.filter((e) => e.parent)).toEqual([]);
    expect(calls.map((c) => c.ref).sort()).toEqual([`${R}/team/api:1`, `${R}/team/api:latest`]);
    calls.length = 0;
    await pushCommand(runtime, { name: 'demo', project: P }, { services: ['api'], includeDeps: true, auth: authFor([]) }, () => undefined);
    expect(calls.map((c) => c.ref)).toContain(`${R}/team/db:1`);
  });

  it('failures: one line per image naming service and image, after every push has run; --ignore-push-failures warns and goes on', async () => {
    const fail = {
      [`${R}/team/api:1`]: engineFailure(`push image ${R}/team/api:1`, 'unauthorized: authentication required'),
      [`${R}/team/db:1`]: engineFailure(`push image ${R}/team/db:1`, `Get "https://${R}/v2/": dial tcp ${R}: connect: connection refused`),
    };
    const { runtime, calls } = fakeRuntime({ fail });
    const e = await failure(pushCommand(runtime, { name: 'demo', project: P }, { services: [], auth: authFor([]) }, () => undefined));
    expect(e.message.split('\n')).toEqual([
      `service api: push access denied for ${R}/team/api: the registry ${R} refused the credentials`,
      `service db: cannot push ${R}/team/db:1: registry ${R} is unreachable (connection refused)`,
    ]);
    expect(e.hint).toContain(`docker login ${R}`);
    expect(e.hint).toContain('--ignore-push-failures');
    expect(calls).toHaveLength(3);
    const events: ProgressEvent[] = [];
    const out = await pushCommand(runtime, { name: 'demo', project: P }, { services: [], ignoreFailures: true, auth: authFor([]) }, (ev) => events.push(ev));
    expect(out.filter((o) => o.result === 'pushed').map((o) => o.image)).toEqual([`${R}/team/api:latest`]);
    expect(events).toContainEqual({ resource: `Image ${R}/team/db:1`, text: 'Error', status: 'warning', detail: `cannot push ${R}/team/db:1: registry ${R} is unreachable (connection refused)` });
  });

  it('a bad config.json (the credential lookup failing) is reported as itself, naming the service', async () => {
    const { runtime } = fakeRuntime();
    const broken = async (): Promise<undefined> => {
      throw new UserError('/tmp/x/config.json: not valid JSON (Unexpected end of JSON input)', { hint: 'fix it' });
    };
    const e = await failure(pushCommand(runtime, { name: 'demo', project: P }, { services: ['db'], auth: broken }, () => undefined));
    expect(e.message).toBe('service db: /tmp/x/config.json: not valid JSON (Unexpected end of JSON input)');
  });
});

describe('pull', () => {
  it('pulls with each image\'s credentials, layer lines under the service; -q none; --policy missing skips present images', async () => {
    const { runtime, calls } = fakeRuntime({ present: [`${R}/team/db:1`] });
    const events: ProgressEvent[] = [];
    await pullCommand(runtime, { name: 'demo', project: P }, { services: ['db'], auth: authFor([]) }, (e) => events.push(e));
    expect(calls).toEqual([{ op: 'pull', ref: `${R}/team/db:1`, auth: { serveraddress: R, username: 'alice', password: 'pw' } }]);
    expect(events).toContainEqual({ resource: '82df129d2b13', parent: 'db', text: 'Pull complete', status: 'done' });
    const quiet: ProgressEvent[] = [];
    await pullCommand(runtime, { name: 'demo', project: P }, { services: ['db'], quiet: true, auth: authFor([]) }, (e) => quiet.push(e));
    expect(quiet.filter((e) => e.parent)).toEqual([]);
    calls.length = 0;
    const out = await pullCommand(runtime, { name: 'demo', project: P }, { services: ['db'], policy: 'missing', auth: authFor([]) }, () => undefined);
    expect(out[0]!.result).toBe('present');
    expect(calls).toEqual([]);
  });

  it('--include-deps adds what the named services depend on', async () => {
    const { runtime, calls } = fakeRuntime();
    await pullCommand(runtime, { name: 'demo', project: P }, { services: ['api'], auth: authFor([]) }, () => undefined);
    expect(calls.map((c) => c.ref)).toEqual([`${R}/team/api:1`]);
    calls.length = 0;
    await pullCommand(runtime, { name: 'demo', project: P }, { services: ['api'], includeDeps: true, auth: authFor([]) }, () => undefined);
    expect(calls.map((c) => c.ref).sort()).toEqual([`${R}/team/api:1`, `${R}/team/db:1`]);
  });

  it('a failure is one line through describeRegistryError; a buildable service only warns; --ignore-pull-failures exits cleanly', async () => {
    const fail = {
      [`${R}/team/db:1`]: engineFailure(`pull image ${R}/team/db:1`, `manifest for ${R}/team/db:1 not found: manifest unknown: manifest unknown`),
      [`${R}/team/api:1`]: engineFailure(`pull image ${R}/team/api:1`, `Get "https://${R}/v2/": x509: certificate signed by unknown authority`),
    };
    const { runtime } = fakeRuntime({ fail });
    const e = await failure(pullCommand(runtime, { name: 'demo', project: P }, { services: [], auth: authFor([]) }, () => undefined));
    expect(e.message).toBe(`service db: ${R}/team/db:1 does not exist on ${R}`);
    expect(e.hint).toContain('--ignore-pull-failures');
    const events: ProgressEvent[] = [];
    const out = await pullCommand(runtime, { name: 'demo', project: P }, { services: [], ignoreFailures: true, auth: authFor([]) }, (ev) => events.push(ev));
    expect(out.filter((o) => o.result === 'failed').map((o) => o.service)).toEqual(['api', 'db']);
    expect(events).toContainEqual({ resource: 'api', text: 'Error', status: 'warning', detail: `cannot pull ${R}/team/api:1: registry ${R} presents a certificate this engine does not trust` });
  });
});

describe('up/run --pull (ensureImages)', () => {
  it('always: pulls with credentials; a failure names the service and says a local image exists; a buildable service falls back', async () => {
    const { ensureImages } = await import('../../../src/engine/images.js');
    const db = `${R}/team/db:1`;
    const ok = fakeRuntime({ present: [db] });
    const seen: string[] = [];
    const events: ProgressEvent[] = [];
    await ensureImages(ok.runtime, P, ['db'], { pull: 'always', auth: authFor(seen), progress: (e) => events.push(e) });
    expect(ok.calls.map((c) => [c.op, c.ref, c.auth?.username])).toEqual([['pull', db, 'alice']]);
    expect(events).toContainEqual({ resource: '82df129d2b13', parent: `Image ${db}`, text: 'Pull complete', status: 'done' });

    const denied = fakeRuntime({ present: [db, `${R}/team/api:1`], fail: { [db]: engineFailure(`pull image ${db}`, 'unauthorized: authentication required'), [`${R}/team/api:1`]: engineFailure('pull', 'unauthorized: authentication required') } });
    const e = await failure(ensureImages(denied.runtime, P, ['db'], { pull: 'always', auth: authFor([]) }));
    expect(e.message).toBe(`service db: pull access denied for ${R}/team/db: the registry ${R} refused the credentials (--pull always pulls even a local image)`);
    expect(e.hint).toContain('--pull missing');
    // api has build: its failed pull is a warning, and the local image is used.
    const warned: ProgressEvent[] = [];
    const r = await ensureImages(denied.runtime, P, ['api'], { pull: 'always', auth: authFor([]), progress: (ev) => warned.push(ev) });
    expect(r.ids.api).toBe('sha256:1');
    expect(warned.find((ev) => ev.status === 'warning')?.detail).toContain('(using the local image)');
  });
});
