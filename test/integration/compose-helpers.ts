/**
 * Shared helpers for the compose integration tests: unique project names, polling with a deadline,
 * and cleanup of everything a test created (by label), run even when the test failed.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { DockerRuntime } from '../../src/runtime/index.js';

export const TEST_IMAGE = 'tscompose-test/busybox:latest';
export const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const runtime = new DockerRuntime();

/** A project name unique to this run: tests never share engine objects. */
export function uniqueProject(prefix: string): string {
  return `tst${prefix.replace(/[^a-z0-9]/g, '')}${randomBytes(3).toString('hex')}`;
}

/** Polls `probe` until it returns a value other than undefined/false, or fails at the deadline. */
export async function eventually<T>(probe: () => Promise<T | undefined | false>, what: string, timeoutMs = 20_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== false) return v;
    } catch (e) {
      last = e;
    }
    // eslint-disable-next-line @typescript-eslint/no-base-to-string -- `last` is whatever the probe threw: an Error prints its message
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Removes every container, network, volume and image carrying the project label. */
export async function cleanupProject(project: string): Promise<void> {
  const labels = { 'com.docker.compose.project': project };
  const containers = await runtime.listContainers({ all: true, labels });
  await Promise.all(containers.map((c) => runtime.removeContainer(c.id, { force: true, volumes: true }).catch(() => undefined)));
  const networks = await runtime.listNetworks({ labels });
  await Promise.all(networks.map((n) => runtime.removeNetwork(n.id).catch(() => undefined)));
  const volumes = await runtime.listVolumes({ labels });
  await Promise.all(volumes.map((v) => runtime.removeVolume(v.name, { force: true }).catch(() => undefined)));
  const images = await runtime.listImages({ labels });
  for (const i of images) await runtime.removeImage(i.id, { force: true }).catch(() => undefined);
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the tscompose CLI (from source, through tsx-free node loader: the esbuild bundle). */
export function cli(args: string[], opts: { cwd?: string; env?: Record<string, string>; timeoutMs?: number } = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      // `--` first: Node 20 would otherwise take our `--env-file FILE` as its own (bin/tscompose.mjs).
      ['--', join(REPO, 'dist', 'tscompose.mjs'), ...args],
      { cwd: opts.cwd ?? REPO, env: { ...process.env, ...opts.env }, timeout: opts.timeoutMs ?? 120_000, maxBuffer: 16 << 20 },
      (err, stdout, stderr) => {
        const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { execFileSync } from 'node:child_process';

/** A temporary project directory holding compose.yaml (and any extra files). */
export function projectDir(compose: string, files: Record<string, string> = {}): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'tscompose-it-'));
  writeFileSync(join(dir, 'compose.yaml'), compose);
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

let built = false;
/** Builds dist/ once per test file so `cli()` runs the current sources. */
export function ensureBuilt(): void {
  if (built) return;
  execFileSync(process.execPath, [join(REPO, 'scripts', 'build.mjs')], { cwd: REPO, stdio: 'inherit' });
  built = true;
}

/** A busybox command that exits at once on SIGTERM (busybox as PID 1 ignores it otherwise). */
export const SLEEPER = `["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]`;

import { afterAll, afterEach, beforeAll } from 'vitest';

/** A project made for one test by `testProjects()`: its name, directory and CLI runners. */
export interface TestProject {
  p: string;
  dir: string;
  /** `tscompose -p NAME --progress plain ARGS` in the project directory, with `env` added. */
  run: (args: string[], env?: Record<string, string>) => Promise<CliResult>;
}

/**
 * For test files that make a fresh project per test: registers the hooks (build once; after each
 * test remove what its projects created; at the end remove their directories) and returns `setup`.
 * `env` applies to every run of the project (e.g. TSCOMPOSE_STATE_DIR).
 */
export function testProjects(): (prefix: string, compose: string, files?: Record<string, string>, env?: (dir: string) => Record<string, string>) => TestProject {
  const dirs: Array<{ remove: () => void }> = [];
  const projects: string[] = [];
  beforeAll(() => ensureBuilt());
  afterEach(async () => {
    while (projects.length) await cleanupProject(projects.pop()!);
  });
  afterAll(() => dirs.forEach((d) => d.remove()));
  return (prefix, compose, files = {}, env) => {
    const p = uniqueProject(prefix);
    projects.push(p);
    const d = projectDir(compose, files);
    dirs.push(d);
    const base = env?.(d.dir) ?? {};
    return { p, dir: d.dir, run: (args, extra = {}) => cli(['-p', p, '--progress', 'plain', ...args], { cwd: d.dir, env: { ...base, ...extra } }) };
  };
}
