/**
 * The no-op memo's pure parts: what its key and digests are sensitive to, and what the planner
 * reads beyond the loader. The memo's use by the CLI against a real engine is in
 * test/integration/compose-noop-memo.test.ts.
 */
import { mkdtempSync, rmSync, writeFileSync, mkdirSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { combineEvidence, digestEvidence, evidenceDigest, memoKey, plannerEvidence, stateDigest, type Evidence } from '../../../src/engine/noop-memo.js';
import type { ObservedContainer, ObservedState } from '../../../src/engine/observed.js';
import { project, service } from '../../fixtures/engine/project.js';

const container = (name: string, over: Partial<ObservedContainer> = {}): ObservedContainer => ({
  id: `id-${name}`,
  name,
  service: name.split('-')[1] ?? name,
  number: 1,
  oneOff: false,
  configHash: 'h',
  imageId: 'sha256:img',
  status: 'running',
  labels: { 'com.docker.compose.project': 'app' },
  ...over,
});

const state = (containers: ObservedContainer[]): ObservedState => ({
  containers,
  networks: [{ id: 'n1', name: 'app_default', key: 'default' }],
  volumes: [{ name: 'app_data', key: 'data' }],
});

describe('memoKey', () => {
  const base = { build: 'b1', argv: ['up', '-d'], cwd: '/srv/app', env: { PATH: '/bin', TAG: '1' } };

  it('is the same for the same invocation, whatever the order of the environment', () => {
    expect(memoKey(base)).toBe(memoKey({ ...base, env: { TAG: '1', PATH: '/bin' } }));
  });

  it('changes with the build, each argument, the directory and any environment value', () => {
    const k = memoKey(base);
    expect(memoKey({ ...base, build: 'b2' })).not.toBe(k);
    expect(memoKey({ ...base, argv: ['up', '-d', '--scale', 'web=2'] })).not.toBe(k);
    expect(memoKey({ ...base, argv: ['-d', 'up'] })).not.toBe(k);
    expect(memoKey({ ...base, cwd: '/srv/other' })).not.toBe(k);
    expect(memoKey({ ...base, env: { ...base.env, TAG: '2' } })).not.toBe(k);
    expect(memoKey({ ...base, env: { ...base.env, NEW: '' } })).not.toBe(k);
  });

  it('does not tell an unset variable from an absent one, and keeps no value readable', () => {
    expect(memoKey({ ...base, env: { ...base.env, GONE: undefined } })).toBe(memoKey(base));
    expect(memoKey({ ...base, env: { ...base.env, PASSWORD: 'hunter2' } })).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('stateDigest', () => {
  const a = container('app-db-1');
  const b = container('app-web-1');

  it('does not depend on the order the engine listed things in', () => {
    expect(stateDigest(state([a, b]))).toBe(stateDigest(state([b, a])));
  });

  it('changes with anything the planner sees: status, health, config hash, id, labels, image, networks, volumes', () => {
    const d = stateDigest(state([a, b]));
    expect(stateDigest(state([a, { ...b, status: 'exited' }]))).not.toBe(d);
    expect(stateDigest(state([a, { ...b, health: 'unhealthy' }]))).not.toBe(d);
    expect(stateDigest(state([a, { ...b, configHash: 'h2' }]))).not.toBe(d);
    expect(stateDigest(state([a, { ...b, id: 'other' }]))).not.toBe(d);
    expect(stateDigest(state([a, { ...b, labels: { ...b.labels, x: '1' } }]))).not.toBe(d);
    expect(stateDigest(state([a, { ...b, imageId: 'sha256:new' }]))).not.toBe(d);
    expect(stateDigest(state([a]))).not.toBe(d);
    expect(stateDigest({ ...state([a, b]), networks: [] })).not.toBe(d);
    expect(stateDigest({ ...state([a, b]), volumes: [] })).not.toBe(d);
  });
});

describe('evidence', () => {
  let dir = '';
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('follows content, appearance and disappearance of every kind', async () => {
    dir = mkdtempSync(join(tmpdir(), 'noop-memo-'));
    const compose = join(dir, 'compose.yaml');
    const override = join(dir, 'compose.override.yaml');
    const bind = join(dir, 'data');
    const secretDir = join(dir, 'secrets');
    writeFileSync(compose, 'services: {}\n');
    mkdirSync(secretDir);
    writeFileSync(join(secretDir, 'a'), 'one');
    const items: Evidence[] = [
      { kind: 'file', path: compose },
      { kind: 'exists', path: override },
      { kind: 'path', path: bind },
      { kind: 'tree', path: secretDir },
    ];
    expect(await digestEvidence(items[1]!)).toBe('no');
    expect(await digestEvidence(items[2]!)).toBe('missing');
    const steps: Array<() => void> = [
      () => writeFileSync(compose, 'services: {a: {image: x}}\n'),
      () => writeFileSync(override, 'services: {}\n'),
      () => mkdirSync(bind),
      () => writeFileSync(join(secretDir, 'a'), 'two'),
      () => writeFileSync(join(secretDir, 'b'), 'new file in the tree'),
      () => unlinkSync(override),
    ];
    const seen = new Set([await evidenceDigest(items)]);
    for (const step of steps) {
      step();
      const d = await evidenceDigest(items);
      expect(seen.has(d)).toBe(false);
      seen.add(d);
    }
    expect(await evidenceDigest(items)).toBe(await evidenceDigest(items));
    // The digest a memo stores is made from what the plan saw, the same way as from the disk.
    const seenNow = await Promise.all(items.map(async (e) => ({ ...e, seen: await digestEvidence(e) })));
    expect(combineEvidence(seenNow)).toBe(await evidenceDigest(items));
    expect(combineEvidence(seenNow.map((e, i) => (i === 0 ? { ...e, seen: 'other' } : e)))).not.toBe(await evidenceDigest(items));
  });
});

describe('plannerEvidence', () => {
  it('lists bind sources that must exist and the files behind secrets and configs, with what the plan saw', () => {
    const p = project('app', [
      service('web', {
        volumes: [
          { type: 'bind', source: '/srv/must', target: '/a', bind: { create_host_path: false } },
          { type: 'bind', source: '/srv/created', target: '/b', bind: { create_host_path: true } },
          { type: 'volume', source: 'data', target: '/c' },
        ],
        secrets: [{ source: 'pw', target: '/run/secrets/pw' }],
        configs: [{ source: 'conf', target: '/etc/conf' }, { source: 'inline', target: '/etc/inline' }],
      }),
    ], {
      volumes: { data: { name: 'app_data' } },
      secrets: { pw: { name: 'pw', file: '/srv/pw.txt' } },
      configs: { conf: { name: 'conf', file: '/srv/conf.d' }, inline: { name: 'inline', content: 'x' } },
    });
    expect(plannerEvidence(p, ['web'], { 'secrets/pw': 'd1' })).toEqual([
      { kind: 'path', path: '/srv/must', seen: 'present' },
      { kind: 'tree', path: '/srv/pw.txt', seen: 'd1' },
      { kind: 'tree', path: '/srv/conf.d', seen: 'missing' },
    ]);
  });

  it('declines projects whose plan checks external networks or volumes on the engine', () => {
    const net = project('app', [service('web', { networks: { front: null } })], { networks: { front: { name: 'front', external: true } } });
    expect(plannerEvidence(net, ['web'])).toBeNull();
    const vol = project('app', [service('web', { volumes: [{ type: 'volume', source: 'd', target: '/d' }] })], { volumes: { d: { name: 'd', external: true } } });
    expect(plannerEvidence(vol, ['web'])).toBeNull();
    expect(plannerEvidence(vol, [])).toEqual([]);
  });
});
