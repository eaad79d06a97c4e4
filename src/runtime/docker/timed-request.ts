/**
 * Applies {@link RequestLimits} to one engine request: a connect timer until the socket is up, and
 * a response timer from the end of the request body until the headers (streams) or the whole
 * answer (plain calls). A request over its limit is destroyed with an {@link EngineTimeoutError},
 * which mapEngineError turns into a one-line RuntimeError.
 */
import type { ClientRequest, IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { describeRequest, type RequestLimits } from './engine-timeouts.js';

export type LimitsOf = (method: string, path: string) => RequestLimits;

export class EngineTimeoutError extends Error {
  readonly code = 'ETSCOMPOSE_ENGINE_TIMEOUT';
  constructor(
    readonly phase: 'connect' | 'answer',
    readonly limitMs: number,
    readonly request: string,
    readonly raisedBy: string | undefined,
  ) {
    super(`${phase} timeout after ${limitMs} ms (${request})`);
    this.name = 'EngineTimeoutError';
  }
}

export function isEngineTimeoutError(e: unknown): e is EngineTimeoutError {
  return e instanceof EngineTimeoutError;
}

export function timeRequest(req: ClientRequest, limits: RequestLimits): void {
  const request = describeRequest(req.method, req.path);
  let connectTimer: NodeJS.Timeout | undefined;
  let responseTimer: NodeJS.Timeout | undefined;
  const clear = (): void => {
    clearTimeout(connectTimer);
    clearTimeout(responseTimer);
  };
  const fail = (phase: 'connect' | 'answer', ms: number): void => {
    clear();
    req.destroy(new EngineTimeoutError(phase, ms, request, phase === 'answer' ? limits.raisedBy : undefined));
  };
  req.once('socket', (socket: Socket) => {
    // A kept-alive socket is connected already; a new one has until connectMs.
    if (!socket.connecting) return;
    connectTimer = setTimeout(() => fail('connect', limits.connectMs), limits.connectMs).unref();
    socket.once('connect', () => clearTimeout(connectTimer));
  });
  const { responseMs } = limits;
  if (responseMs !== null) {
    // A hijacked request (attach, exec) may keep its body open for stdin: its clock starts at once.
    const startResponseClock = (): void => {
      if (responseTimer === undefined) responseTimer = setTimeout(() => fail('answer', responseMs), responseMs).unref();
    };
    if (req.getHeader('upgrade') !== undefined) startResponseClock();
    else req.once('finish', startResponseClock);
    const answered = (res?: IncomingMessage): void => {
      if (limits.until === 'headers' || !res) return clear();
      res.once('end', clear);
      res.once('close', clear);
    };
    req.once('response', answered);
    req.once('upgrade', () => clear());
  }
  req.once('close', clear);
  req.once('error', clear);
}
