import { RuntimeError } from '../errors.js';
import { formatSeconds } from './engine-timeouts.js';
import { isEngineTimeoutError, type EngineTimeoutError } from './timed-request.js';

interface EngineFailure {
  statusCode?: number;
  code?: string;
  message?: string;
  json?: { message?: string } | null;
  reason?: string;
}

const CONNECT_CODES = new Set(['ECONNREFUSED', 'ENOENT', 'EACCES', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'ECONNRESET', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN']);

/** The engine's own message, without dockerode's "(HTTP code 409) conflict - " decoration. */
export function engineMessage(e: unknown): string {
  const f = e as EngineFailure;
  const json = f?.json;
  if (json && typeof json === 'object' && typeof json.message === 'string') return json.message.trim();
  const msg = e instanceof Error ? e.message : String(e);
  return msg.replace(/^\(HTTP code \d+\)\s*[a-z ]*-\s*/i, '').trim();
}

/**
 * Turns a dockerode failure into a {@link RuntimeError}. `what` names the call in the user's terms
 * ("create container web-1"); `endpoint` is the DOCKER_HOST we tried, for unreachable engines.
 */
export function mapEngineError(e: unknown, what: string, endpoint: string): RuntimeError {
  if (e instanceof RuntimeError) return e;
  if (isEngineTimeoutError(e)) return timeoutError(e, endpoint);
  const f = (e ?? {}) as EngineFailure;
  if (f.code && CONNECT_CODES.has(f.code) && f.statusCode === undefined) {
    const local = endpoint.startsWith('unix://');
    return new RuntimeError('unreachable', `cannot connect to the Docker engine at ${endpoint} (${f.code})`, {
      hint: local
        ? 'start it (e.g. `dockerd &` or `systemctl start docker`) or point DOCKER_HOST at a running engine'
        : 'check that the engine listens there, or set DOCKER_HOST to a running engine',
      cause: e,
    });
  }
  const msg = engineMessage(e);
  const status = f.statusCode;
  const opts = { statusCode: status, cause: e, engineMessage: msg } as const;
  if (/port is already allocated|address already in use/i.test(msg)) {
    const port = /(?:Bind for |listen tcp[46]? |listen udp[46]? )([^\s:]*:\d+)/.exec(msg)?.[1];
    return new RuntimeError('port-allocated', `${what}: host port ${port ?? ''} is already in use`.replace('  ', ' '), {
      ...opts,
      hint: 'stop whatever listens on that port (`docker ps`, `ss -ltnp`) or publish a different host port',
    });
  }
  if (status === 404) return new RuntimeError('not-found', `${what}: ${msg}`, opts);
  if (status === 409) return new RuntimeError('conflict', `${what}: ${msg}`, opts);
  if (status === 400) return new RuntimeError('invalid', `${what}: ${msg}`, opts);
  return new RuntimeError('failed', `${what}: ${msg}`, opts);
}

/** One line, no hint: the remedy (and the knob) fit in the message. */
function timeoutError(e: EngineTimeoutError, endpoint: string): RuntimeError {
  const limit = formatSeconds(e.limitMs);
  const message =
    e.phase === 'connect'
      ? `the Docker engine at ${endpoint} did not accept a connection within ${limit} (${e.request}); is dockerd running?`
      : `the Docker engine at ${endpoint} accepted the connection but did not answer within ${limit} (${e.request}); is dockerd healthy? ${e.raisedBy ?? 'TSCOMPOSE_ENGINE_TIMEOUT'}=SECONDS raises the limit`;
  return new RuntimeError('timeout', message, { cause: e });
}
