/**
 * Every flag value and every service name is checked before the first engine call: against a
 * fake engine that records what it is asked, a refused command sends nothing.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cli, ensureBuilt, projectDir, SLEEPER, TEST_IMAGE } from './compose-helpers.js';
import { startFakeEngine, type FakeEngine } from '../helpers/fake-engine.js';

const COMPOSE = `services:\n  web:\n    image: ${TEST_IMAGE}\n    command: ${SLEEPER}\n  db:\n    image: ${TEST_IMAGE}\n    command: ${SLEEPER}\n`;

describe('flags and names are checked before the engine is asked anything', () => {
  let engine: FakeEngine;
  const project = projectDir(COMPOSE);
  beforeAll(async () => {
    ensureBuilt();
    // Every request fails at once: a command that got as far as the engine ends quickly too.
    engine = await startFakeEngine((_req, res) => {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end('{"message":"fake engine"}');
    });
  });
  afterEach(() => void (engine.requests.length = 0));
  afterAll(async () => {
    await engine.close();
    project.remove();
  });
  const run = (args: string[]) => cli(['-p', 'flags', '--progress', 'plain', ...args], { cwd: project.dir, env: { DOCKER_HOST: engine.url, TSCOMPOSE_NO_MEMO: '1' }, timeoutMs: 30_000 });

  const refused: Array<[string[], RegExp]> = [
    [['up', '-d', '--scale', 'web=99999999999999999999'], /^tscompose: --scale web expects a whole number from 0 to 10000, got "99999999999999999999"$/],
    [['up', '-d', '--scale', 'web=10001'], /--scale web expects a whole number from 0 to 10000/],
    [['up', '-d', '--scale', 'web=-1'], /--scale web expects/],
    [['up', '-d', '--scale', 'web'], /--scale expects SERVICE=NUMBER, got web/],
    [['up', '-d', '--scale', 'ghost=2'], /^tscompose: no such service: ghost$/],
    [['up', '-d', 'ghost'], /ghost/],
    [['up', '-d', '--wait-timeout', 'abc'], /^tscompose: --wait-timeout expects a whole number from 0 to 86400, got "abc"$/],
    [['up', '-d', '--timeout', '-1'], /^tscompose: --timeout expects a whole number from 0 to 86400, got "-1"$/],
    [['up', '-d', '--pull', 'sometimes'], /^tscompose: invalid --pull value "sometimes"$/],
    [['create', '--scale', 'db=1e9'], /--scale db expects/],
    [['down', '-t', '1.5'], /--timeout expects a whole number/],
    [['down', 'ghost'], /no such service: ghost/],
    [['logs', 'ghost'], /no such service: ghost/],
    [['ps', 'ghost'], /no such service: ghost/],
    [['build', 'ghost'], /ghost/],
    [['logs', '--tail', 'x'], /--tail expects/],
    [['logs', '--index', '0'], /--index expects a whole number from 1 to 10000/],
    [['logs', '--since', 'yesterday'], /--since/],
    [['stop', '-t', '99999999', 'web'], /--timeout expects/],
    [['stop', 'ghost'], /no such service: ghost/],
    [['restart', 'wbe'], /no such service: wbe/],
    [['start', '--wait-timeout', '-5'], /--wait-timeout expects/],
    [['kill', 'ghost'], /no such service: ghost/],
    [['exec', 'ghost', 'true'], /no such service: ghost/],
    [['exec', '--index', '0', 'web', 'true'], /--index expects/],
    [['port', 'ghost', '80'], /no such service: ghost/],
    [['top', 'ghost'], /no such service: ghost/],
    [['rm', '-f', 'ghost'], /no such service: ghost/],
    [['wait', 'ghost'], /no such service: ghost/],
    [['pull', 'ghost'], /no such service: ghost/],
    [['run', 'ghost', 'true'], /no such service: ghost/],
  ];

  for (const [args, want] of refused) {
    it(`${args.join(' ')}: refused, nothing sent`, async () => {
      const r = await run(args);
      expect(r.code, r.stderr).toBe(1);
      const lines = r.stderr.trimEnd().split('\n');
      expect(lines[0]).toMatch(want);
      expect(lines.slice(1).every((l) => /^\s*hint: /.test(l)), r.stderr).toBe(true);
      expect(r.stderr).not.toMatch(/^\s+at /m);
      expect(engine.requests).toEqual([]);
    });
  }

  it('a valid command does reach the engine (the recorder works)', async () => {
    const r = await run(['up', '-d', '--scale', 'web=3', '--timeout', '5']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/fake engine/);
    expect(engine.requests.length).toBeGreaterThan(0);
  });
});
