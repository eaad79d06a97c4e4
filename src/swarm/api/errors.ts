import { UserError, type ErrorCode } from '../../util/errors.js';

/** The wire codes of specs/api.md, each with its HTTP status. */
export const API_STATUS = {
  invalid: 400,
  unauthenticated: 401,
  forbidden: 403,
  'invalid-token': 403,
  'not-found': 404,
  conflict: 409,
  /** An id prefix that more than one object of the kind starts with (src/swarm/api/refs.ts). */
  ambiguous: 409,
  /** The request did not arrive in time (headers within 10 s, the whole request within 30 s). */
  timeout: 408,
  /** Body over 1 MiB (413), or headers over 16 KiB / 64 lines (sent as 431, same code). */
  'too-large': 413,
  unavailable: 503,
  /**
   * The request reached a manager (or its leader) and no answer came back: a write may have been
   * applied or not. Never retried blindly for writes (specs/api.md, "Retries").
   */
  indeterminate: 504,
  internal: 500,
} as const;
export type ApiCode = keyof typeof API_STATUS;

/** The error body every non-2xx answer carries. */
export interface ApiErrorBody {
  code: ApiCode;
  message: string;
  field: string | null;
  /** What to do about it, when the server knows (the CLI prints it as `hint:`). */
  hint?: string;
}

const USER_CODE: Record<ApiCode, ErrorCode> = {
  invalid: 'invalid',
  unauthenticated: 'invalid',
  forbidden: 'invalid',
  'invalid-token': 'invalid',
  'not-found': 'not-found',
  conflict: 'conflict',
  ambiguous: 'conflict',
  timeout: 'timeout',
  'too-large': 'invalid',
  unavailable: 'unavailable',
  indeterminate: 'unavailable',
  internal: 'failed',
};

/** An API refusal: raised by handlers, serialised at the edge, and rebuilt by the client. */
export class ApiError extends UserError {
  readonly apiCode: ApiCode;
  readonly field: string | null;
  readonly status: number;
  /**
   * `status` overrides the code's usual HTTP status where one code covers two (`too-large` is 431
   * for headers, `invalid` is 415 for a body that is not JSON by its content type).
   */
  constructor(code: ApiCode, message: string, opts: { field?: string | null; hint?: string; status?: number } = {}) {
    super(message, { code: USER_CODE[code], ...(opts.hint === undefined ? {} : { hint: opts.hint }) });
    this.name = 'ApiError';
    this.apiCode = code;
    this.field = opts.field ?? null;
    this.status = opts.status ?? API_STATUS[code];
  }
  toBody(): ApiErrorBody {
    return { code: this.apiCode, message: this.message, field: this.field, ...(this.hint === undefined ? {} : { hint: this.hint }) };
  }
}

export function isApiError(e: unknown, code?: ApiCode): e is ApiError {
  return e instanceof ApiError && (code === undefined || e.apiCode === code);
}
