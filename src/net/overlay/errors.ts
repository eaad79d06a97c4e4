/**
 * Errors of the overlay dataplane. Both carry the device (or table) they concern, so a failing pass
 * says which network broke; a command failure carries the program's stderr, which is where iproute2
 * and nft explain themselves ("RTNETLINK answers: File exists", "No such device").
 */
import { UserError } from '../../util/errors.js';

/** The wanted state cannot be programmed as given (bad address, duplicate VNI, ...). Nothing was run. */
export class OverlayWantedError extends UserError {
  /** Network key, device or field the problem is in, e.g. `overlays[net-a].remotes[2].mac`. */
  readonly path: string;
  constructor(path: string, message: string) {
    super(`overlay: ${path}: ${message}`, { code: 'invalid' });
    this.name = 'OverlayWantedError';
    this.path = path;
  }
}

/** A command of a plan (or an observation) failed. Commands before it were applied; the next pass re-plans. */
export class OverlayCommandError extends UserError {
  readonly subject: string;
  readonly argv: readonly string[];
  readonly stderr: string;
  /** The program's exit status (-1 when it could not be started or was killed). */
  readonly status: number;
  constructor(subject: string, argv: readonly string[], status: number, stderr: string, cause?: unknown) {
    super(`overlay: ${subject}: \`${argv.join(' ')}\` exited ${status}: ${stderr.trim() || '(no output)'}`, { code: 'failed', cause });
    this.name = 'OverlayCommandError';
    this.subject = subject;
    this.argv = argv;
    this.stderr = stderr;
    this.status = status;
  }
}

/** Kernel output we could not read (an iproute2 or nft whose JSON we do not understand). */
export class OverlayParseError extends UserError {
  readonly source: string;
  constructor(source: string, message: string) {
    super(`overlay: cannot read ${source}: ${message}`, { code: 'failed' });
    this.name = 'OverlayParseError';
    this.source = source;
  }
}
