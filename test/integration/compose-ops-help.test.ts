/**
 * Every day-2 command's --help carries Compose v2's flags, and an engine that cannot be reached is
 * one line naming the endpoint (exit 1), never a stack trace.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO } from './compose-helpers.js';
import { TEST_IMAGE, ensureBuilt, opsProject, runtime } from './helpers/ops-project.js';
import { spawnSync } from 'node:child_process';

const dir = mkdtempSync(join(tmpdir(), 'opshelp-'));
const run = (args: string[], env: Record<string, string> = {}) => spawnSync(process.execPath, [join(REPO, 'bin', 'tscompose.mjs'), ...args], { cwd: dir, env: { ...process.env, ...env }, encoding: 'utf8', input: '' });

beforeAll(() => {
  ensureBuilt();
  writeFileSync(join(dir, 'compose.yaml'), `services:\n  web:\n    image: ${TEST_IMAGE}\n`);
});

const down = opsProject('opswait', `
services:
  quick:
    image: ${TEST_IMAGE}
    command: ["sh", "-c", "sleep 1; exit 2"]
  long:
    image: ${TEST_IMAGE}
    init: true
    command: ["sleep", "1000"]
`);

afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await down.cleanup();
});

/** Compose v2's visible flags per command (cmd/compose/<command>.go). */
const FLAGS: Record<string, string[]> = {
  logs: ['-f, --follow', '--index', '--since', '--until', '--no-color', '--no-log-prefix', '-t, --timestamps', '-n, --tail'],
  exec: ['-d, --detach', '-e, --env', '--index', '--privileged', '-u, --user', '-T, --no-tty', '-w, --workdir'],
  run: ['-d, --detach', '-e, --env', '--env-from-file', '-l, --label', '--rm', '-T, --no-tty', '--name', '-u, --user', '-w, --workdir', '--entrypoint', '--cap-add', '--cap-drop', '--no-deps', '-v, --volume', '-p, --publish', '--use-aliases', '-P, --service-ports', '--pull', '-q, --quiet', '--quiet-pull', '--build', '--remove-orphans', '-i, --interactive'],
  start: ['--wait', '--wait-timeout'],
  stop: ['-t, --timeout'],
  restart: ['-t, --timeout', '--no-deps'],
  kill: ['-s, --signal'],
  pause: [],
  unpause: [],
  rm: ['-f, --force', '-s, --stop', '-v, --volumes'],
  top: [],
  port: ['--protocol', '--index'],
  images: ['--format', '-q, --quiet'],
  events: ['--json', '--since', '--until'],
  ls: ['-a, --all', '--format', '-q, --quiet', '--filter'],
  wait: ['--down-project'],
  cp: ['--index', '--all', '-a, --archive', '-L, --follow-link'],
  pull: ['-q, --quiet', '--include-deps', '--ignore-pull-failures', '--ignore-buildable', '--policy'],
  push: ['--ignore-push-failures', '--include-deps', '-q, --quiet'],
};

describe('day-2 command help', () => {
  for (const [cmd, flags] of Object.entries(FLAGS)) {
    it(`${cmd} --help lists Compose's flags`, () => {
      const r = run([cmd, '--help']);
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^Usage: tscompose ${cmd} `));
      for (const f of flags) expect(r.stdout, f).toContain(f);
    });
  }
});

describe('engine unreachable', () => {
  it.each([['logs'], ['stop'], ['ls'], ['exec', 'web', 'true'], ['cp', 'web:/x', '.']])('%s: one line naming the endpoint', (...args) => {
    const r = run(args, { DOCKER_HOST: 'unix:///nonexistent/docker.sock' });
    expect(r.status).toBe(1);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^tscompose: .*unix:\/\/\/nonexistent\/docker\.sock/);
    expect(lines.every((l) => l.startsWith('tscompose:') || l.startsWith('hint:'))).toBe(true);
  });
});

describe('wait --down-project', () => {
  it('returns the first exit code and removes the project containers', async () => {
    const up = await down.cli(['up', '-d']);
    expect(up.code, up.stderr).toBe(0);
    const r = await down.cli(['wait', '--down-project', 'quick', 'long'], { timeoutMs: 30_000 });
    expect(r.code).toBe(2);
    expect(r.stdout.split('\n')[0]).toBe('2');
    expect(await runtime.listContainers({ all: true, labels: { 'com.docker.compose.project': down.name } })).toEqual([]);
  });
});

describe('kill --remove-orphans', () => {
  it('kills the services and removes containers of services no longer in the file', async () => {
    const up = await down.cli(['up', '-d', 'long']);
    expect(up.code, up.stderr).toBe(0);
    const ghost = await runtime.createContainer({
      name: `${down.name}-ghost-1`,
      image: TEST_IMAGE,
      cmd: ['sleep', '1000'],
      labels: { 'com.docker.compose.project': down.name, 'com.docker.compose.service': 'ghost', 'com.docker.compose.oneoff': 'False', 'com.docker.compose.container-number': '1' },
    });
    await runtime.startContainer(ghost);
    const r = await down.cli(['kill', '--remove-orphans']);
    expect(r.code, r.stderr).toBe(0);
    await expect(runtime.inspectContainer(ghost)).rejects.toThrow();
    expect((await runtime.inspectContainer(`${down.name}-long-1`)).exitCode).toBe(137);
  });
});
