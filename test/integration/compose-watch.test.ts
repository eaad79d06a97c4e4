/**
 * `tscompose watch` on the real engine: the CLI runs in the background on a project with a sync
 * service (edit, add in a new directory, delete, an ignored file, sync+exec), a sync+restart
 * service and a rebuild service; each change is looked for in the containers with a bounded
 * poll; the old image is pruned after the rebuild. The edit -> visible latency is printed, never asserted. Ctrl-C ends it with exit 0.
 * Bad rules and flags are refused before anything starts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO, SLEEPER, TEST_IMAGE, cleanupProject, ensureBuilt, eventually, projectDir, runtime, testProjects, uniqueProject } from './compose-helpers.js';

const noStack = (s: string) => expect(s).not.toMatch(/\n\s+at .+:\d+:\d+/);

const COMPOSE = [
  'services:',
  '  web:',
  `    image: ${TEST_IMAGE}`,
  `    command: ${SLEEPER}`,
  '    scale: 2',
  '    develop:',
  '      watch:',
  '        - path: ./src',
  '          action: sync',
  '          target: /srv/app',
  '          ignore: ["*.tmp", "cache/"]',
  '        - path: ./hooks',
  '          action: sync+exec',
  '          target: /hooks',
  '          exec:',
  '            command: ["sh", "-c", "cat /hooks/* > /tmp/exec-ran"]',
  '        - {path: ./seed, action: sync, target: /seed, initial_sync: true}',
  '  conf:',
  `    image: ${TEST_IMAGE}`,
  `    command: ${SLEEPER}`,
  '    develop:',
  '      watch:',
  '        - {path: ./conf, action: sync+restart, target: /etc/conf}',
  '  built:',
  '    build: ./built',
  `    command: ${SLEEPER}`,
  '    develop:',
  '      watch:',
  '        - {path: ./built/Dockerfile, action: rebuild}',
  '',
].join('\n');

const cat = async (container: string, file: string): Promise<string | undefined> => {
  const r = await runtime.exec(container, { cmd: ['cat', file] });
  return r.exitCode === 0 ? r.stdout : undefined;
};

describe('tscompose watch', () => {
  const p = uniqueProject('watch');
  const { dir, remove } = projectDir(COMPOSE);
  let child: ChildProcess | undefined;
  let stdout = '';
  let stderr = '';
  let exited: Promise<number | null> | undefined;

  beforeAll(async () => {
    ensureBuilt();
    mkdirSync(join(dir, 'src'));
    mkdirSync(join(dir, 'hooks'));
    mkdirSync(join(dir, 'conf'));
    mkdirSync(join(dir, 'built'));
    mkdirSync(join(dir, 'seed'));
    writeFileSync(join(dir, 'seed', 's.txt'), 'seeded\n');
    writeFileSync(join(dir, 'src', 'index.txt'), 'v1\n');
    writeFileSync(join(dir, 'conf', 'app.ini'), 'a=1\n');
    writeFileSync(join(dir, 'built', 'Dockerfile'), `FROM ${TEST_IMAGE}\nRUN echo one > /version\n`);
    child = spawn(process.execPath, ['--', join(REPO, 'dist', 'tscompose.mjs'), '-p', p, '--progress', 'plain', 'watch'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    exited = new Promise((resolve) => child!.on('exit', (code) => resolve(code)));
    await eventually(async () => stdout.includes('Watch enabled') || (child!.exitCode !== null ? Promise.reject(new Error(stderr)) : false), 'Watch enabled', 90_000);
  }, 120_000);

  afterAll(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    await cleanupProject(p);
    remove();
  }, 60_000);

  it('brings the services up first, the watched build built; initial_sync copies its path before watching', async () => {
    expect((await runtime.inspectContainer(`${p}-web-1`)).running).toBe(true);
    expect(await cat(`${p}-built-1`, '/version')).toBe('one\n');
    expect(await cat(`${p}-web-1`, '/seed/s.txt')).toBe('seeded\n');
    expect(await cat(`${p}-web-2`, '/seed/s.txt')).toBe('seeded\n');
    // Rules without initial_sync copy nothing before a change.
    expect(await cat(`${p}-web-1`, '/srv/app/index.txt')).toBeUndefined();
  });

  it('an edited file is visible in the container (latency printed, not asserted)', async () => {
    const t0 = Date.now();
    writeFileSync(join(dir, 'src', 'index.txt'), 'v2\n');
    await eventually(async () => (await cat(`${p}-web-1`, '/srv/app/index.txt')) === 'v2\n', 'the edit in the container', 15_000, 10);
    console.log(`[watch] edit -> visible in the container: ${Date.now() - t0} ms`);
    // Every replica gets it.
    await eventually(async () => (await cat(`${p}-web-2`, '/srv/app/index.txt')) === 'v2\n', 'the edit in the second replica', 5_000, 10);
    expect(stdout).toContain('Syncing service "web" after 1 changes were detected');
  });

  it('a file added in a new directory is synced; an ignored one is not', async () => {
    writeFileSync(join(dir, 'src', 'skip.tmp'), 'no\n');
    mkdirSync(join(dir, 'src', 'cache'));
    writeFileSync(join(dir, 'src', 'cache', 'c.txt'), 'no\n');
    mkdirSync(join(dir, 'src', 'sub'));
    writeFileSync(join(dir, 'src', 'sub', 'new.txt'), 'new\n');
    await eventually(async () => (await cat(`${p}-web-1`, '/srv/app/sub/new.txt')) === 'new\n', 'the new file in the container', 15_000, 20);
    // Written before the new file, so handled in the same batch or an earlier one.
    expect(await cat(`${p}-web-1`, '/srv/app/skip.tmp')).toBeUndefined();
    expect(await cat(`${p}-web-1`, '/srv/app/cache/c.txt')).toBeUndefined();
  });

  it('a deleted file is deleted in the container', async () => {
    rmSync(join(dir, 'src', 'sub', 'new.txt'));
    await eventually(async () => (await cat(`${p}-web-1`, '/srv/app/sub/new.txt')) === undefined, 'the file gone from the container', 15_000, 20);
    expect(await cat(`${p}-web-1`, '/srv/app/index.txt')).toBe('v2\n');
  });

  it('sync+exec runs the command after the files are in place', async () => {
    writeFileSync(join(dir, 'hooks', 'h.sh'), 'hooked\n');
    await eventually(async () => (await cat(`${p}-web-1`, '/tmp/exec-ran')) === 'hooked\n', 'the exec command to have run on the synced file', 15_000, 20);
  });

  it('sync+restart syncs, then restarts the container', async () => {
    const before = (await runtime.inspectContainer(`${p}-conf-1`)).startedAt;
    writeFileSync(join(dir, 'conf', 'app.ini'), 'a=2\n');
    await eventually(async () => (await runtime.inspectContainer(`${p}-conf-1`)).startedAt !== before, 'a new StartedAt', 30_000, 50);
    await eventually(async () => (await cat(`${p}-conf-1`, '/etc/conf/app.ini')) === 'a=2\n', 'the synced file after the restart', 15_000, 50);
    await eventually(async () => stdout.includes('service(s) ["conf"] restarted'), 'the restart message', 5_000);
  });

  it('a Dockerfile change rebuilds the image and recreates the container', async () => {
    const before = await runtime.inspectContainer(`${p}-built-1`);
    writeFileSync(join(dir, 'built', 'Dockerfile'), `FROM ${TEST_IMAGE}\nRUN echo two > /version\n`);
    const after = await eventually(async () => {
      const c = await runtime.inspectContainer(`${p}-built-1`).catch(() => undefined);
      return c && c.id !== before.id && c.running ? c : undefined;
    }, 'a recreated container', 90_000, 200);
    expect(after.imageId).not.toBe(before.imageId);
    expect(await cat(`${p}-built-1`, '/version')).toBe('two\n');
    expect(stdout).toContain('Rebuilding service(s) ["built"] after changes were detected...');
    expect(stdout).toContain('service(s) ["built"] successfully built');
    // --prune (the default): the image the rebuild left untagged is removed.
    await eventually(async () => runtime.inspectImage(before.imageId).then(() => false, () => true), 'the old image pruned', 15_000, 100);
  }, 120_000);

  it('Ctrl-C ends watching with exit 0 and no stack trace, the services left running', async () => {
    child!.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(stdout).toContain('Watch disabled');
    noStack(stderr);
    expect((await runtime.inspectContainer(`${p}-web-1`)).running).toBe(true);
  });
});

describe('tscompose up --watch', () => {
  const p = uniqueProject('upwatch');
  const { dir, remove } = projectDir(['services:', '  web:', `    image: ${TEST_IMAGE}`, `    command: ${SLEEPER}`, '    develop:', '      watch:', '        - {path: ./src, action: sync, target: /srv}', ''].join('\n'));
  afterAll(async () => {
    await cleanupProject(p);
    remove();
  }, 60_000);

  it('attached: logs and watching together; Ctrl-C stops watching and the containers (exit 130)', async () => {
    ensureBuilt();
    mkdirSync(join(dir, 'src'));
    const child = spawn(process.execPath, ['--', join(REPO, 'dist', 'tscompose.mjs'), '-p', p, '--progress', 'plain', 'up', '--watch'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await eventually(async () => stdout.includes('⦿ Watch enabled') || (child.exitCode !== null ? Promise.reject(new Error(stderr)) : false), 'Watch enabled', 60_000);
      writeFileSync(join(dir, 'src', 'x.txt'), 'up-watch\n');
      await eventually(async () => (await cat(`${p}-web-1`, '/srv/x.txt')) === 'up-watch\n', 'the file in the container', 15_000, 20);
      expect(stdout).toContain('⦿ Syncing service "web" after 1 changes were detected');
      child.kill('SIGINT');
      expect(await exited).toBe(130);
      noStack(stderr);
      expect((await runtime.inspectContainer(`${p}-web-1`)).running).toBe(false);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 90_000);
});

describe('tscompose watch refusals', () => {
  const setup = testProjects();

  it('a service without develop, rebuild without build, up -d --watch: one line each, exit 1, nothing started', async () => {
    const { p, run } = setup('watchbad', [
      'services:',
      '  plain:',
      `    image: ${TEST_IMAGE}`,
      '  nobuild:',
      `    image: ${TEST_IMAGE}`,
      '    develop:',
      '      watch:',
      '        - {path: ./src, action: sync, target: /app}',
      '        - {path: ./Dockerfile, action: rebuild}',
      '',
    ].join('\n'));
    const none = await run(['watch', 'plain']);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain("none of the selected services is configured for watch, consider setting a 'develop' section");
    noStack(none.stderr);
    const rebuild = await run(['watch', 'nobuild']);
    expect(rebuild.code).toBe(1);
    expect(rebuild.stderr).toContain('services.nobuild.develop.watch[1]: action rebuild needs a build section');
    noStack(rebuild.stderr);
    const detached = await run(['up', '-d', '--watch', 'plain']);
    expect(detached.code).toBe(1);
    expect(detached.stderr).toContain('--detach cannot be combined with --watch');
    expect(await runtime.listContainers({ all: true, labels: { 'com.docker.compose.project': p } })).toEqual([]);
  });
});
