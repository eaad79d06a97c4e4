/**
 * An engine that accepts connections and never answers: every command ends with one line naming
 * the endpoint, the limit and the request, and a non-zero exit, instead of hanging.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cli, ensureBuilt, projectDir, SLEEPER, TEST_IMAGE } from './compose-helpers.js';
import { startFakeEngine, type FakeEngine } from '../helpers/fake-engine.js';

const COMPOSE = `services:\n  web:\n    image: ${TEST_IMAGE}\n    command: ${SLEEPER}\n`;

function expectOneLine(stderr: string): string {
  const lines = stderr.trimEnd().split('\n');
  expect(lines, stderr).toHaveLength(1);
  expect(stderr).not.toMatch(/^\s+at /m);
  return lines[0]!;
}

describe('a hung engine', () => {
  let engine: FakeEngine;
  const project = projectDir(COMPOSE);
  beforeAll(async () => {
    ensureBuilt();
    engine = await startFakeEngine();
  });
  afterEach(() => void (engine.requests.length = 0));
  afterAll(async () => {
    await engine.close();
    project.remove();
  });
  const run = (args: string[], env: Record<string, string> = {}) =>
    cli(['-p', 'hung', '--progress', 'plain', ...args], { cwd: project.dir, env: { DOCKER_HOST: engine.url, TSCOMPOSE_NO_MEMO: '1', ...env }, timeoutMs: 60_000 });

  it('up -d fails within the limit with a one-line message', async () => {
    const r = await run(['up', '-d'], { TSCOMPOSE_ENGINE_TIMEOUT: '1' });
    expect(r.code).toBe(1);
    const line = expectOneLine(r.stderr);
    expect(line).toMatch(
      new RegExp(`^tscompose: the Docker engine at ${engine.url} accepted the connection but did not answer within 1 s \\((GET|POST) /[^)]+\\); is dockerd healthy\\? TSCOMPOSE_ENGINE_TIMEOUT=SECONDS raises the limit$`),
    );
    expect(engine.requests.length).toBeGreaterThan(0);
  }, 30_000);

  it('ps fails the same way, naming the list call', async () => {
    const r = await run(['ps'], { TSCOMPOSE_ENGINE_TIMEOUT: '1' });
    expect(r.code).toBe(1);
    expect(expectOneLine(r.stderr)).toContain('did not answer within 1 s (GET /containers/json)');
  }, 30_000);

  it('ps with the default limit gives up after 30 s, not never', async () => {
    const t0 = Date.now();
    const r = await run(['ps']);
    expect(r.code).toBe(1);
    expect(expectOneLine(r.stderr)).toContain('did not answer within 30 s (GET /containers/json)');
    expect(Date.now() - t0).toBeLessThan(55_000);
  }, 60_000);

  it('a TSCOMPOSE_ENGINE_TIMEOUT that is not a number is refused before any call', async () => {
    const r = await run(['ps'], { TSCOMPOSE_ENGINE_TIMEOUT: 'soon' });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^tscompose: TSCOMPOSE_ENGINE_TIMEOUT=soon is not a number of seconds/);
    expect(engine.requests).toEqual([]);
  }, 30_000);
});
