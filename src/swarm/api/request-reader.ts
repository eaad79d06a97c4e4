import type http from 'node:http';
import type { Socket } from 'node:net';
import { ApiError, type ApiErrorBody } from './errors.js';

/**
 * The one request reader of every tsswarm HTTP server: the manager API, the node API and the
 * daemon's local socket (specs/api.md, "Request limits"). Three hand-written readers had drifted
 * (one capped bodies at 256 KiB, the local socket not at all: 50 MB was accepted and parsed), and
 * a deep JSON body reached zod's recursion and answered 500. Here every refusal is an ApiError, a
 * 4xx with `{code, message, field}`; a 5xx from these servers is a bug.
 *
 * Pure checks (`checkHeaders`, `checkContentType`, `parseJsonBounded`) sit beside the two edges
 * that touch sockets: `limitServer` (Node's own header and timeout limits, answered as JSON) and
 * `readBody`; `withDeadline` bounds a handler and `sendJson` writes the answer.
 */

export interface ReaderLimits {
  /** Body bytes, for every method (a GET's body is read under the same bound). */
  bodyBytes: number;
  /** Nesting of arrays and objects in a JSON body. */
  jsonDepth: number;
  /** Header bytes (Node's maxHeaderSize: request line and headers together). */
  headerBytes: number;
  /** Header lines. */
  headerLines: number;
  /** From the connection's first byte of a request to its last header. */
  headerTimeoutMs: number;
  /** From the first byte of a request to its last body byte. */
  requestTimeoutMs: number;
  /** From the whole request read to the answer: then 504 `indeterminate` (it may have been applied). */
  handlerDeadlineMs: number;
}

export const READER_LIMITS: Readonly<ReaderLimits> = Object.freeze({
  bodyBytes: 1024 * 1024,
  jsonDepth: 32,
  headerBytes: 16 * 1024,
  headerLines: 64,
  headerTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  handlerDeadlineMs: 25_000,
});

/**
 * Options for `http.createServer` / `https.createServer` that only the constructor takes. Node looks
 * for expired header and request timers every `connectionsCheckingInterval` (30 s by default, which
 * would let a slow sender hold a connection three times the header timeout).
 */
export function serverOptions(limits: Readonly<ReaderLimits> = READER_LIMITS): { maxHeaderSize: number; connectionsCheckingInterval: number } {
  return { maxHeaderSize: limits.headerBytes, connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(limits.headerTimeoutMs / 4))) };
}

/**
 * Node's limits on `server`, with its refusals answered as our JSON errors (its own would be a bare
 * `HTTP/1.1 431` or `408` without a body the client can read). The whole-request timeout is also
 * enforced by `readBody`, precisely; Node's, a little later, is the backstop for a request whose
 * handler has not started reading.
 */
export function limitServer(server: http.Server, limits: Readonly<ReaderLimits> = READER_LIMITS): void {
  server.headersTimeout = limits.headerTimeoutMs;
  server.requestTimeout = limits.requestTimeoutMs + 2000;
  // One more than allowed, so that a request over the limit is seen (Node drops the rest silently).
  server.maxHeadersCount = limits.headerLines + 1;
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    const e = clientErrorOf(err, limits);
    if (e === null || !socket.writable) return void socket.destroy();
    const body = JSON.stringify(e.toBody());
    socket.end(`HTTP/1.1 ${e.status} ${REASONS[e.status] ?? 'Error'}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
  });
}

const REASONS: Record<number, string> = { 400: 'Bad Request', 408: 'Request Timeout', 413: 'Payload Too Large', 415: 'Unsupported Media Type', 431: 'Request Header Fields Too Large' };

/** What a parser-level failure answers; null: nothing (the peer is gone). */
export function clientErrorOf(err: NodeJS.ErrnoException, limits: Readonly<ReaderLimits> = READER_LIMITS): ApiError | null {
  switch (err.code) {
    case 'ECONNRESET':
    case 'EPIPE':
      return null;
    case 'HPE_HEADER_OVERFLOW':
      return new ApiError('too-large', `request headers larger than ${limits.headerBytes} bytes`, { field: 'headers', status: 431 });
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return new ApiError('timeout', `the request did not arrive within ${limits.headerTimeoutMs / 1000} s (headers) / ${limits.requestTimeoutMs / 1000} s (whole)`);
    default:
      return new ApiError('invalid', `malformed HTTP request${err.code ? ` (${err.code})` : ''}`);
  }
}

/** The request's method and URL; a target URL cannot parse is a 400, never a 500. */
export function requestUrl(req: http.IncomingMessage, base = 'http://local'): { url: URL; method: string } {
  try {
    return { url: new URL(req.url ?? '/', base), method: req.method ?? 'GET' };
  } catch {
    throw new ApiError('invalid', 'malformed request target', { field: 'path' });
  }
}

/** Header count (Node has already bounded their bytes). `rawHeaders` alternates names and values. */
export function checkHeaders(rawHeaders: readonly string[], limits: Readonly<ReaderLimits> = READER_LIMITS): ApiError | null {
  const lines = rawHeaders.length / 2;
  if (lines > limits.headerLines) return new ApiError('too-large', `more than ${limits.headerLines} header lines`, { field: 'headers', status: 431 });
  return null;
}

/**
 * A body must say it is JSON (`application/json`, any charset of UTF-8); no content type at all is
 * taken as JSON too, since curl and older clients leave it out. Anything else is 415.
 */
export function checkContentType(contentType: string | undefined): ApiError | null {
  if (contentType === undefined || contentType.trim() === '') return null;
  const [type, ...params] = contentType.split(';').map((p) => p.trim().toLowerCase());
  if (type !== 'application/json' && !/^application\/[a-z0-9.+-]*\+json$/.test(type ?? '')) {
    return new ApiError('invalid', `request body must be application/json, not ${JSON.stringify(contentType.slice(0, 100))}`, { field: 'content-type', status: 415 });
  }
  const charset = params.find((p) => p.startsWith('charset='))?.slice(8).replace(/"/g, '');
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') return new ApiError('invalid', `request body must be UTF-8, not ${JSON.stringify(charset.slice(0, 40))}`, { field: 'content-type', status: 415 });
  return null;
}

/**
 * The deepest nesting of arrays and objects in JSON text, stopping as soon as it passes `max`:
 * one linear scan before JSON.parse, so no recursive walk (zod, canonical JSON, structuredClone)
 * ever meets a body deeper than the limit. Brackets inside strings do not count.
 */
export function jsonDepthOver(text: string, max: number): number | null {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return i;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return null;
}

/** A JSON body within the depth limit; empty text is "no body" (undefined). */
export function parseJsonBounded(text: string, limits: Readonly<ReaderLimits> = READER_LIMITS): unknown {
  if (text.trim() === '') return undefined;
  const at = jsonDepthOver(text, limits.jsonDepth);
  if (at !== null) throw new ApiError('invalid', `request body nests deeper than ${limits.jsonDepth} levels (at byte ${at})`, { field: null });
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new ApiError('invalid', `request body is not JSON: ${(e as Error).message.slice(0, 120)}`, { field: null });
  }
}

/**
 * Reads and parses the body of `req` under the limits: header lines, content type, size (refused
 * as soon as the bytes pass the limit, never buffered further), the rest of the whole-request time
 * (counted from `startedAt`, when the request's headers arrived), depth, JSON.
 */
export function readBody(req: http.IncomingMessage, limits: Readonly<ReaderLimits> = READER_LIMITS, startedAt: number = Date.now()): Promise<unknown> {
  const early = checkHeaders(req.rawHeaders, limits);
  if (early) return Promise.reject(early);
  const declared = req.headers['content-length'];
  // Far too large: refused at once, even if the reset that closing causes may cost the answer.
  if (declared !== undefined && Number(declared) > DRAIN_BYTES) return Promise.reject(tooLarge(limits));
  const hasBody = (declared !== undefined && Number(declared) > 0) || req.headers['transfer-encoding'] !== undefined;
  if (hasBody) {
    const ct = checkContentType(req.headers['content-type']);
    if (ct) return Promise.reject(ct);
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (fn: () => void): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      fn();
    };
    const timer = setTimeout(
      () => finish(() => reject(new ApiError('timeout', `the request body did not arrive within ${limits.requestTimeoutMs / 1000} s`))),
      Math.max(0, limits.requestTimeoutMs - (Date.now() - startedAt)),
    );
    timer.unref();
    req.on('data', (c: Buffer) => {
      if (done) return;
      size += c.length;
      // Over the limit: nothing more is kept, but the rest is read (up to DRAIN_BYTES) before the
      // 413, so the client has finished writing when the answer comes and no reset overtakes it.
      if (size > DRAIN_BYTES) return finish(() => reject(tooLarge(limits)));
      if (size <= limits.bodyBytes) chunks.push(c);
    });
    req.on('error', (e) => finish(() => reject(e)));
    req.on('aborted', () => finish(() => reject(new ApiError('invalid', 'the request was aborted before its body ended'))));
    req.on('end', () =>
      finish(() => {
        if (size > limits.bodyBytes) return reject(tooLarge(limits));
        try {
          resolve(parseJsonBounded(Buffer.concat(chunks).toString('utf8'), limits));
        } catch (e) {
          reject(e instanceof Error ? e : new Error(String(e)));
        }
      }),
    );
  });
}

/** How much of a body over the limit is read and dropped before the 413 (see readBody). */
const DRAIN_BYTES = 8 * 1024 * 1024;

function tooLarge(limits: Readonly<ReaderLimits>): ApiError {
  return new ApiError('too-large', `request body larger than ${limits.bodyBytes} bytes`, { field: 'body' });
}

/**
 * `fn`, or 504 `indeterminate` once `ms` have passed: the handler goes on (a raft proposal cannot be
 * called back) and its late result is dropped, so the client must look before it retries a write.
 */
export async function withDeadline<T>(fn: () => Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ApiError('indeterminate', `no answer within ${ms / 1000} s: the request may have been applied`, { hint: 'look before retrying a write' })), ms);
    timer.unref();
  });
  const work = fn();
  // A handler that fails after the deadline must not become an unhandled rejection.
  work.catch(() => undefined);
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A JSON answer. After a 413 the connection stays: Node discards the rest of the body (closing
 * with unread bytes would send a reset that can overtake the answer); a slow one is cut at the
 * whole-request timeout. After a 408 it closes.
 */
export function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  if (res.headersSent || res.destroyed) return void res.end();
  const buf = Buffer.from(JSON.stringify(body ?? {}));
  const headers: Record<string, string> = { 'content-type': 'application/json', 'content-length': String(buf.length) };
  if (status === 408) headers.connection = 'close';
  res.writeHead(status, headers);
  res.end(buf);
}

export function sendError(res: http.ServerResponse, e: ApiError): void {
  const body: ApiErrorBody = e.toBody();
  sendJson(res, e.status, body);
}

/**
 * A refusal, after reading and dropping what is left of the body (up to DRAIN_BYTES, at most
 * `maxMs`): a request refused before its body was read (404, 401, 413 by content-length) would
 * otherwise be answered while the client still writes, and the reset from closing a connection
 * with unread bytes can overtake the answer.
 */
export async function refuse(req: http.IncomingMessage, res: http.ServerResponse, e: ApiError, maxMs = 2000): Promise<void> {
  await discardBody(req, maxMs);
  sendError(res, e);
}

function discardBody(req: http.IncomingMessage, maxMs: number): Promise<void> {
  if (req.complete || req.readableEnded || req.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    let n = 0;
    const done = (): void => {
      clearTimeout(timer);
      req.off('data', onData);
      resolve();
    };
    const onData = (c: Buffer): void => {
      n += c.length;
      if (n > DRAIN_BYTES) done();
    };
    const timer = setTimeout(done, maxMs);
    timer.unref();
    req.on('data', onData);
    req.once('end', done);
    req.once('close', done);
    req.once('error', done);
    req.resume();
  });
}
