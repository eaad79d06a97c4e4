/**
 * Pulls that depend on age and on flags, against a real registry (Debian's docker-registry on
 * loopback, no users): a service built FROM a base image on the registry keeps the base it has
 * until `build --pull` asks for the newer one pushed under the same tag; `pull_policy:
 * every_<duration>` pulls again only once the local image is older than that.
 */
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startRegistry, type RunningRegistry } from '../helpers/registry.js';
import { TEST_IMAGE, cleanupProject, cli, ensureBuilt, projectDir, uniqueProject } from './compose-helpers.js';

const p = uniqueProject('buildpull');
let reg: RunningRegistry | undefined;
let project: { dir: string; remove: () => void } | undefined;
let base = '';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

const docker = (args: string[], input?: string): string => execFileSync('docker', args, { encoding: 'utf8', ...(input === undefined ? {} : { input }), stdio: ['pipe', 'pipe', 'pipe'] });

/** Pushes `base` with /base holding `v`, then removes every local copy but the one the engine caches by id. */
function pushBase(v: string): void {
  docker(['build', '-q', '-t', base, '-'], `FROM ${TEST_IMAGE}\nRUN echo ${v} > /base\n`);
  docker(['push', base]);
}

const built = (): string => docker(['run', '--rm', `${p}-app`, 'cat', '/base']).trim();

beforeAll(async () => {
  ensureBuilt();
  reg = await startRegistry({ address: '127.0.0.1', port: await freePort() });
  base = `${reg.host}/tst/${p}-base:1`;
  project = projectDir(`
services:
  app:
    image: ${p}-app
    build:
      context: .
      dockerfile_inline: |
        FROM ${base}
        RUN true
`);
}, 60_000);

afterAll(async () => {
  // Every version pushed and pulled here (the older ones are left untagged by the newer).
  if (reg) {
    const ids = docker(['images', '-q', '--filter', `reference=${reg.host}/tst/*`]).split('\n').filter(Boolean);
    if (ids.length) {
      try {
        docker(['rmi', '-f', ...new Set(ids)]);
      } catch {
        // one still used by a container cleanupProject removes below; the next run's filter finds it
      }
    }
  }
  await cleanupProject(p).catch(() => undefined);
  await cleanupProject(`${p}r`).catch(() => undefined);
  try {
    docker(['rmi', '-f', `${p}-app`, base]);
  } catch {
    // already gone
  }
  project?.remove();
  await reg?.stop();
});

it('build keeps the base it has; build --pull takes the one the tag now points at', async () => {
  pushBase('one');
  const first = await cli(['-p', p, 'build'], { cwd: project!.dir, timeoutMs: 120_000 });
  expect(first.code, first.stderr).toBe(0);
  expect(built()).toBe('one');
  // The registry's tag moves on; the engine keeps its copy of the old base under the tag.
  docker(['tag', base, `${base}-old`]);
  pushBase('two');
  docker(['tag', `${base}-old`, base]);
  docker(['rmi', `${base}-old`]);
  const cached = await cli(['-p', p, 'build'], { cwd: project!.dir, timeoutMs: 120_000 });
  expect(cached.code, cached.stderr).toBe(0);
  expect(built()).toBe('one');
  const pulled = await cli(['-p', p, 'build', '--pull'], { cwd: project!.dir, timeoutMs: 120_000 });
  expect(pulled.code, pulled.stderr).toBe(0);
  expect(built()).toBe('two');
}, 180_000);

it('pull_policy every_<duration>: a local image younger than that is used, an older one is pulled again', async () => {
  const app = `${reg!.host}/tst/${p}-every:1`;
  const push = (v: string): void => {
    docker(['build', '-q', '-t', app, '-'], `FROM ${TEST_IMAGE}\nRUN echo ${v} > /v\n`);
    docker(['push', app]);
  };
  push('one');
  docker(['rmi', app]);
  docker(['pull', '-q', app]);
  push('two');
  docker(['rmi', app]);
  docker(['pull', '-q', app]);
  // Local: two, tagged now. The registry gets three; the local copy keeps its tag time.
  docker(['tag', app, `${app}-keep`]);
  push('three');
  docker(['tag', `${app}-keep`, app]);
  docker(['rmi', `${app}-keep`]);
  const content = (): string => docker(['run', '--rm', app, 'cat', '/v']).trim();
  const compose = (policy: string): { dir: string; remove: () => void } => projectDir(`services:\n  app:\n    image: ${app}\n    pull_policy: ${policy}\n    init: true\n    command: ["sleep", "3600"]\n`);
  const fresh = compose('every_1h');
  try {
    const r = await cli(['-p', `${p}r`, 'up', '-d'], { cwd: fresh.dir, timeoutMs: 120_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(content()).toBe('two');
  } finally {
    fresh.remove();
  }
  await new Promise((r) => setTimeout(r, 1500));
  const old = compose('every_1s');
  try {
    // --quiet-pull: the image's Pulling/Pulled lines, none of its layers'.
    const r = await cli(['-p', `${p}r`, '--progress', 'plain', 'up', '-d', '--quiet-pull'], { cwd: old.dir, timeoutMs: 120_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(content()).toBe('three');
    expect(r.stderr).toMatch(new RegExp(`Image ${app.replace(/[.]/g, '\\.')}\\s+Pulled`));
    expect(r.stderr).not.toMatch(/Pull complete|Already exists|Download complete|Downloading|Extracting|Verifying/);
    const bad = projectDir(`services:\n  app:\n    image: ${app}\n    pull_policy: every_soon\n`);
    try {
      const b = await cli(['-p', `${p}r`, 'up', '-d'], { cwd: bad.dir, timeoutMs: 60_000 });
      expect(b.code).not.toBe(0);
      expect(b.stderr).toContain('pull_policy "every_soon": expected every_ followed by a duration');
    } finally {
      bad.remove();
    }
  } finally {
    old.remove();
    await cleanupProject(`${p}r`).catch(() => undefined);
    docker(['rmi', '-f', app]);
  }
}, 180_000);
