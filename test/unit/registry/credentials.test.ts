/**
 * Credentials looked up as the Docker CLI does: config.json's auths (every key spelling the CLI
 * matches), credsStore and credHelpers run through a fake helper script (`docker-credential-test`,
 * written to a temp dir put first on PATH), and the failures that are a UserError.
 */
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dockerConfigPath, loadRegistryAuth, MAX_CONFIG_BYTES } from '../../../src/registry/credentials.js';
import { UserError } from '../../../src/util/errors.js';

const root = mkdtempSync(join(tmpdir(), 'tscompose-creds-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

const b64 = (s: string): string => Buffer.from(s).toString('base64');

/** A DOCKER_CONFIG dir with this config.json, and a bin dir for fake helpers first on PATH. */
function env(config: unknown, helpers: Record<string, string> = {}): Record<string, string> {
  const dir = join(root, `c${n++}`);
  const bin = join(dir, 'bin');
  mkdirSync(bin, { recursive: true });
  writeFileSync(join(dir, 'config.json'), typeof config === 'string' ? config : JSON.stringify(config));
  for (const [name, script] of Object.entries(helpers)) {
    writeFileSync(join(bin, `docker-credential-${name}`), `#!/bin/sh\n# fake credential helper for tests\n${script}\n`);
    chmodSync(join(bin, `docker-credential-${name}`), 0o755);
  }
  return { DOCKER_CONFIG: dir, PATH: `${bin}:/usr/bin:/bin`, HOME: dir };
}

/** A fake helper that records its argument and stdin, and answers `answer` for `host` only. */
const answering = (host: string, answer: object): string =>
  `read -r addr; echo "$1 $addr" >> "$DOCKER_CONFIG/calls"; if [ "$addr" = "${host}" ]; then echo '${JSON.stringify(answer)}'; else echo "credentials not found in native keychain"; exit 1; fi`;

async function userError(p: Promise<unknown>): Promise<UserError> {
  const e = await p.then(() => undefined, (x: unknown) => x);
  expect(e).toBeInstanceOf(UserError);
  return e as UserError;
}

describe('config.json auths', () => {
  it('decodes auth as base64 user:password for the image\'s registry', async () => {
    const e = env({ auths: { 'localhost:5000': { auth: b64('alice:s3cr:et') } } });
    expect(await loadRegistryAuth('localhost:5000/team/app:1', { env: e })).toEqual({ serveraddress: 'localhost:5000', username: 'alice', password: 's3cr:et' });
    expect(await loadRegistryAuth('other:5000/app', { env: e })).toBeUndefined();
  });

  it('takes username/password and identitytoken fields; an empty entry (a helper\'s marker) is no credentials', async () => {
    const e = env({ auths: { 'a.io': { username: 'u', password: 'p' }, 'b.io': { identitytoken: 'tok' }, 'c.io': {} } });
    expect(await loadRegistryAuth('a.io/x', { env: e })).toEqual({ serveraddress: 'a.io', username: 'u', password: 'p' });
    expect(await loadRegistryAuth('b.io/x', { env: e })).toEqual({ serveraddress: 'b.io', identitytoken: 'tok' });
    expect(await loadRegistryAuth('c.io/x', { env: e })).toBeUndefined();
  });

  it('matches keys written as URLs with a scheme and a path, as the CLI does; the exact key wins', async () => {
    const e = env({ auths: { 'https://reg.io:5000/v2/': { auth: b64('url:1') }, 'http://old.io/v1/': { auth: b64('old:2') }, 'exact.io': { auth: b64('e:3') }, 'https://exact.io/': { auth: b64('u:4') } } });
    expect((await loadRegistryAuth('reg.io:5000/app', { env: e }))?.username).toBe('url');
    expect((await loadRegistryAuth('old.io/app', { env: e }))?.username).toBe('old');
    expect((await loadRegistryAuth('exact.io/app', { env: e }))?.username).toBe('e');
  });

  it('Docker Hub images use the https://index.docker.io/v1/ key', async () => {
    const e = env({ auths: { 'https://index.docker.io/v1/': { auth: b64('hub:pw') } } });
    expect(await loadRegistryAuth('busybox', { env: e })).toEqual({ serveraddress: 'https://index.docker.io/v1/', username: 'hub', password: 'pw' });
    expect((await loadRegistryAuth('docker.io/team/app:1', { env: e }))?.username).toBe('hub');
  });

  it('no config file: no credentials; the file is $DOCKER_CONFIG/config.json, else ~/.docker/config.json', async () => {
    expect(await loadRegistryAuth('localhost:5000/app', { env: { DOCKER_CONFIG: join(root, 'absent') } })).toBeUndefined();
    expect(dockerConfigPath({ DOCKER_CONFIG: '/x' })).toBe('/x/config.json');
    expect(dockerConfigPath({ HOME: '/home/u' })).toBe('/home/u/.docker/config.json');
  });

  it('a malformed file is a UserError naming the file and what is wrong', async () => {
    for (const [config, why] of [
      ['{"auths": {', 'not valid JSON'],
      [{ auths: { 'h.io': { auth: '!!!' } } }, 'auths["h.io"].auth is not base64'],
      [{ auths: { 'h.io': { auth: b64('nocolon') } } }, 'auths["h.io"].auth does not decode to "username:password"'],
      [{ auths: { 'h.io': { username: 7 } } }, 'auths["h.io"].username: expected string'],
      [{ credsStore: 'a/../b' }, 'credsStore: "a/../b" is not a credential helper name'],
      [{ auths: [] }, 'auths: expected record'],
    ] as const) {
      const e = env(config);
      const err = await userError(loadRegistryAuth('h.io/app', { env: e }));
      expect(err.message).toContain(join(e.DOCKER_CONFIG!, 'config.json'));
      expect(err.message).toContain(why);
      expect(err.hint).toBeTruthy();
    }
  });

  it('a config file over the size limit is refused, not read', async () => {
    const e = env(`{"x": "${'a'.repeat(MAX_CONFIG_BYTES)}"}`);
    expect((await userError(loadRegistryAuth('h.io/app', { env: e }))).message).toContain(`is larger than ${MAX_CONFIG_BYTES} bytes`);
  });
});

describe('credential helpers (fake docker-credential-test)', () => {
  it('credsStore: the helper gets `get` and the server address on stdin; <token> means an identity token', async () => {
    const e = env(
      { credsStore: 'test', auths: { 'reg.io': { auth: b64('ignored:file') }, 'other.io': { auth: b64('ignored:too') } } },
      { test: answering('reg.io', { ServerURL: 'reg.io', Username: 'carol', Secret: 'pw' }) },
    );
    expect(await loadRegistryAuth('reg.io/app:1', { env: e })).toEqual({ serveraddress: 'reg.io', username: 'carol', password: 'pw' });
    // The store decides alone, as in the CLI: the file's auths entry is not a fallback.
    expect(await loadRegistryAuth('other.io/app', { env: e })).toBeUndefined();
    expect(readFileSync(join(e.DOCKER_CONFIG!, 'calls'), 'utf8')).toBe('get reg.io\nget other.io\n');
    const t = env({ credsStore: 'test' }, { test: `read -r addr; echo '{"ServerURL":"'$addr'","Username":"<token>","Secret":"idtok"}'` });
    expect(await loadRegistryAuth('busybox', { env: t })).toEqual({ serveraddress: 'https://index.docker.io/v1/', identitytoken: 'idtok' });
  });

  it('credHelpers[host] wins over credsStore for that host only', async () => {
    const e = env({ credsStore: 'store', credHelpers: { 'reg.io:5000': 'test' } }, {
      test: `read -r addr; echo '{"ServerURL":"'$addr'","Username":"per-host","Secret":"1"}'`,
      store: `read -r addr; echo '{"ServerURL":"'$addr'","Username":"global","Secret":"2"}'`,
    });
    expect((await loadRegistryAuth('reg.io:5000/app', { env: e }))?.username).toBe('per-host');
    expect((await loadRegistryAuth('reg.io:5001/app', { env: e }))?.username).toBe('global');
  });

  it('a helper that is not installed, or has no credentials for the host, means no credentials', async () => {
    expect(await loadRegistryAuth('reg.io/app', { env: env({ credsStore: 'absent' }) })).toBeUndefined();
    const e = env({ credsStore: 'test' }, { test: 'echo "credentials not found in native keychain"; exit 1' });
    expect(await loadRegistryAuth('reg.io/app', { env: e })).toBeUndefined();
  });

  it('a helper that fails otherwise, answers garbage, or hangs is a UserError naming it', async () => {
    const failing = env({ credsStore: 'test' }, { test: 'echo "keychain locked" >&2; exit 3' });
    const f = await userError(loadRegistryAuth('reg.io/app', { env: failing }));
    expect(f.message).toBe('credential helper docker-credential-test failed (exit 3: keychain locked) for reg.io');
    expect(f.hint).toContain('docker-credential-test get');
    const garbage = env({ credsStore: 'test' }, { test: 'echo not-json' });
    expect((await userError(loadRegistryAuth('reg.io/app', { env: garbage }))).message).toContain('docker-credential-test answered with something that is not JSON');
    const hanging = env({ credsStore: 'test' }, { test: 'exec sleep 30' });
    const started = Date.now();
    const h = await userError(loadRegistryAuth('reg.io/app', { env: hanging, helperTimeoutMs: 300 }));
    expect(h.message).toBe('credential helper docker-credential-test did not answer within 0.3s for reg.io');
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
