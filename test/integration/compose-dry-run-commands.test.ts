/**
 * The global --dry-run on every command that changes something (src/runtime/dry-run-runtime.ts),
 * on the real engine: each prints its usual lines prefixed `DRY-RUN MODE - `, and the engine's
 * containers, networks, volumes and images, and the local files, are as they were.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SLEEPER, TEST_IMAGE, runtime, testProjects } from './compose-helpers.js';

const setup = testProjects();
const FILE = `services:
  web:
    image: ${TEST_IMAGE}
    command: ${SLEEPER}
    volumes: [data:/data]
  app:
    build: .
    image: tscompose-dry-run-never-built:1
    profiles: [build]
volumes:
  data: {}
`;

describe('--dry-run on every command', () => {
  it('stop, restart, kill, pause, rm, run -d, exec, cp, scale, create, commit, build, pull, down: said, not done', { timeout: 120_000 }, async () => {
    const { p, dir, run } = setup('dryc', FILE, { Dockerfile: `FROM ${TEST_IMAGE}\nRUN echo built\n` });
    expect((await run(['up', '-d'])).code).toBe(0);
    const state = async (): Promise<unknown> => {
      const containers = await runtime.listContainers({ all: true, labels: { 'com.docker.compose.project': p } });
      const inspected = await Promise.all(containers.map((c) => runtime.inspectContainer(c.id)));
      return {
        containers: inspected.map((c) => `${c.name} ${c.id} ${c.status} ${c.startedAt ?? ''} ${c.paused}`).sort(),
        networks: (await runtime.listNetworks({ labels: { 'com.docker.compose.project': p } })).map((n) => n.id).sort(),
        volumes: (await runtime.listVolumes({ labels: { 'com.docker.compose.project': p } })).map((v) => v.name).sort(),
        images: (await runtime.listImages()).map((i) => i.id).sort(),
      };
    };
    const before = await state();
    const said = async (args: string[], line: RegExp): Promise<void> => {
      const r = await run(args);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
      expect(r.stderr, args.join(' ')).toMatch(line);
      expect(await state(), args.join(' ')).toEqual(before);
    };
    const web1 = `Container ${p}-web-1`;
    // The flag goes before the command (global, as in Compose) or after it.
    await said(['--dry-run', 'stop'], new RegExp(`DRY-RUN MODE - ${web1}\\s+Stopped`));
    await said(['restart', '--dry-run'], new RegExp(`DRY-RUN MODE - ${web1}\\s+Started`));
    await said(['kill', '--dry-run'], new RegExp(`DRY-RUN MODE - ${web1}\\s+Killed`));
    await said(['pause', '--dry-run'], new RegExp(`DRY-RUN MODE - ${web1}\\s+Paused`));
    await said(['rm', '-s', '-f', '--dry-run'], new RegExp(`DRY-RUN MODE - ${web1}\\s+Removed`));
    await said(['scale', '--dry-run', 'web=2'], new RegExp(`DRY-RUN MODE - Container ${p}-web-2\\s+Started`));
    await said(['create', '--dry-run', '--force-recreate'], new RegExp(`DRY-RUN MODE - ${web1}\\s+Recreated`));
    await said(['commit', '--dry-run', 'web', `tscompose-dry-run-commit-${p}:1`], new RegExp(`DRY-RUN MODE - ${web1}\\s+Committed`));
    await said(['cp', '--dry-run', 'compose.yaml', 'web:/data/copied'], new RegExp(`DRY-RUN MODE - ${web1}\\s+Copied`));
    await said(['cp', '--dry-run', 'web:/etc/hostname', './hostname-copy'], new RegExp(`DRY-RUN MODE - ${web1}\\s+Copied`));
    expect(existsSync(join(dir, 'hostname-copy'))).toBe(false);
    await said(['--profile', 'build', 'build', '--dry-run', 'app'], /DRY-RUN MODE - Image tscompose-dry-run-never-built:1\s+Built/);
    await said(['pull', '--dry-run', 'web'], /DRY-RUN MODE - web\s+Pulled/);
    await said(['down', '-v', '--dry-run'], new RegExp(`DRY-RUN MODE - Volume ${p}_data\\s+Removed`));

    // exec and run -d print what they always print, and nothing happens in the container.
    const exec = await run(['exec', '--dry-run', 'web', 'touch', '/data/touched']);
    expect(exec.code, exec.stderr).toBe(0);
    const runD = await run(['run', '--dry-run', '-d', 'web', 'touch', '/data/ran']);
    expect(runD.code, runD.stderr).toBe(0);
    expect(await state()).toEqual(before);
    const ls = await run(['exec', '-T', 'web', 'ls', '/data']);
    expect(ls.stdout.trim()).toBe('');

    // An attached run needs the container's output, which a dry run cannot have: refused, said why.
    const attached = await run(['run', '--dry-run', '--rm', 'web', 'echo', 'hi']);
    expect(attached.code).toBe(1);
    expect(attached.stderr).toMatch(/^tscompose: interactive run is not supported in dry-run mode\nhint: /);
    // A mistake is still a mistake: the path is read from the engine.
    const missing = await run(['cp', '--dry-run', 'web:/nope', '.']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/no such file or directory in .*web-1: \/nope/);
    expect(await state()).toEqual(before);
  });
});
