/**
 * What `up` recreates when something outside the service definition changes: the content of a
 * secret or config (file, environment value, inline content), and the definition of a network.
 * Asserted on container and network ids from the engine.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SLEEPER, TEST_IMAGE, cleanupProject, cli, ensureBuilt, projectDir, runtime, uniqueProject } from './compose-helpers.js';

const dirs: Array<{ remove: () => void }> = [];
const projects: string[] = [];
beforeAll(() => ensureBuilt());
afterEach(async () => {
  while (projects.length) await cleanupProject(projects.pop()!);
});
afterAll(() => dirs.forEach((d) => d.remove()));

function setup(prefix: string, compose: string, files: Record<string, string> = {}) {
  const p = uniqueProject(prefix);
  projects.push(p);
  const d = projectDir(compose, files);
  dirs.push(d);
  const run = (args: string[], env: Record<string, string> = {}) =>
    cli(['-p', p, '--progress', 'plain', ...args], { cwd: d.dir, env: { TSCOMPOSE_STATE_DIR: join(d.dir, 'state'), ...env } });
  const ids = async (): Promise<Record<string, string>> => {
    const list = await runtime.listContainers({ all: true, labels: { 'com.docker.compose.project': p } });
    return Object.fromEntries(list.map((c) => [c.labels['com.docker.compose.service']!, c.id]));
  };
  return { p, dir: d.dir, run, ids };
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
