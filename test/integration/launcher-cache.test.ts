/**
 * The launcher's code cache, in real processes: V8 keeps compiled code per isolate, so only a new
 * process shows whether a cache file was written, accepted or rejected. Needs dist/ (no engine).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, REPO } from './compose-helpers.js';

interface Report {
  cacheFile: string | null;
  cacheUsed: boolean;
  where: string;
}

describe('launcher code cache', () => {
  let dir = '';
  beforeAll(() => ensureBuilt());
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
    dir = '';
  });

  /** Launches a small bundle in a fresh node process and reports how the cache was used. */
  function setup(file = 'tool.cjs'): (hash: string, env?: Record<string, string>) => Report {
    dir ||= mkdtempSync(join(tmpdir(), 'launcher-'));
    const bundle = join(dir, file);
    writeFileSync(bundle, `const path = require('node:path');\nmodule.exports.where = path.basename(__filename);\nglobalThis.__where = module.exports.where;\n`);
    return (hash, env = {}) => {
      const script = `import { createRequire } from 'node:module';
const { launch } = createRequire(import.meta.url)(${JSON.stringify(join(REPO, 'dist', 'launcher.cjs'))});
const r = launch({ bundle: ${JSON.stringify(bundle)}, name: 'tool', hash: ${JSON.stringify(hash)}, valueOptions: [], argv: ['up'] });
process.stdout.write(JSON.stringify({ cacheFile: r.cacheFile, cacheUsed: r.cacheUsed, where: globalThis.__where }));`;
      const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { env: { PATH: process.env.PATH ?? '', XDG_CACHE_HOME: join(dir, 'cache'), ...env }, encoding: 'utf8' });
      return JSON.parse(out) as Report;
    };
  }

  it('runs the bundle as CommonJS, writes a cache at exit, and the next process uses it', () => {
    const run = setup();
    const first = run('h1');
    expect(first.where).toBe('tool.cjs');
    expect(first.cacheUsed).toBe(false);
    expect(first.cacheFile).toMatch(/cache\/tool\/tool-h1-v\d+\.\d+\.\d+-\w+-up\.v8cache$/);
    expect(existsSync(first.cacheFile!)).toBe(true);
    expect(run('h1').cacheUsed).toBe(true);
  });

  it('replaces a corrupt cache, and a new build removes the caches of older ones', () => {
    const run = setup();
    const first = run('h1');
    writeFileSync(first.cacheFile!, 'not a code cache');
    expect(run('h1').cacheUsed).toBe(false);
    expect(run('h1').cacheUsed).toBe(true);
    run('h2');
    expect(readdirSync(join(dir, 'cache', 'tool'))).toEqual([expect.stringMatching(/^tool-h2-/)]);
  });

  it('keeps the caches of another bundle of the same program (tscompose and tscompose-memo)', () => {
    const tool = setup('tool.cjs');
    const memo = setup('tool-memo.cjs');
    memo('m1');
    tool('h1');
    tool('h2');
    expect(readdirSync(join(dir, 'cache', 'tool')).sort()).toEqual([expect.stringMatching(/^tool-h2-/), expect.stringMatching(/^tool-memo-m1-/)]);
    expect(memo('m1').cacheUsed).toBe(true);
  });

  it('uses and writes no cache when NODE_DISABLE_COMPILE_CACHE is set', () => {
    const run = setup();
    const r = run('h1', { NODE_DISABLE_COMPILE_CACHE: '1' });
    expect(r.where).toBe('tool.cjs');
    expect(r.cacheFile).toBeNull();
    expect(existsSync(join(dir, 'cache'))).toBe(false);
  });

  it('still runs when the cache directory cannot be written', () => {
    const run = setup();
    writeFileSync(join(dir, 'cache'), 'a file where the directory should be');
    const r = run('h1');
    expect(r.where).toBe('tool.cjs');
    expect(r.cacheUsed).toBe(false);
  });
});
