/** `tscompose config` as a whole process (the bundled CLI, built on demand). */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';

/** Temporary directories of one test, removed after it. */
const made: string[] = [];
afterEach(() => {
  while (made.length) rmSync(made.pop()!, { recursive: true, force: true });
});
const tempDir = (): string => {
  const d = mkdtempSync(path.join(tmpdir(), 'tscompose-'));
  made.push(d);
  return d;
};

const repo = path.resolve(import.meta.dirname, '../../..');
const demo = path.join(repo, 'examples/config-demo');
const run = (args: string[], opts: { cwd?: string; input?: string; env?: Record<string, string> } = {}) =>
  spawnSync(process.execPath, [path.join(repo, 'bin/tscompose.mjs'), ...args], {
    cwd: opts.cwd ?? demo,
    input: opts.input ?? '',
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', HOME: '/home/user', ...(opts.env ?? {}) },
  });

beforeAll(() => {
  execFileSync(process.execPath, ['scripts/ensure-built.mjs'], { cwd: repo, stdio: 'ignore' });
}, 120_000);

describe('tscompose config', () => {
  it('prints the canonical model as YAML, project name first, absolute paths', () => {
    const r = run(['config']);
    expect(r.status).toBe(0);
    expect(r.stdout.startsWith('name: config-demo\nservices:\n')).toBe(true);
    expect(r.stdout).toContain(`source: ${demo}/site`);
    expect(r.stdout).toContain('image: nginx:1.27');
    expect(r.stdout).toContain('start_period: 1m30s');
  });

  it('prints JSON with --format json', () => {
    const r = run(['config', '--format', 'json']);
    const doc = JSON.parse(r.stdout) as { name: string; services: Record<string, { ports?: unknown[] }> };
    expect(doc.name).toBe('config-demo');
    expect(doc.services.web!.ports).toHaveLength(2);
  });

  it('lists services, volumes, networks, profiles and images', () => {
    expect(run(['config', '--services']).stdout).toBe('api\nweb\n');
    expect(run(['--profile', 'debug', 'config', '--services']).stdout).toBe('api\ndebug\nweb\n');
    expect(run(['config', '--volumes']).stdout).toBe('cache\n');
    expect(run(['config', '--networks']).stdout).toBe('default\n');
    expect(run(['config', '--profiles']).stdout).toBe('debug\n');
    expect(run(['config', '--images']).stdout).toBe('config-demo-api\nnginx:1.27\n');
    expect(run(['config', '--services', 'web']).stdout).toBe('api\nweb\n');
  });

  it('validates only with -q, keeps variables with --no-interpolate, writes -o FILE', () => {
    const q = run(['config', '-q']);
    expect(q.status).toBe(0);
    expect(q.stdout).toBe('');
    expect(run(['config', '--no-interpolate']).stdout).toContain('image: nginx:${NGINX_TAG:-1.25}');
    const out = path.join(tempDir(), 'out.yaml');
    expect(run(['config', '-o', out]).status).toBe(0);
    expect(readFileSync(out, 'utf8')).toMatch(/^name: config-demo/);
  });

  it('reads stdin with -f - and honours -p', () => {
    const r = run(['-f', '-', '-p', 'piped', 'config'], { input: 'services:\n  a:\n    image: busybox\n', cwd: tmpdir() });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^name: piped\n/);
  });

  it('prints file:line:col: path: message and a hint, exits 1, no stack trace', () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'compose.yaml'), 'services:\n  web:\n    imgae: nginx\n    ports: ["x"]\n');
    const r = run(['config'], { cwd: dir });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`${dir}/compose.yaml:3:5: services.web.imgae: unknown key "imgae"`);
    expect(r.stderr).toContain('hint: did you mean "image"?');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('names the variable, file and line of a missing required variable', () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'compose.yaml'), 'services:\n  web:\n    image: ${IMAGE:?set IMAGE}\n');
    const r = run(['config'], { cwd: dir });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`${dir}/compose.yaml:3:5: services.web.image: required variable IMAGE is missing a value: set IMAGE`);
  });

  it('--variables lists what the files refer to with defaults; --environment what interpolation saw; --hash what up labels', () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'compose.yaml'), 'services:\n  web:\n    image: ${IMAGE:-nginx}:${TAG?need a tag}\n    environment: {MODE: "${MODE:+on}", PRICE: "5 $$ each"}\n  db:\n    image: db\n');
    const vars = run(['config', '--variables'], { cwd: dir, env: { TAG: '1' } });
    expect(vars.status, vars.stderr).toBe(0);
    expect(vars.stdout.split('\n').map((l) => l.trim().split(/\s+/))).toEqual([['NAME', 'REQUIRED', 'DEFAULT', 'VALUE', 'ALTERNATE', 'VALUE'], ['IMAGE', 'false', 'nginx'], ['TAG', 'true'], ['MODE', 'false', 'on'], ['']]);
    const json = JSON.parse(run(['config', '--variables', '--format', 'json'], { cwd: dir, env: { TAG: '1' } }).stdout) as Record<string, { Required: boolean; DefaultValue: string }>;
    expect(json.IMAGE).toEqual({ Name: 'IMAGE', DefaultValue: 'nginx', PresenceValue: '', Required: false });
    const env = run(['config', '--environment'], { cwd: dir, env: { TAG: '1' } }).stdout.split('\n');
    expect(env).toContain('TAG=1');
    expect(env).toContain('COMPOSE_PROJECT_NAME=' + path.basename(dir).toLowerCase().replace(/[^a-z0-9_-]/g, ''));
    const hash = run(['config', '--hash', '*'], { cwd: dir, env: { TAG: '1' } });
    expect(hash.status, hash.stderr).toBe(0);
    expect(hash.stdout).toMatch(/^db [0-9a-f]{64}\nweb [0-9a-f]{64}\n$/);
    expect(run(['config', '--hash', 'web'], { cwd: dir, env: { TAG: '1' } }).stdout).toBe(hash.stdout.split('\n')[1] + '\n');
    const bad = run(['config', '--hash', 'ghost'], { cwd: dir, env: { TAG: '1' } });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('--hash: no such service: ghost');
  });
});
