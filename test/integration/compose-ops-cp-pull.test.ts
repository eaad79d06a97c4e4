/**
 * `cp` (both directions, into existing and new names, --index, -a ownership, tar on stdin/stdout)
 * and `pull` (no registry answers on 127.0.0.1:9: the error path, --ignore-pull-failures, buildable
 * services, images already present under the `missing` policy).
 */
import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, lstatSync, mkdirSync, readFileSync, readlinkSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_IMAGE, ensureBuilt, opsProject } from './helpers/ops-project.js';

const p = opsProject('opscp', `
services:
  box:
    image: ${TEST_IMAGE}
    init: true
    scale: 2
    command: ["sh", "-c", "mkdir -p /srv/tree/sub && echo $$HOSTNAME > /srv/who && echo leaf > /srv/tree/sub/leaf && echo owned > /srv/owned && chown 1001:1002 /srv/owned && ln -s tree/sub/leaf /srv/link && sleep 1000"]
  userbox:
    image: ${TEST_IMAGE}
    init: true
    user: nobody
    profiles: [cp]
    command: ["sleep", "1000"]
  remote:
    image: 127.0.0.1:9/tscompose/absent:1.0
    profiles: [pull]
  buildable:
    image: ${'${BUILT_IMAGE:-127.0.0.1:9/tscompose/buildable:1.0}'}
    profiles: [pull]
    build:
      context: .
      dockerfile_inline: "FROM ${TEST_IMAGE}"
  present:
    image: ${TEST_IMAGE}
    pull_policy: missing
    profiles: [pull]
`);

const local = (...parts: string[]) => join(p.dir, ...parts);
const inBox = async (cmd: string, index = 1) => (await p.cli(['exec', '-T', '--index', String(index), 'box', 'sh', '-c', cmd])).stdout;

beforeAll(async () => {
  ensureBuilt();
  const up = await p.cli(['up', '-d', 'box']);
  expect(up.code, up.stderr).toBe(0);
  for (let i = 1; i <= 2; i++) {
    for (let tries = 0; tries < 50 && !(await inBox('cat /srv/owned', i)).includes('owned'); tries++) await new Promise((r) => setTimeout(r, 100));
  }
}, 120_000);

afterAll(async () => {
  await p.cleanup();
});

describe('tscompose cp', () => {
  it('copies a file out into an existing directory (keeping its name) and to a new name', async () => {
    mkdirSync(local('out'));
    expect((await p.cli(['cp', 'box:/srv/who', 'out'])).code).toBe(0);
    expect(readFileSync(local('out', 'who'), 'utf8')).toBe(await inBox('cat /srv/who'));
    const r = await p.cli(['cp', 'box:/srv/who', 'out/renamed.txt']);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(local('out', 'renamed.txt'), 'utf8')).toBe(readFileSync(local('out', 'who'), 'utf8'));
  });

  it('copies a directory tree out, and --index picks the replica', async () => {
    expect((await p.cli(['cp', 'box:/srv/tree', 'tree-copy'])).code).toBe(0);
    expect(readFileSync(local('tree-copy', 'sub', 'leaf'), 'utf8')).toBe('leaf\n');
    expect((await p.cli(['cp', '--index', '2', 'box:/srv/who', 'who2'])).code).toBe(0);
    expect(readFileSync(local('who2'), 'utf8')).toBe(await inBox('cat /srv/who', 2));
    expect(readFileSync(local('who2'), 'utf8')).not.toBe(readFileSync(local('out', 'who'), 'utf8'));
  });

  it('without -a copied files belong to the local user; -a keeps the container uid/gid', async () => {
    expect((await p.cli(['cp', 'box:/srv/owned', 'plain-owned'])).code).toBe(0);
    expect(statSync(local('plain-owned')).uid).toBe(process.getuid!());
    expect((await p.cli(['cp', '-a', 'box:/srv/owned', 'archived-owned'])).code).toBe(0);
    const st = statSync(local('archived-owned'));
    expect([st.uid, st.gid]).toEqual([1001, 1002]);
  });

  it('copies files and directories in, into a directory or to a new name', async () => {
    writeFileSync(local('in.txt'), 'into-the-box\n');
    mkdirSync(local('indir', 'deep'), { recursive: true });
    writeFileSync(local('indir', 'deep', 'f'), 'deep-file\n');
    expect((await p.cli(['cp', 'in.txt', 'box:/tmp'])).code).toBe(0);
    expect(await inBox('cat /tmp/in.txt')).toBe('into-the-box\n');
    expect((await p.cli(['cp', './in.txt', 'box:/tmp/other-name'])).code).toBe(0);
    expect(await inBox('cat /tmp/other-name')).toBe('into-the-box\n');
    expect((await p.cli(['cp', 'indir', 'box:/srv/newdir'])).code).toBe(0);
    expect(await inBox('cat /srv/newdir/deep/f')).toBe('deep-file\n');
    expect((await p.cli(['cp', '--index', '2', 'in.txt', 'box:/tmp'])).code).toBe(0);
    expect(await inBox('cat /tmp/in.txt', 2)).toBe('into-the-box\n');
  });

  it("-a into the container gives the files to the container's user; without it the local owner is kept", async () => {
    writeFileSync(local('mine.txt'), 'x');
    chownSync(local('mine.txt'), 4242, 4343);
    const up = await p.cli(['--profile', 'cp', 'up', '-d', 'userbox']);
    expect(up.code, up.stderr).toBe(0);
    const stat = async (path: string) => (await p.cli(['--profile', 'cp', 'exec', '-T', 'userbox', 'stat', '-c', '%u:%g', path])).stdout;
    expect((await p.cli(['--profile', 'cp', 'cp', 'mine.txt', 'userbox:/tmp/keep.txt'])).code).toBe(0);
    expect(await stat('/tmp/keep.txt')).toBe('4242:4343\n');
    expect((await p.cli(['--profile', 'cp', 'cp', '-a', 'mine.txt', 'userbox:/tmp/given.txt'])).code).toBe(0);
    // The engine maps to the container's configured user (nobody here).
    expect(await stat('/tmp/given.txt')).toBe('65534:65534\n');
  });

  it('copies a symbolic link as a link, or what it points to with -L (both directions)', async () => {
    expect((await p.cli(['cp', 'box:/srv/link', 'link-plain'])).code).toBe(0);
    expect(lstatSync(local('link-plain')).isSymbolicLink()).toBe(true);
    expect(readlinkSync(local('link-plain'))).toBe('tree/sub/leaf');
    const r = await p.cli(['cp', '-L', 'box:/srv/link', 'link-followed']);
    expect(r.code, r.stderr).toBe(0);
    expect(lstatSync(local('link-followed')).isFile()).toBe(true);
    expect(readFileSync(local('link-followed'), 'utf8')).toBe('leaf\n');
    writeFileSync(local('target.txt'), 'pointed-to\n');
    symlinkSync('target.txt', local('local-link'));
    expect((await p.cli(['cp', 'local-link', 'box:/tmp/as-link'])).code).toBe(0);
    expect(await inBox('test -L /tmp/as-link && echo link')).toBe('link\n');
    expect((await p.cli(['cp', '-L', 'local-link', 'box:/tmp/deref'])).code).toBe(0);
    expect(await inBox('test -L /tmp/deref || cat /tmp/deref')).toBe('pointed-to\n');
  });

  it('streams a tar to stdout with - and reads one from stdin with -', async () => {
    const out = await p.cli(['cp', 'box:/srv/tree', '-']);
    expect(out.code).toBe(0);
    writeFileSync(local('tree.tar'), out.stdout, 'latin1');
    const listing = execFileSync('tar', ['-tf', local('tree.tar')]).toString();
    expect(listing).toContain('tree/sub/leaf');
    const tar = execFileSync('tar', ['-C', local('indir'), '-c', 'deep']);
    const r = await p.cli(['cp', '-', 'box:/tmp'], { input: tar });
    expect(r.code, r.stderr).toBe(0);
    expect(await inBox('cat /tmp/deep/f')).toBe('deep-file\n');
  });

  it('reports missing paths and wrong argument shapes as one-line errors', async () => {
    const missing = await p.cli(['cp', 'box:/nope', 'x']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^tscompose: no such file or directory in .*box-1: \/nope\n$/);
    const noDir = await p.cli(['cp', 'in.txt', 'box:/does/not/exist/']);
    expect(noDir.stderr).toMatch(/destination directory .*\/does\/not\/exist\/ does not exist/);
    const both = await p.cli(['cp', 'a', 'b']);
    expect(both.stderr).toMatch(/one of source and destination must be SERVICE:PATH\nhint:/);
    const localMissing = await p.cli(['cp', 'nothing-here', 'box:/tmp']);
    expect(localMissing.stderr).toMatch(/no such file or directory: nothing-here/);
    expect(existsSync(local('x'))).toBe(false);
  });
});

describe('tscompose pull', () => {
  it('fails in one line naming the image and suggesting a build when the registry is unreachable', async () => {
    const r = await p.cli(['--profile', 'pull', 'pull', 'remote'], { timeoutMs: 60_000 });
    expect(r.code).toBe(1);
    const errorLines = r.stderr.split('\n').filter((l) => l.startsWith('tscompose:'));
    expect(errorLines).toEqual(['tscompose: service remote: cannot pull 127.0.0.1:9/tscompose/absent:1.0: registry 127.0.0.1:9 is unreachable (connection refused)']);
    expect(r.stderr).toMatch(/hint: .*--ignore-pull-failures/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('--ignore-pull-failures reports the failure and exits 0', async () => {
    const r = await p.cli(['--progress', 'plain', '--profile', 'pull', 'pull', '--ignore-pull-failures', 'remote']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/remote\s+Error/);
  });

  it('a buildable service only warns; --ignore-buildable skips it', async () => {
    const r = await p.cli(['--progress', 'plain', '--profile', 'pull', 'pull', 'buildable']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/buildable\s+Error/);
    const skipped = await p.cli(['--progress', 'plain', '--profile', 'pull', 'pull', '--ignore-buildable', 'buildable']);
    expect(skipped.code).toBe(0);
    expect(skipped.stderr).toMatch(/buildable\s+Skipped/);
    expect(skipped.stderr).not.toMatch(/Pulling/);
  });

  it('reports images already present as such under the missing policy (pull_policy or --policy)', async () => {
    const r = await p.cli(['--progress', 'plain', '--profile', 'pull', 'pull', 'present']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/present\s+Skipped - Image is already present locally/);
    const policy = await p.cli(['--progress', 'plain', 'pull', '--policy', 'missing', 'box']);
    expect(policy.code).toBe(0);
    expect(policy.stderr).toMatch(/box\s+Skipped - Image is already present locally/);
    const bad = await p.cli(['pull', '--policy', 'sometimes']);
    expect(bad.stderr).toMatch(/invalid --policy "sometimes"/);
  });

  it('names an unknown service', async () => {
    const r = await p.cli(['pull', 'bx']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no such service: bx\nhint: did you mean "box"\?/);
  });
});
