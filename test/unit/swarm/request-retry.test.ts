import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { apiRequest } from '../../../src/swarm/api/client.js';
import { ApiError } from '../../../src/swarm/api/errors.js';
import { afterFailure, isIdempotent } from '../../../src/swarm/api/retry-policy.js';

const dir = mkdtempSync(join(tmpdir(), 'tsretry-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (e) {
    return e instanceof ApiError ? e.apiCode : `not an ApiError: ${String(e)}`;
  }
}

/** A unix socket server doing `behave` with each connection (a fake manager, named as such). */
async function fakeServer(name: string, behave: (s: net.Socket) => void): Promise<{ path: string; close: () => Promise<void> }> {
  const path = join(dir, name);
  const open = new Set<net.Socket>();
  const srv = net.createServer((s) => {
    open.add(s);
    behave(s);
  });
  await new Promise<void>((r) => srv.listen(path, r));
  return {
    path,
    close: () => {
      for (const s of open) s.destroy();
      return new Promise<void>((r) => srv.close(() => r()));
    },
  };
}

describe('requests: not applied vs may have been applied (specs/api.md, "Retries")', () => {
  it('nothing listening: unavailable (nothing was sent)', async () => {
    expect(await code(apiRequest({ kind: 'unix', socketPath: join(dir, 'nobody') }, '/v1/services', { body: { spec: {} } }))).toBe('unavailable');
  });

  it('a server that takes the request and never answers: indeterminate', async () => {
    const silent = await fakeServer('silent', () => undefined);
    try {
      expect(await code(apiRequest({ kind: 'unix', socketPath: silent.path }, '/v1/services', { body: { spec: {} }, timeoutMs: 200 }))).toBe('indeterminate');
    } finally {
      await silent.close();
    }
  }, 5000);

  it('a server that hangs up on the request: indeterminate', async () => {
    const rude = await fakeServer('rude', (s) => s.once('data', () => s.destroy()));
    try {
      expect(await code(apiRequest({ kind: 'unix', socketPath: rude.path }, '/v1/services', { body: { spec: {} } }))).toBe('indeterminate');
    } finally {
      await rude.close();
    }
  }, 5000);

  it('writes go again only when they were not applied; reads and agent calls always', () => {
    const unavailable = new ApiError('unavailable', 'x');
    const unknown = new ApiError('indeterminate', 'x');
    expect(afterFailure(unavailable, 'POST', '/v1/services')).toBe('retry');
    expect(afterFailure(unknown, 'POST', '/v1/services')).toBe('fail');
    expect(afterFailure(unknown, 'DELETE', '/v1/secrets/abc')).toBe('fail');
    expect(afterFailure(unknown, 'GET', '/v1/services?x=1')).toBe('retry');
    expect(afterFailure(unknown, 'POST', '/v1/dispatcher/status')).toBe('retry');
    expect(afterFailure(new ApiError('conflict', 'x'), 'GET', '/v1/services')).toBe('fail');
    expect(isIdempotent('POST', '/v1/heartbeat')).toBe(true);
    expect(isIdempotent('POST', '/v1/heartbeats')).toBe(false);
  });
});
