/**
 * The shared request reader (src/swarm/api/request-reader.ts): its pure checks, a real HTTP server
 * on loopback with small limits (header size and lines, header and request timeouts, body size,
 * content type, depth, handler deadline), and the daemon's local socket, which used to read any
 * body without a limit. Every refusal must be a 4xx with a JSON `{code, message, field}`.
 */
import http from 'node:http';
import net from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  READER_LIMITS,
  checkContentType,
  checkHeaders,
  jsonDepthOver,
  limitServer,
  parseJsonBounded,
  readBody,
  sendError,
  sendJson,
  serverOptions,
  withDeadline,
  type ReaderLimits,
} from '../../../src/swarm/api/request-reader.js';
import { ApiError, isApiError } from '../../../src/swarm/api/errors.js';
import { toApiError } from '../../../src/swarm/manager/api-server.js';
import { Daemon } from '../../../src/swarm/daemon/daemon.js';

interface Answer {
  status: number;
  body: { code?: string; message?: string; field?: string | null } | null;
}

/**
 * Sends raw bytes (in pieces, with pauses) and reads one answer (status 0: none). It does not
 * half-close unless told: Node ends a half-closed connection before a slow answer.
 */
function rawRequest(to: { port: number } | { path: string }, pieces: Array<string | Buffer | number>, opts: { end?: boolean } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const s = 'port' in to ? net.connect(to.port, '127.0.0.1') : net.connect(to.path);
    const chunks: Buffer[] = [];
    s.on('data', (c: Buffer) => chunks.push(c));
    s.on('error', () => undefined);
    s.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const m = /^HTTP\/1\.1 (\d+)/.exec(text);
      if (!m) return resolve({ status: 0, body: null });
      const bodyText = text.slice(text.indexOf('\r\n\r\n') + 4);
      let body: Answer['body'];
      try {
        body = JSON.parse(bodyText) as Answer['body'];
      } catch {
        body = null;
      }
      resolve({ status: Number(m[1]), body });
    });
    s.on('connect', () => {
      void (async () => {
        for (const p of pieces) {
          if (typeof p === 'number') await new Promise((r) => setTimeout(r, p));
          else if (!s.destroyed) s.write(p);
        }
        if (opts.end === true && !s.destroyed) s.end();
      })().catch(reject);
    });
    setTimeout(() => s.destroy(), 10_000).unref();
  });
}

const SMALL: ReaderLimits = {
  ...READER_LIMITS,
  bodyBytes: 1024,
  jsonDepth: 4,
  headerBytes: 2048,
  headerLines: 8,
  headerTimeoutMs: 300,
  requestTimeoutMs: 600,
  handlerDeadlineMs: 200,
};

function req(method: string, path: string, body = '', headers: Record<string, string> = {}): string {
  const h = { host: 'x', connection: 'close', ...(body ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) } : {}), ...headers };
  return `${method} ${path} HTTP/1.1\r\n${Object.entries(h).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n${body}`;
}

describe('pure checks', () => {
  it('measures JSON depth without counting brackets inside strings', () => {
    expect(jsonDepthOver('[[[]]]', 3)).toBeNull();
    expect(jsonDepthOver('[[[[]]]]', 3)).toBe(3);
    expect(jsonDepthOver('{"a":"[[[[[[[[[[\\"[[[["}', 1)).toBeNull();
    expect(jsonDepthOver('['.repeat(1_000_000), 32)).toBe(32);
  });

  it('refuses a body deeper than the limit as invalid (it used to answer 500)', () => {
    const deep = '['.repeat(33) + ']'.repeat(33);
    expect(() => parseJsonBounded(deep)).toThrow(/deeper than 32/);
    expect(parseJsonBounded('['.repeat(32) + ']'.repeat(32))).toBeInstanceOf(Array);
    try {
      parseJsonBounded(deep);
    } catch (e) {
      expect(isApiError(e, 'invalid') && e.status).toBe(400);
    }
    expect(parseJsonBounded('')).toBeUndefined();
    expect(() => parseJsonBounded('{"a":')).toThrow(/not JSON/);
  });

  it('takes JSON (and no content type) and refuses other media types with 415', () => {
    expect(checkContentType('application/json')).toBeNull();
    expect(checkContentType('application/json; charset=utf-8')).toBeNull();
    expect(checkContentType(undefined)).toBeNull();
    expect(checkContentType('text/plain')?.status).toBe(415);
    expect(checkContentType('application/json; charset=latin1')?.status).toBe(415);
    expect(checkContentType('multipart/form-data; boundary=x')?.toBody()).toMatchObject({ code: 'invalid', field: 'content-type' });
  });

  it('counts header lines', () => {
    expect(checkHeaders(new Array(128).fill('a'))).toBeNull();
    const e = checkHeaders(new Array(130).fill('a'));
    expect(e?.status).toBe(431);
    expect(e?.apiCode).toBe('too-large');
  });

  it('answers 504 indeterminate after the handler deadline, and the late result is dropped', async () => {
    await expect(withDeadline(() => new Promise((r) => setTimeout(r, 500)), 50)).rejects.toMatchObject({ apiCode: 'indeterminate', status: 504 });
    await expect(withDeadline(async () => 7, 50)).resolves.toBe(7);
    // A handler failing after its deadline is no unhandled rejection.
    await expect(withDeadline(() => new Promise((_, j) => setTimeout(() => j(new Error('late')), 100)), 20)).rejects.toMatchObject({ apiCode: 'indeterminate' });
    await new Promise((r) => setTimeout(r, 150));
  });

  it('knows the new codes and their statuses', () => {
    expect(new ApiError('timeout', 'x').status).toBe(408);
    expect(new ApiError('too-large', 'x').status).toBe(413);
    expect(new ApiError('too-large', 'x', { status: 431 }).status).toBe(431);
  });
});

describe('a server with the shared reader (small limits)', () => {
  let server: http.Server;
  let port = 0;
  beforeAll(async () => {
    server = http.createServer(serverOptions(SMALL), (rq, rs) => {
      const startedAt = Date.now();
      void (async () => {
        try {
          const h = checkHeaders(rq.rawHeaders, SMALL);
          if (h) throw h;
          const body = await readBody(rq, SMALL, startedAt);
          const out = await withDeadline(async () => {
            if (rq.url === '/slow') await new Promise((r) => setTimeout(r, 1000));
            return { body: body ?? null };
          }, SMALL.handlerDeadlineMs);
          sendJson(rs, 200, out);
        } catch (e) {
          sendError(rs, toApiError(e));
        }
      })();
    });
    limitServer(server, SMALL);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('answers a good request', async () => {
    expect(await rawRequest({ port }, [req('POST', '/x', '{"a":[1,2]}')])).toEqual({ status: 200, body: { body: { a: [1, 2] } } });
  });

  it('refuses a body over the limit with 413, for GET too, also when it is not declared', async () => {
    const big = '"' + 'a'.repeat(5000) + '"';
    expect(await rawRequest({ port }, [req('GET', '/x', big)])).toMatchObject({ status: 413, body: { code: 'too-large', field: 'body' } });
    const chunked = `POST /x HTTP/1.1\r\nhost: x\r\nconnection: close\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n`;
    const chunk = `1000\r\n"${'b'.repeat(4094)}"\r\n`;
    expect(await rawRequest({ port }, [chunked, chunk, chunk, '0\r\n\r\n'])).toMatchObject({ status: 413, body: { code: 'too-large' } });
  });

  it('refuses deep JSON, non-JSON and wrong media types with 400/415', async () => {
    expect(await rawRequest({ port }, [req('POST', '/x', '[[[[[1]]]]]')])).toMatchObject({ status: 400, body: { code: 'invalid' } });
    expect(await rawRequest({ port }, [req('POST', '/x', '{"a":')])).toMatchObject({ status: 400, body: { code: 'invalid' } });
    expect(await rawRequest({ port }, [req('POST', '/x', 'a=1', { 'content-type': 'application/x-www-form-urlencoded' })])).toMatchObject({ status: 415, body: { code: 'invalid', field: 'content-type' } });
  });

  it('refuses headers over the size or the line limit with 431 and a JSON body', async () => {
    expect(await rawRequest({ port }, [req('GET', '/x', '', { 'x-big': 'y'.repeat(3000) })])).toMatchObject({ status: 431, body: { code: 'too-large', field: 'headers' } });
    const many = Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`x-h${i}`, 'v']));
    expect(await rawRequest({ port }, [req('GET', '/x', '', many)])).toMatchObject({ status: 431, body: { code: 'too-large' } });
  });

  it('answers 408 to headers that do not arrive in time', async () => {
    const a = await rawRequest({ port }, ['GET /x HTTP/1.1\r\nhost: x\r\n', 2000], { end: false });
    expect(a).toMatchObject({ status: 408, body: { code: 'timeout' } });
  });

  it('answers 408 to a body that does not arrive within the whole-request time', async () => {
    const head = `POST /x HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 20\r\n\r\n`;
    const a = await rawRequest({ port }, [head, '{"a":', 2000], { end: false });
    expect(a).toMatchObject({ status: 408, body: { code: 'timeout' } });
  });

  it('answers 504 indeterminate past the handler deadline', async () => {
    expect(await rawRequest({ port }, [req('GET', '/slow')])).toMatchObject({ status: 504, body: { code: 'indeterminate' } });
  });

  it('answers a malformed request line with 400 JSON', async () => {
    expect(await rawRequest({ port }, ['GE T / HTTP/1.1\r\n\r\n'])).toMatchObject({ status: 400, body: { code: 'invalid' } });
  });
});

describe("the daemon's local socket", () => {
  let dir = '';
  let daemon: Daemon;
  let path = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tsswarm-reader-'));
    path = join(dir, 'd.sock');
    daemon = new Daemon({ dataDir: join(dir, 'data'), socketPath: path, log: () => undefined });
    await daemon.start();
  });
  afterAll(async () => {
    await daemon.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses a 50 MB GET body with 413 instead of reading it', async () => {
    const head = `GET /local/info HTTP/1.1\r\nhost: x\r\nconnection: close\r\ncontent-type: application/json\r\ncontent-length: ${50 * 1024 * 1024}\r\n\r\n`;
    const a = await rawRequest({ path }, [head, Buffer.alloc(2 * 1024 * 1024, 0x20)]);
    expect(a).toMatchObject({ status: 413, body: { code: 'too-large' } });
  });

  it('refuses deep JSON to init with 400, not 500', async () => {
    const deep = '['.repeat(10_000) + ']'.repeat(10_000);
    expect(await rawRequest({ path }, [req('POST', '/local/init', deep)])).toMatchObject({ status: 400, body: { code: 'invalid' } });
  });

  it('answers an ordinary request and a bad %-escape as 4xx', async () => {
    expect(await rawRequest({ path }, [req('GET', '/local/info')])).toEqual({ status: 200, body: { member: false } });
    expect((await rawRequest({ path }, [req('GET', '/v1/services/%E0%A4%A')])).status).toBe(409);
  });
});
