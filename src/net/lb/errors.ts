/**
 * Load-balancer errors. Input mistakes are {@link LbInputError}; a command that failed inside a
 * namespace is an {@link LbCommandError} carrying the namespace, the step, the tool's stderr and,
 * for nft, the script line it rejected, so a log line alone says what to look at.
 */
import { UserError } from '../../util/errors.js';

/** A VIP table the agent built wrong (a bad address, a VIP listed twice). */
export class LbInputError extends UserError {
  constructor(message: string, hint?: string) {
    super(message, { code: 'invalid', hint });
    this.name = 'LbInputError';
  }
}

/** Which part of programming a namespace failed. */
export type LbStep =
  | 'netns' // the namespace path does not exist (the container is gone) or cannot be read
  | 'full-sync' // the whole table, in one nft transaction
  | 'partial-sync' // the difference, in one nft transaction
  | 'remove' // deleting our table
  | 'conntrack' // deleting stale flows after a commit
  | 'ipvs' // ipvsadm-restore
  | 'inspect'; // nft -j list (verification only)

/** nft's own position report: `/dev/stdin:LINE:COL-COL: Error: ...`. */
export interface NftErrorLine {
  /** 1-based line in the script we sent. */
  line: number;
  /** That line of the script. */
  text: string;
}

export class LbCommandError extends UserError {
  readonly netns: string;
  readonly step: LbStep;
  readonly argv: readonly string[];
  /** The tool's exit status; null when it was killed or never started. */
  readonly status: number | null;
  readonly stderr: string;
  readonly nftLine: NftErrorLine | undefined;
  /**
   * True when the nft transaction was committed and only the follow-up (conntrack cleanup) failed:
   * the table is right, some stale flows may live on until their conntrack timeout.
   */
  readonly committed: boolean;
  constructor(opts: {
    netns: string;
    step: LbStep;
    argv: readonly string[];
    status: number | null;
    stderr: string;
    script?: string;
    committed?: boolean;
    cause?: unknown;
  }) {
    const nftLine = opts.script === undefined ? undefined : nftErrorLine(opts.stderr, opts.script);
    const first = opts.stderr.split('\n').find((l) => l.trim() !== '') ?? `exit status ${String(opts.status)}`;
    const at = nftLine ? ` at script line ${nftLine.line}: ${nftLine.text}` : '';
    super(`lb ${opts.step} in ${opts.netns} failed: ${first.trim()}${at}`, {
      code: opts.step === 'netns' ? 'not-found' : 'failed',
      cause: opts.cause,
    });
    this.name = 'LbCommandError';
    this.netns = opts.netns;
    this.step = opts.step;
    this.argv = opts.argv;
    this.status = opts.status;
    this.stderr = opts.stderr;
    this.nftLine = nftLine;
    this.committed = opts.committed ?? false;
  }
}

export function isLbCommandError(e: unknown, step?: LbStep): e is LbCommandError {
  return e instanceof LbCommandError && (step === undefined || e.step === step);
}

/** Finds the first line nft blamed in `stderr` and returns it with the script's text there. */
export function nftErrorLine(stderr: string, script: string): NftErrorLine | undefined {
  const m = /^(?:\/dev\/stdin|-):(\d+):/m.exec(stderr);
  if (!m?.[1]) return undefined;
  const line = Number(m[1]);
  return { line, text: script.split('\n')[line - 1] ?? '' };
}
