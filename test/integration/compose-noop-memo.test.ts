/**
 * The no-op memo of `up` (cli/compose/fast-up.ts, src/engine/noop-memo.ts) against the real engine:
 * a repeated no-op `up -d` is answered from the memo, and every change the full `up` would act on
 * (compose file, engine state, interpolated environment, secret file, a newly appearing override
 * file, the image's id) makes it plan again and act. Asserted on container ids and contents from
 * the engine, not only on the `memo: ` trace lines (TSCOMPOSE_DEBUG_MEMO=1, in every run of a test
 * so that the environment, part of the memo's key, stays the same).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SLEEPER, TEST_IMAGE, cleanupProject, runtime, testProjects, type CliResult } from './compose-helpers.js';

const project = testProjects();

/** Each test's own XDG_CACHE_HOME (the memo directory), removed after the test. */
const cacheDirs: string[] = [];
afterEach(() => {
  while (cacheDirs.length) rmSync(cacheDirs.pop()!, { recursive: true, force: true });
});

/** The `memo: ` trace lines of one run. */
const memo = (r: CliResult): string[] => r.stderr.split('\n').filter((l) => l.startsWith('memo: '));

/**
 * A project of its own with its own cache and state directories; `up` runs `up -d ARGS` with the
 * same base environment every time (plus `env`), `ids` lists the containers' ids by service.
 */
function setup(prefix: string, compose: string, files: Record<string, string> = {}, baseEnv: Record<string, string> = {}) {
  const cache = mkdtempSync(join(tmpdir(), 'tscompose-memo-'));
  cacheDirs.push(cache);
  const t = project(prefix, compose, files, (dir) => ({ XDG_CACHE_HOME: cache, TSCOMPOSE_DEBUG_MEMO: '1', TSCOMPOSE_STATE_DIR: join(dir, 'state'), ...baseEnv }));
  const ids = async (): Promise<Record<string, string>> => {
    const list = await runtime.listContainers({ all: true, labels: { 'com.docker.compose.project': t.p } });
    return Object.fromEntries(list.map((c) => [c.labels['com.docker.compose.service']!, c.id]));
  };
  const up = async (args: string[] = [], env: Record<string, string> = {}): Promise<CliResult> => {
    const r = await t.run(['up', '-d', ...args], env);
    expect(r.code, `up -d ${args.join(' ')}\n${r.stderr}`).toBe(0);
    return r;
  };
  const memoDir = join(cache, 'tscompose', 'noop');
  const memoFiles = (): string[] => {
    try {
      return readdirSync(memoDir).filter((f) => f.endsWith('.json'));
    } catch {
      return [];
    }
  };
  /**
   * Up three times: the first creates, the second finds nothing to do and writes the memo, the third
   * is answered from it. Returns the containers' ids, which the last two runs left as they were.
   */
  const primed = async (env: Record<string, string> = {}): Promise<Record<string, string>> => {
    let r = await up([], env);
    expect(memo(r)).toContain('memo: no memo for this command line, directory and environment');
    expect(memo(r).some((l) => l.startsWith('memo: not written'))).toBe(true);
    const first = await ids();
    r = await up([], env);
    expect(memo(r).some((l) => l.startsWith('memo: written (')), r.stderr).toBe(true);
    expect(await ids()).toEqual(first);
    r = await up([], env);
    expect(memo(r).some((l) => l.startsWith('memo: nothing to do (')), r.stderr).toBe(true);
    expect(r.stdout).toBe('');
    expect(await ids()).toEqual(first);
    return first;
  };
  return { ...t, ids, up, memoFiles, memoDir, primed };
}

/** A container's environment variable, read inside it. */
async function printenv(container: string, name: string): Promise<string> {
  return (await runtime.exec(container, { cmd: ['sh', '-c', `echo "$${name}"`] })).stdout.trim();
}

describe('the no-op memo of up', () => {
  it('answers a repeated no-op up from the memo, which holds none of the environment', async () => {
    const secret = `hunter2-${randomBytes(6).toString('hex')}`;
    const { p, up, ids, memoFiles, memoDir } = setup('memohit', `
services:
  a:
    image: ${TEST_IMAGE}
    command: ${SLEEPER}
    environment:
      PASS: \${SECRET_VALUE}
  b:
    image: ${TEST_IMAGE}
    command: ${SLEEPER}
`, {}, { SECRET_VALUE: secret });
    let r = await up();
    expect(memo(r)).toEqual(['memo: no memo for this command line, directory and environment', 'memo: not written: this up had something to do or to say, or flags that always act']);
    const first = await ids();
    expect(Object.keys(first).sort()).toEqual(['a', 'b']);
    expect(await printenv(`${p}-a-1`, 'PASS')).toBe(secret);
    expect(memoFiles()).toEqual([]);

    r = await up();
    expect(memo(r)).toHaveLength(2);
    expect(memo(r)[0]).toBe('memo: no memo for this command line, directory and environment');
    expect(memo(r)[1]).toMatch(/^memo: written \(.*\.json\)$/);
    expect(await ids()).toEqual(first);

    r = await up();
    expect(r.stdout).toBe('');
    expect(memo(r)).toHaveLength(1);
    expect(memo(r)[0]).toMatch(/^memo: nothing to do \(/);
    // The fast path prints nothing but its trace.
    expect(r.stderr.trim()).toBe(memo(r)[0]);
    expect(await ids()).toEqual(first);
    for (const c of await runtime.listContainers({ all: true, labels: { 'com.docker.compose.project': p } })) expect(c.status).toBe('running');

    const files = memoFiles();
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^[0-9a-f]{64}\.json$/);
    const text = readFileSync(join(memoDir, files[0]!), 'utf8');
    expect(text).not.toContain(secret);
    expect(text).not.toContain('hunter2');
    expect(JSON.parse(text)).toMatchObject({ version: 1, project: p });
  });

  it('plans again after the compose file changed, and recreates only the changed service', async () => {
    const compose = (v: string) => `
services:
  a:
    image: ${TEST_IMAGE}
    command: ${SLEEPER}
    environment:
      V: "${v}"
  b:
    image: ${TEST_IMAGE}
    command: ${SLEEPER}
`;
    const { p, dir, up, ids, primed } = setup('memoedit', compose('one'));
    const first = await primed();

    writeFileSync(join(dir, 'compose.yaml'), compose('two'));
    const r = await up();
    expect(memo(r)).toContain('memo: planning again: a file it read changed');
    const second = await ids();
    expect(second.a).not.toBe(first.a);
    expect(second.b).toBe(first.b);
    expect(await printenv(`${p}-a-1`, 'V')).toBe('two');
  });

  it('plans again after a container was stopped behind its back, and starts it', async () => {
    const { up, ids, primed } = setup('memostop', `
services:
  a:
    image: ${TEST_IMAGE}
    command: ${SLEEPER}
`);
    const first = await primed();
    await runtime.stopContainer(first.a!, { timeout: 5 });
    expect((await runtime.inspectContainer(first.a!)).running).toBe(false);

    const r = await up();
    expect(memo(r)).toContain('memo: planning again: the project changed on the engine');
    expect(memo(r).some((l) => l.startsWith('memo: nothing to do'))).toBe(false);
    expect(await ids()).toEqual(first);
    expect((await runtime.inspectContainer(first.a!)).running).toBe(true);
  });

  it('keys the memo on the environment: another value finds no memo, and the old memo no longer holds', async () => {
    const { p, up, ids, primed, memoFiles } = setup('memoenv', `
services:
  a:
    image: ${TEST_IMAGE}
    command: ${SLEEPER}
    environment:
      TAG_VALUE: \${TAG}
`);
    const first = await primed({ TAG: 'red' });
    expect(await printenv(`${p}-a-1`, 'TAG_VALUE')).toBe('red');

    let r = await up([], { TAG: 'blue' });
    expect(memo(r)).toContain('memo: no memo for this command line, directory and environment');
    const second = await ids();
    expect(second.a).not.toBe(first.a);
    expect(await printenv(`${p}-a-1`, 'TAG_VALUE')).toBe('blue');

    // The memo of TAG=red is still on disk, but the container it vouched for is gone.
    expect(memoFiles()).toHaveLength(1);
    r = await up([], { TAG: 'red' });
    expect(memo(r)).toContain('memo: planning again: the project changed on the engine');
    const third = await ids();
    expect(third.a).not.toBe(second.a);
    expect(await printenv(`${p}-a-1`, 'TAG_VALUE')).toBe('red');
  });

  it('plans again after a secret file changed, and recreates the service using it', async () => {
    const { p, dir, up, ids, primed } = setup('memosec', `
services:
  a:
    image: ${TEST_IMAGE}
    command: ${SLEEPER}
    secrets: [s]
  b:
    image: ${TEST_IMAGE}
    command: ${SLEEPER}
secrets:
  s: {file: ./s.txt}
`, { 's.txt': 'one\n' });
    const first = await primed();
    expect((await runtime.exec(`${p}-a-1`, { cmd: ['cat', '/run/secrets/s'] })).stdout).toBe('one\n');

    writeFileSync(join(dir, 's.txt'), 'two\n');
    const r = await up();
    expect(memo(r)).toContain('memo: planning again: a file it read changed');
    const second = await ids();
    expect(second.a).not.toBe(first.a);
    expect(second.b).toBe(first.b);
    expect((await runtime.exec(`${p}-a-1`, { cmd: ['cat', '/run/secrets/s'] })).stdout).toBe('two\n');
  });

  it('plans again when compose.override.yaml appears, and applies it', async () => {
    const { p, dir, up, ids, primed } = setup('memoovr', `
services:
  a:
    image: ${TEST_IMAGE}
    command: ${SLEEPER}
`);
    const first = await primed();
    expect((await runtime.inspectContainer(`${p}-a-1`)).labels['memo.override']).toBeUndefined();

    writeFileSync(join(dir, 'compose.override.yaml'), `
services:
  a:
    labels:
      memo.override: "yes"
    environment:
      FROM_OVERRIDE: "1"
`);
    const r = await up();
    expect(memo(r).some((l) => l.startsWith('memo: planning again: ')), r.stderr).toBe(true);
    expect(memo(r)).toContain('memo: planning again: a file it read changed');
    const second = await ids();
    expect(second.a).not.toBe(first.a);
    expect((await runtime.inspectContainer(`${p}-a-1`)).labels['memo.override']).toBe('yes');
    expect(await printenv(`${p}-a-1`, 'FROM_OVERRIDE')).toBe('1');
  });

  it('plans again when the image behind the same tag changed, and recreates on the new image', async () => {
    const tag = `tstmemo-${randomBytes(4).toString('hex')}:latest`;
    const context = mkdtempSync(join(tmpdir(), 'tscompose-memo-img-'));
    const built: string[] = [];
    const build = async (v: number): Promise<string> => {
      const id = await runtime.buildImage({ context, dockerfileInline: `FROM ${TEST_IMAGE}\nLABEL v=${v}\n`, tags: [tag] });
      built.push(id);
      return id;
    };
    const { p, up, ids, primed } = setup('memoimg', `
services:
  a:
    image: ${tag}
    command: ${SLEEPER}
`);
    try {
      const v1 = await build(1);
      const first = await primed();
      expect((await runtime.inspectContainer(first.a!)).imageId).toBe(v1);

      const v2 = await build(2);
      expect(v2).not.toBe(v1);
      const r = await up();
      expect(memo(r)).toContain(`memo: planning again: image ${tag} changed`);
      const second = await ids();
      expect(second.a).not.toBe(first.a);
      expect((await runtime.inspectContainer(second.a!)).imageId).toBe(v2);
    } finally {
      // The containers go first, so that the images can be removed.
      await cleanupProject(p);
      await runtime.removeImage(tag, { force: true }).catch(() => undefined);
      for (const id of built) await runtime.removeImage(id, { force: true }).catch(() => undefined);
      rmSync(context, { recursive: true, force: true });
    }
  }, 60_000);

  it('never answers up --force-recreate from a memo: every run recreates', async () => {
    const { up, ids } = setup('memoforce', `
services:
  a:
    image: ${TEST_IMAGE}
    command: ${SLEEPER}
`);
    const seen = new Set<string>();
    for (let i = 0; i < 3; i++) {
      const r = await up(['--force-recreate']);
      expect(memo(r).some((l) => l.startsWith('memo: nothing to do')), r.stderr).toBe(false);
      expect(memo(r).some((l) => l.startsWith('memo: written')), r.stderr).toBe(false);
      const id = (await ids()).a!;
      expect(seen.has(id)).toBe(false);
      seen.add(id);
    }
    expect(seen.size).toBe(3);
  });

  it('never answers an up whose files warn: the warning shows every time, as Compose does', async () => {
    const { up, ids } = setup('memowarn', `
services:
  a:
    image: ${TEST_IMAGE}
    command: ${SLEEPER}
    environment:
      X: \${UNSET_IN_THIS_TEST}
`);
    const first = await up();
    const id = (await ids()).a;
    for (let i = 0; i < 3; i++) {
      const r = i === 0 ? first : await up();
      expect(r.stderr).toContain('warning: the "UNSET_IN_THIS_TEST" variable is not set; defaulting to a blank string');
      expect(memo(r).some((l) => l.startsWith('memo: nothing to do') || l.startsWith('memo: written')), r.stderr).toBe(false);
    }
    expect((await ids()).a).toBe(id);
  });
});
