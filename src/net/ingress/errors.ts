/** Ingress errors: a table the agent built wrong, or a tool that failed on this host or in a backend's netns. */
import { UserError } from '../../util/errors.js';

export class IngressInputError extends UserError {
  constructor(message: string, hint?: string) {
    super(message, { code: 'invalid', hint });
    this.name = 'IngressInputError';
  }
}

export class IngressCommandError extends UserError {
  readonly argv: readonly string[];
  readonly stderr: string;
  constructor(what: string, argv: readonly string[], status: number | null, stderr: string) {
    const first = stderr.split('\n').find((l) => l.trim() !== '') ?? `exit status ${String(status)}`;
    super(`ingress ${what} failed: ${first.trim()} (${argv.join(' ')})`, { code: 'failed' });
    this.name = 'IngressCommandError';
    this.argv = argv;
    this.stderr = stderr;
  }
}
