/**
 * Typed errors of the per-host resolver. Configuration mistakes (a bad upstream, a bad subnet) are
 * `invalid`; an address we cannot bind is `unavailable` (not on this host yet: retried on the next
 * listen) or `conflict` (someone else holds the port).
 */
import { UserError, type ErrorCode } from '../../util/errors.js';

export class DnsConfigError extends UserError {
  constructor(message: string, hint?: string) {
    super(message, { code: 'invalid', ...(hint === undefined ? {} : { hint }) });
    this.name = 'DnsConfigError';
  }
}

/** One address the resolver could not bind, with the system error that said why. */
export interface DnsBindFailure {
  address: string;
  port: number;
  /** The errno name (`EADDRNOTAVAIL`, `EADDRINUSE`, `EACCES`, ...) or `unknown`. */
  errno: string;
  message: string;
}

/** Some addresses of a listen() call could not be bound; the others are serving. */
export class DnsListenError extends UserError {
  readonly failures: readonly DnsBindFailure[];
  constructor(failures: readonly DnsBindFailure[]) {
    const code: ErrorCode = failures.every((f) => f.errno === 'EADDRNOTAVAIL') ? 'unavailable' : 'conflict';
    super(failures.map((f) => f.message).join('\n'), {
      code,
      hint: code === 'unavailable' ? 'the resolver binds it on the next listen() once the network is up' : undefined,
    });
    this.name = 'DnsListenError';
    this.failures = failures;
  }
}

/** Words for a bind errno, naming the address: what the operator needs to read in a log line. */
export function describeBindError(address: string, port: number, errno: string): string {
  switch (errno) {
    case 'EADDRNOTAVAIL':
      return `address ${address} is not on this host yet (EADDRNOTAVAIL)`;
    case 'EADDRINUSE':
      return `port ${port} on ${address} is already in use by another process (EADDRINUSE)`;
    case 'EACCES':
      return `binding port ${port} on ${address} needs root or CAP_NET_BIND_SERVICE (EACCES)`;
    default:
      return `cannot listen on ${address}:${port} (${errno})`;
  }
}

export function errnoOf(e: unknown): string {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'unknown';
}
