/**
 * How long an engine request may take, by what kind of request it is (pure: method, path and
 * environment in, limits out). The agent in timed-agent.ts applies it to every request.
 *
 * The same runtime drives tscompose and the tsswarm agents, so a limit must never cut a legitimate
 * long call: anything that streams (logs, attach, events, wait, exec, build output, pull and push
 * progress) is timed only until the engine answers with its headers, never after; `stop` and
 * `restart` get their grace period on top of the normal limit. What is left are calls the engine
 * answers at once when it is healthy, and those answer within TSCOMPOSE_ENGINE_TIMEOUT.
 */

/** What a limit waits for: `answer` = the whole response; `headers` = the response headers only. */
export type TimedUntil = 'answer' | 'headers';

export interface RequestLimits {
  /** Until the socket is connected. */
  connectMs: number;
  /** From the end of the request body until `until`; null = no limit. */
  responseMs: number | null;
  until: TimedUntil;
  /** The environment variable that raises `responseMs`, for messages. */
  raisedBy: string;
}

export const ENGINE_TIMEOUT_ENV = 'TSCOMPOSE_ENGINE_TIMEOUT';
export const DEFAULT_ANSWER_S = 30;
export const CONNECT_S = 10;
/** Pull, push and build reach a registry (or read a whole build context) before the first byte. */
export const SLOW_START_S = 120;
/** Removing a volume, image or container deletes its data (commit copies it): seconds per gigabyte on a slow disk. */
export const REMOVAL_S = 120;

/**
 * TSCOMPOSE_ENGINE_TIMEOUT in seconds (fractions allowed; 0 turns the answer limits off). A value
 * that is not a number is an error rather than silently the default: a user who set it wants it.
 */
export function answerLimitMs(env: Record<string, string | undefined>): number | null {
  const raw = env[ENGINE_TIMEOUT_ENV]?.trim();
  if (raw === undefined || raw === '') return DEFAULT_ANSWER_S * 1000;
  const s = Number(raw);
  if (!/^\d+(\.\d+)?$/.test(raw) || !Number.isFinite(s) || s > 86_400) {
    throw new RangeError(`${ENGINE_TIMEOUT_ENV}=${raw} is not a number of seconds between 0 and 86400`);
  }
  return s === 0 ? null : Math.max(1, Math.round(s * 1000));
}

const STREAMING: RegExp[] = [
  /^GET \/containers\/[^/]+\/logs$/,
  /^POST \/containers\/[^/]+\/attach$/,
  /^POST \/containers\/[^/]+\/wait$/,
  /^GET \/containers\/[^/]+\/archive$/,
  /^GET \/containers\/[^/]+\/export$/,
  /^GET \/containers\/[^/]+\/stats$/,
  /^POST \/exec\/[^/]+\/start$/,
  /^GET \/events$/,
  /^GET \/images\/[^/]+(?:\/[^/]+)*\/get$/,
];
const SLOW_START: RegExp[] = [/^POST \/images\/create$/, /^POST \/images\/.+\/push$/, /^POST \/build$/];
const SLOW_ANSWER: RegExp[] = [
  /^DELETE \/(?:volumes|images|containers)\/.+$/,
  /^POST \/(?:volumes|images|containers|networks|build)\/prune$/,
  /^GET \/distribution\/.+\/json$/,
  /^POST \/images\/load$/,
  // commit reads the container's whole writable layer into a new one before it answers.
  /^POST \/commit$/,
];
const GRACE: RegExp = /^POST \/containers\/[^/]+\/(?:stop|restart)$/;

/** Strips the API version prefix (`/v1.41`) and the query. */
function route(path: string): { route: string; query: URLSearchParams } {
  const q = path.indexOf('?');
  const bare = (q < 0 ? path : path.slice(0, q)).replace(/^\/v\d+(?:\.\d+)?(?=\/)/, '');
  return { route: bare, query: new URLSearchParams(q < 0 ? '' : path.slice(q + 1)) };
}

/** The limits for one request. `path` is the request path as sent (version prefix and query included). */
export function limitsFor(method: string, path: string, env: Record<string, string | undefined>): RequestLimits {
  const base = answerLimitMs(env);
  const { route: r, query } = route(path);
  const key = `${method.toUpperCase()} ${r}`;
  const raisedBy = ENGINE_TIMEOUT_ENV;
  const connectMs = CONNECT_S * 1000;
  if (STREAMING.some((re) => re.test(key))) return { connectMs, responseMs: base, until: 'headers', raisedBy };
  const slow = (s: number): number | null => (base === null ? null : Math.max(base, s * 1000));
  if (SLOW_START.some((re) => re.test(key))) return { connectMs, responseMs: slow(SLOW_START_S), until: 'headers', raisedBy };
  if (SLOW_ANSWER.some((re) => re.test(key))) return { connectMs, responseMs: slow(REMOVAL_S), until: 'answer', raisedBy };
  if (GRACE.test(key)) {
    // Without `t` the engine waits for the container's own StopTimeout, which we do not know here.
    const t = query.get('t');
    const grace = t !== null && /^\d+$/.test(t) ? Number(t) : null;
    if (grace === null || base === null) return { connectMs, responseMs: null, until: 'answer', raisedBy };
    return { connectMs, responseMs: base + grace * 1000, until: 'answer', raisedBy };
  }
  return { connectMs, responseMs: base, until: 'answer', raisedBy };
}

/** "30 s", "1.5 s", "2 min". */
export function formatSeconds(ms: number): string {
  const s = ms / 1000;
  if (s >= 120 && Number.isInteger(s / 60)) return `${s / 60} min`;
  return `${Number.isInteger(s) ? s : s.toFixed(1)} s`;
}

/** The request as a message names it: method and route without version prefix or query. */
export function describeRequest(method: string, path: string): string {
  return `${method.toUpperCase()} ${route(path).route}`;
}
