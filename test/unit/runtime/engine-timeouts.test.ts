import { afterEach, describe, expect, it } from 'vitest';
import { answerLimitMs, describeRequest, formatSeconds, limitsFor } from '../../../src/runtime/docker/engine-timeouts.js';
import { DockerRuntime } from '../../../src/runtime/docker/docker-runtime.js';
import { isRuntimeError } from '../../../src/runtime/errors.js';
import { startFakeEngine, type FakeEngine } from '../../helpers/fake-engine.js';

const env = {};

describe('engine timeout policy', () => {
  it('plain calls answer within the default 30 s, connect within 10 s', () => {
    expect(limitsFor('GET', '/v1.41/containers/json?all=1', env)).toEqual({ connectMs: 10_000, responseMs: 30_000, until: 'answer', raisedBy: 'TSCOMPOSE_ENGINE_TIMEOUT' });
    expect(limitsFor('POST', '/containers/create?name=x', env).responseMs).toBe(30_000);
  });

  it('streams are timed until their headers only', () => {
    for (const [m, p] of [
      ['GET', '/v1.41/containers/abc/logs?follow=1&stdout=1'],
      ['POST', '/v1.41/containers/abc/attach?stream=1'],
      ['POST', '/v1.41/containers/abc/wait?condition=not-running'],
      ['POST', '/v1.41/exec/abc/start'],
      ['GET', '/v1.41/events?filters=%7B%7D'],
      ['GET', '/v1.41/containers/abc/stats?stream=true'],
      ['GET', '/v1.41/containers/abc/stats?stream=false'],
      ['GET', '/v1.41/containers/abc/export'],
    ] as const) {
      expect(limitsFor(m, p, env), `${m} ${p}`).toMatchObject({ until: 'headers', responseMs: 30_000 });
    }
  });

  it('pull, push and build have 120 s to start, then stream for ever', () => {
    expect(limitsFor('POST', '/v1.41/images/create?fromImage=busybox&tag=latest', env)).toMatchObject({ until: 'headers', responseMs: 120_000 });
    expect(limitsFor('POST', '/v1.41/images/registry:5000/app/push?tag=1', env)).toMatchObject({ until: 'headers', responseMs: 120_000 });
    expect(limitsFor('POST', '/v1.41/build?t=x', env)).toMatchObject({ until: 'headers', responseMs: 120_000 });
  });

  it('stop and restart get their grace period on top; without t, no answer limit', () => {
    expect(limitsFor('POST', '/v1.41/containers/abc/stop?t=600', env).responseMs).toBe(630_000);
    expect(limitsFor('POST', '/v1.41/containers/abc/restart?t=5', env).responseMs).toBe(35_000);
    expect(limitsFor('POST', '/v1.41/containers/abc/stop', env).responseMs).toBeNull();
  });

  it('removals and commit get the longer bound', () => {
    expect(limitsFor('DELETE', '/v1.41/volumes/big?force=false', env).responseMs).toBe(120_000);
    expect(limitsFor('POST', '/v1.41/commit?container=abc&pause=true', env)).toMatchObject({ until: 'answer', responseMs: 120_000 });
    expect(limitsFor('DELETE', '/v1.41/containers/abc?v=1', env).responseMs).toBe(120_000);
  });

  it('TSCOMPOSE_ENGINE_TIMEOUT raises (or lowers) every answer limit; 0 turns them off', () => {
    expect(limitsFor('GET', '/containers/json', { TSCOMPOSE_ENGINE_TIMEOUT: '300' }).responseMs).toBe(300_000);
    expect(limitsFor('POST', '/images/create', { TSCOMPOSE_ENGINE_TIMEOUT: '300' }).responseMs).toBe(300_000);
    expect(limitsFor('GET', '/containers/json', { TSCOMPOSE_ENGINE_TIMEOUT: '0.5' }).responseMs).toBe(500);
    expect(limitsFor('GET', '/containers/json', { TSCOMPOSE_ENGINE_TIMEOUT: '0' }).responseMs).toBeNull();
    expect(() => answerLimitMs({ TSCOMPOSE_ENGINE_TIMEOUT: 'abc' })).toThrow(/not a number of seconds/);
    expect(() => answerLimitMs({ TSCOMPOSE_ENGINE_TIMEOUT: '-1' })).toThrow(/not a number of seconds/);
  });

  it('names requests and durations for messages', () => {
    expect(describeRequest('get', '/v1.41/containers/json?all=1')).toBe('GET /containers/json');
    expect(formatSeconds(30_000)).toBe('30 s');
    expect(formatSeconds(1500)).toBe('1.5 s');
    expect(formatSeconds(120_000)).toBe('2 min');
  });
});

describe('DockerRuntime against a fake engine', () => {
  let engine: FakeEngine | undefined;
  afterEach(async () => {
    await engine?.close();
    engine = undefined;
  });
  const rt = (e: FakeEngine, seconds: string) => new DockerRuntime({ url: e.url, options: { socketPath: e.socketPath } }, { TSCOMPOSE_ENGINE_TIMEOUT: seconds });

  it('a silent engine fails a plain call with one line naming the endpoint, the limit and the request', async () => {
    engine = await startFakeEngine();
    const err = await rt(engine, '0.3').listContainers().catch((e: unknown) => e);
    expect(isRuntimeError(err, 'timeout')).toBe(true);
    const msg = (err as Error).message;
    expect(msg).toBe(`the Docker engine at ${engine.url} accepted the connection but did not answer within 0.3 s (GET /containers/json); is dockerd healthy? TSCOMPOSE_ENGINE_TIMEOUT=SECONDS raises the limit`);
  }, 10_000);

  it('headers then a body that never ends cut a plain call too', async () => {
    engine = await startFakeEngine((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('[');
    });
    const err = await rt(engine, '0.3').listNetworks().catch((e: unknown) => e);
    expect(isRuntimeError(err, 'timeout')).toBe(true);
  }, 10_000);

  it('a wait whose headers came at once is never cut, however long it takes', async () => {
    engine = await startFakeEngine((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.flushHeaders();
      setTimeout(() => res.end('{"StatusCode":3}'), 1200);
    });
    expect(await rt(engine, '0.3').waitContainer('abc')).toBe(3);
  }, 10_000);

  it('a stop with t=1 is allowed its grace period plus the limit', async () => {
    engine = await startFakeEngine((_req, res) => {
      setTimeout(() => {
        res.writeHead(204);
        res.end();
      }, 1000);
    });
    await expect(rt(engine, '0.5').stopContainer('abc', { timeout: 1 })).resolves.toBeUndefined();
  }, 10_000);

  it('a follow-progress stream (pull) keeps going long after its limit once it started', async () => {
    engine = await startFakeEngine((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"status":"Pulling"}\n');
      setTimeout(() => res.end('{"status":"Done"}\n'), 800);
    });
    const seen: string[] = [];
    await rt(engine, '0.3').pullImage('busybox:latest', (p) => seen.push(String((p as { status?: string }).status)));
    expect(seen).toEqual(['Pulling', 'Done']);
  }, 10_000);

  it('a bad TSCOMPOSE_ENGINE_TIMEOUT is a user error before any call', () => {
    expect(() => new DockerRuntime({ url: 'unix:///x', options: { socketPath: '/x' } }, { TSCOMPOSE_ENGINE_TIMEOUT: 'soon' })).toThrow(/TSCOMPOSE_ENGINE_TIMEOUT=soon/);
  });
});
