import http from 'node:http';
import https from 'node:https';
import { ApiError, API_STATUS, type ApiCode } from './errors.js';

/** Client TLS material: the cluster root plus (once joined) this node's certificate. */
export interface ClientTls {
  ca?: string;
  cert?: string;
  key?: string;
  /**
   * Skip server verification. Only for `GET /v1/ca` during a join, whose answer is then checked
   * against the token's digest before anything secret is sent.
   */
  insecure?: boolean;
}

/** Where a request goes: a manager over HTTPS, or the local daemon's unix socket. */
export type Target = { kind: 'https'; addr: string; tls: ClientTls } | { kind: 'unix'; socketPath: string };

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'DELETE';
  body?: unknown;
  timeoutMs?: number;
  headers?: Record<string, string>;
}

function splitAddr(addr: string): { host: string; port: number } {
  const i = addr.lastIndexOf(':');
  return { host: addr.slice(0, i), port: Number(addr.slice(i + 1)) };
}

function isApiCode(s: unknown): s is ApiCode {
  return typeof s === 'string' && Object.hasOwn(API_STATUS, s);
}

/**
 * One JSON request. Non-2xx answers become the ApiError the server sent; a connection failure
 * becomes `unavailable` naming the target.
 */
export function apiRequest<T>(target: Target, path: string, opts: RequestOptions = {}): Promise<T> {
  const body = opts.body === undefined ? undefined : Buffer.from(JSON.stringify(opts.body));
  const headers: Record<string, string> = { accept: 'application/json', ...opts.headers };
  if (body) {
    headers['content-type'] = 'application/json';
    headers['content-length'] = String(body.length);
  }
  const method = opts.method ?? (body ? 'POST' : 'GET');
  const where = target.kind === 'unix' ? target.socketPath : target.addr;
  return new Promise<T>((resolve, reject) => {
    const onRes = (res: http.IncomingMessage): void => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = text === '' ? null : JSON.parse(text);
        } catch {
          reject(new ApiError('internal', `${where}: answer is not JSON (HTTP ${res.statusCode})`));
          return;
        }
        const status = res.statusCode ?? 500;
        if (status >= 200 && status < 300) return resolve(json as T);
        const e = (json ?? {}) as { code?: unknown; message?: unknown; field?: unknown; hint?: unknown };
        const code = isApiCode(e.code) ? e.code : 'internal';
        // The status travels too (431 and 415 share a code with 413 and 400), so a proxy passes it on as it came.
        reject(
          new ApiError(code, typeof e.message === 'string' ? e.message : `HTTP ${status}`, {
            field: typeof e.field === 'string' ? e.field : null,
            ...(typeof e.hint === 'string' ? { hint: e.hint } : {}),
            ...(isApiCode(e.code) && status >= 400 && status < 600 ? { status } : {}),
          }),
        );
      });
    };
    let req: http.ClientRequest;
    if (target.kind === 'unix') {
      req = http.request({ socketPath: target.socketPath, path, method, headers }, onRes);
    } else {
      const { host, port } = splitAddr(target.addr);
      const t = target.tls;
      req = https.request(
        {
          host,
          port,
          path,
          method,
          headers,
          agent: false,
          ...(t.ca ? { ca: t.ca } : {}),
          ...(t.cert ? { cert: t.cert } : {}),
          ...(t.key ? { key: t.key } : {}),
          // Pin the managers' name: only a certificate with OU/SAN swarm-manager can answer.
          servername: 'swarm-manager',
          rejectUnauthorized: !t.insecure,
        },
        onRes,
      );
    }
    // Whether the request may have reached the server: before the connection (and, over TLS, the
    // handshake) completed nothing was sent, so a failure then is a plain `unavailable`.
    let connected = false;
    req.on('socket', (sock) => {
      const ready = (): void => {
        connected = true;
      };
      // A kept-alive socket handed over again is connected already.
      if (!sock.connecting && target.kind === 'unix') ready();
      else if (target.kind === 'unix') sock.once('connect', ready);
      else sock.once('secureConnect', ready);
    });
    req.setTimeout(opts.timeoutMs ?? 10_000, () => req.destroy(new Error(`no answer within ${opts.timeoutMs ?? 10_000} ms`)));
    req.on('error', (e) => {
      if (connected) reject(new ApiError('indeterminate', `${where} did not answer after the request was sent: ${e.message}`));
      else reject(new ApiError('unavailable', `cannot reach ${where}: ${e.message}`));
    });
    req.end(body);
  });
}
