/**
 * tscompose against real registries (Debian's docker-registry, TLS + htpasswd, test/helpers):
 * a service image is built, pushed, removed locally and pulled back by `up --pull always`;
 * credentials come from a config.json the test writes (DOCKER_CONFIG) or from a fake
 * credential helper (`docker-credential-test`) through credsStore and credHelpers; each failure
 * (wrong password, no credentials, an untrusted CA, an unknown repository, a push of a missing
 * image) is one line naming service and image. The untrusted-CA registry runs in a namespace of
 * the test's own (10.199.250.0/30), since the engine does not verify certificates on loopback.
 */
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createVethNamespace, type VethNamespace } from '../helpers/netns.js';
import { startRegistry, type RunningRegistry } from '../helpers/registry.js';
import { SLEEPER, TEST_IMAGE, cleanupProject, cli, ensureBuilt, projectDir, runtime, uniqueProject, type CliResult } from './compose-helpers.js';

const USER = 'alice';
const PASSWORD = 'wonderland';
const NS = { name: 'tsreg-untrusted', hostIf: 'tsregut0', hostCidr: '10.199.250.1/30', nsCidr: '10.199.250.2/30' };

const p = uniqueProject('registry');
const work = mkdtempSync(join(tmpdir(), 'tscompose-registry-it-'));
let reg: RunningRegistry;
let untrusted: RunningRegistry;
let trusted: RunningRegistry;
let ns: VethNamespace | undefined;
let project: { dir: string; remove: () => void };
const images: string[] = [];

/** A port nothing listens on right now. */
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

/** A DOCKER_CONFIG directory holding `config`, with a bin/ for fake credential helpers. */
function dockerConfig(name: string, config: object, helpers: Record<string, string> = {}): Record<string, string> {
  const dir = join(work, name);
  mkdirSync(join(dir, 'bin'), { recursive: true });
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  for (const [helper, script] of Object.entries(helpers)) {
    const file = join(dir, 'bin', `docker-credential-${helper}`);
    writeFileSync(file, `#!/bin/sh\n# fake credential helper for tests\n${script}\n`);
    chmodSync(file, 0o755);
  }
  return { DOCKER_CONFIG: dir, PATH: `${join(dir, 'bin')}:${process.env.PATH ?? ''}` };
}
const basic = (user: string, password: string): string => Buffer.from(`${user}:${password}`).toString('base64');

const image = (name: string, host = reg.host): string => `${host}/tst/${p}-${name}:1`;
const tsc = (args: string[], env: Record<string, string>): Promise<CliResult> => cli(['-p', p, '--progress', 'plain', ...args], { cwd: project.dir, env, timeoutMs: 120_000 });
const errorLines = (r: CliResult): string[] => r.stderr.split('\n').filter((l) => l.startsWith('tscompose:'));

let good: Record<string, string>;

beforeAll(async () => {
  ensureBuilt();
  reg = await startRegistry({ address: '127.0.0.1', port: await freePort(), users: { [USER]: PASSWORD } });
  ns = createVethNamespace(NS);
  untrusted = await startRegistry({ address: ns.address, port: 5000, netns: ns.name, users: { [USER]: PASSWORD } });
  trusted = await startRegistry({ address: ns.address, port: 5001, netns: ns.name, users: { [USER]: PASSWORD }, trustForEngine: true });
  good = dockerConfig('good', { auths: { [reg.host]: { auth: basic(USER, PASSWORD) }, [trusted.host]: { auth: basic(USER, PASSWORD) }, [untrusted.host]: { auth: basic(USER, PASSWORD) } } });
  images.push(image('app'), image('ghost'), image('app', trusted.host));
  project = projectDir(`
services:
  app:
    image: ${image('app')}
    build:
      context: .
      dockerfile_inline: |
        FROM ${TEST_IMAGE}
        RUN echo ${p} > /id && dd if=/dev/urandom of=/blob bs=1k count=256 2>/dev/null
    command: ${SLEEPER}
  pulled:
    image: ${image('app')}
    profiles: [extra]
  ghost:
    image: ${image('ghost')}
    profiles: [extra]
  nothere:
    image: ${image('nothere')}
    profiles: [extra]
  remote:
    image: ${image('remote', untrusted.host)}
    profiles: [extra]
  mirror:
    image: ${image('app', trusted.host)}
    profiles: [extra]
`);
}, 120_000);

afterAll(async () => {
  // Every step runs even when an earlier one fails; the first failure is reported at the end.
  const failures: unknown[] = [];
  const step = async (fn: () => unknown): Promise<void> => {
    try {
      await fn();
    } catch (e) {
      failures.push(e);
    }
  };
  await step(() => cleanupProject(p));
  for (const i of images) await step(() => runtime.removeImage(i, { force: true }).catch(() => undefined));
  await step(() => Promise.all([reg, untrusted, trusted].map((r) => r?.stop())));
  await step(() => ns?.remove());
  await step(() => project?.remove());
  await step(() => rmSync(work, { recursive: true, force: true }));
  if (failures.length) throw failures[0];
}, 60_000);

describe('tscompose and a registry with TLS and htpasswd', () => {
  it('build, then push with credentials from config.json: a row per layer, the image on the registry', async () => {
    expect((await tsc(['build', 'app'], good)).code).toBe(0);
    const r = await tsc(['push', 'app'], good);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(` Image ${image('app')}  Pushing`);
    expect(r.stderr).toMatch(/^ [0-9a-f]{12} {2}Preparing$/m);
    expect(r.stderr).toMatch(/^ [0-9a-f]{12} {2}Pushed$/m);
    expect(r.stderr).toContain(` Image ${image('app')}  Pushed`);
    const digest = await runtime.resolveDigest(image('app'), { serveraddress: reg.host, username: USER, password: PASSWORD });
    expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
  }, 120_000);

  it('removed locally, `up -d --pull always` pulls it back layer by layer and runs it', async () => {
    await runtime.removeImage(image('app'), { force: true });
    const r = await tsc(['up', '-d', '--pull', 'always', 'app'], good);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(` Image ${image('app')}  Pulling`);
    expect(r.stderr).toMatch(/^ [0-9a-f]{12} {2}Pull complete$/m);
    expect(r.stderr).toContain(` Image ${image('app')}  Pulled`);
    expect(r.stderr).not.toContain('Building');
    expect((await runtime.inspectContainer(`${p}-app-1`)).status).toBe('running');
  }, 120_000);

  it('`pull -q` prints nothing', async () => {
    await runtime.removeImage(image('app'), { force: true }).catch(() => undefined);
    const r = await tsc(['pull', '-q', 'app'], good);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('');
    expect((await runtime.inspectImage(image('app'))).id).toMatch(/^sha256:/);
  }, 60_000);

  it('`run --pull always` and `up --pull missing` pull with the same credentials', async () => {
    await runtime.removeImage(image('app'), { force: true }).catch(() => undefined);
    const run = await tsc(['--profile', 'extra', 'run', '--rm', '-T', '--pull', 'always', 'pulled', 'cat', '/id'], good);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout.trim()).toBe(p);
    expect(run.stderr).toContain(` Image ${image('app')}  Pulled`);
    await runtime.removeImage(image('app'), { force: true });
    const up = await tsc(['--profile', 'extra', 'up', '-d', '--pull', 'missing', 'pulled'], good);
    expect(up.code, up.stderr).toBe(0);
    expect(up.stderr).toContain(` Image ${image('app')}  Pulled`);
  }, 60_000);

  it('credentials from a credential helper: credsStore, and credHelpers for the registry', async () => {
    const helper = `read -r addr; echo "$1 $addr" >> "$DOCKER_CONFIG/calls"; if [ "$addr" = "${reg.host}" ]; then echo '{"ServerURL":"${reg.host}","Username":"${USER}","Secret":"${PASSWORD}"}'; else echo "credentials not found in native keychain"; exit 1; fi`;
    for (const [name, config] of [['store', { credsStore: 'test' }], ['per-host', { credsStore: 'not-installed', credHelpers: { [reg.host]: 'test' } }]] as const) {
      const env = dockerConfig(name, config, { test: helper });
      await runtime.removeImage(image('app'), { force: true }).catch(() => undefined);
      const r = await tsc(['pull', 'app'], env);
      expect(r.code, `${name}: ${r.stderr}`).toBe(0);
      expect(readFileSync(join(env.DOCKER_CONFIG!, 'calls'), 'utf8')).toBe(`get ${reg.host}\n`);
    }
  }, 60_000);

  it('a wrong password, or none at all: one line, access denied for the image, naming the registry', async () => {
    const wrong = dockerConfig('wrong', { auths: { [reg.host]: { auth: basic(USER, 'not-it') } } });
    const denied = `tscompose: service pulled: pull access denied for ${reg.host}/tst/${p}-app: the registry ${reg.host} refused the credentials`;
    // `pulled` has no build: (a buildable service's failed pull only warns).
    for (const env of [wrong, dockerConfig('none', {})]) {
      const r = await tsc(['--profile', 'extra', 'pull', 'pulled'], env);
      expect(r.code).toBe(1);
      expect(errorLines(r)).toEqual([denied]);
      expect(r.stderr).toContain(`hint: log in with \`docker login ${reg.host}\``);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
    const push = await tsc(['push', 'app'], wrong);
    expect(push.code).toBe(1);
    expect(errorLines(push)).toEqual([`tscompose: service app: push access denied for ${reg.host}/tst/${p}-app: the registry ${reg.host} refused the credentials`]);
  }, 60_000);

  it('a registry whose CA the engine does not trust: one line naming it, hint certs.d', async () => {
    const r = await tsc(['--profile', 'extra', 'pull', 'remote'], good);
    expect(r.code).toBe(1);
    expect(errorLines(r)).toEqual([`tscompose: service remote: cannot pull ${image('remote', untrusted.host)}: registry ${untrusted.host} presents a certificate this engine does not trust`]);
    expect(r.stderr).toContain(`hint: put the CA certificate that signed it in /etc/docker/certs.d/${untrusted.host}/ca.crt`);
  }, 60_000);

  it('the same CA in certs.d (trustForEngine): push and pull work on a namespace address', async () => {
    await runtime.tagImage(image('app'), `${trusted.host}/tst/${p}-app`, '1');
    const push = await tsc(['--profile', 'extra', 'push', 'mirror'], good);
    expect(push.code, push.stderr).toBe(0);
    await runtime.removeImage(image('app', trusted.host));
    const pull = await tsc(['--profile', 'extra', 'pull', 'mirror'], good);
    expect(pull.code, pull.stderr).toBe(0);
  }, 60_000);

  it('an unknown repository: the image does not exist on the registry', async () => {
    const r = await tsc(['--profile', 'extra', 'pull', 'nothere'], good);
    expect(r.code).toBe(1);
    expect(errorLines(r)).toEqual([`tscompose: service nothere: ${image('nothere')} does not exist on ${reg.host}`]);
  }, 60_000);

  it('push --ignore-push-failures pushes the others and warns; without it, one line per failure', async () => {
    const ignored = await tsc(['--profile', 'extra', 'push', '--ignore-push-failures', 'app', 'ghost'], good);
    expect(ignored.code, ignored.stderr).toBe(0);
    expect(ignored.stderr).toContain(` Image ${image('app')}  Pushed`);
    expect(ignored.stderr).toContain(` Image ${image('ghost')}  Error (cannot push ${image('ghost')}: no local image has that name)`);
    const failed = await tsc(['--profile', 'extra', 'push', 'app', 'ghost'], good);
    expect(failed.code).toBe(1);
    expect(errorLines(failed)).toEqual([`tscompose: service ghost: cannot push ${image('ghost')}: no local image has that name`]);
    expect(failed.stderr).toContain(` Image ${image('app')}  Pushed`);
  }, 60_000);

  it('build --push builds and pushes in one go', async () => {
    const r = await tsc(['build', '--push', 'app'], good);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(` Image ${image('app')}  Built`);
    expect(r.stderr).toContain(` Image ${image('app')}  Pushed`);
  }, 120_000);
});
