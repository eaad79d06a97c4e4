/**
 * The examples run end to end offline and answer over HTTP (ports 8080-8082 on the host).
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { REPO, cleanupProject, cli, ensureBuilt, eventually, uniqueProject } from './compose-helpers.js';

const projects: string[] = [];
beforeAll(() => ensureBuilt());
afterEach(async () => {
  while (projects.length) await cleanupProject(projects.pop()!);
});

function example(dir: string) {
  const p = uniqueProject(dir);
  projects.push(p);
  return (...a: string[]) => cli(['-p', p, '--progress', 'plain', '-f', join(REPO, 'examples', dir, 'compose.yaml'), ...a]);
}

async function get(port: number): Promise<string> {
  const r = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(3000) });
  return r.text();
}

describe('examples', () => {
  it('web-lb: three web containers behind the proxy all answer', async () => {
    const run = example('web-lb');
    const up = await run('up', '-d', '--scale', 'web=3');
    expect(up.code, up.stderr).toBe(0);
    const seen = new Set<string>();
    await eventually(async () => {
      seen.add((await get(8080)).trim());
      return seen.size === 3;
    }, 'answers from three web containers', 30_000, 20);
    expect([...seen].every((s) => /^hello from [0-9a-f]{12}$/.test(s))).toBe(true);
    expect((await run('down')).code).toBe(0);
  });

  it('app-db: the app starts after the db is healthy and the migration ran', async () => {
    const run = example('app-db');
    const up = await run('up', '-d');
    expect(up.code, up.stderr).toBe(0);
    expect(await eventually(async () => (await get(8081)).trim(), 'app answer')).toBe('app up; db says: db-ok');
    expect((await run('down', '-v')).code).toBe(0);
  });

  it('build-web: an image built from a Dockerfile serves its page', async () => {
    const run = example('build-web');
    const up = await run('up', '-d', '--build');
    expect(up.code, up.stderr).toBe(0);
    expect(await eventually(async () => (await get(8082)).trim(), 'site answer')).toBe('<h1>Hello from an image tscompose built</h1>');
    expect((await run('down', '--rmi', 'local')).code).toBe(0);
  });
});
