/**
 * `tscompose watch [SERVICE...]`: as `docker compose watch`, brings the services up (detached,
 * building the watched ones) unless --no-up, then applies develop.watch rules until Ctrl-C or
 * SIGTERM, and exits 0. Watch messages go to stdout, engine progress and failures to stderr.
 * Also the watching half of `up --watch` (watchOutput with the log prefix).
 */
import { up } from '../../src/engine/up.js';
import { prepareWatch, runWatch, type WatchOutput } from '../../src/engine/watch/session.js';
import type { GlobalOptions } from './global-options.js';
import { commandContext } from './context.js';
import { checkNamedServices } from './flag-values.js';
import { progressRenderer } from './progress.js';

export interface WatchFlags extends GlobalOptions {
  /** commander's --no-up. */
  up?: boolean;
  prune?: boolean;
  quiet?: boolean;
}

/** Where watch writes: stdout lines (prefixed with Compose's ⦿ beside attached logs), stderr, progress. */
export function watchOutput(globals: GlobalOptions, opts: { prefix: boolean; quiet: boolean }): WatchOutput {
  const pre = opts.prefix ? '⦿ ' : '';
  return {
    log: (l) => void process.stdout.write(`${pre}${l}\n`),
    err: (l) => void process.stderr.write(`${pre}${l}\n`),
    progress: () => progressRenderer(globals.progress),
    ...(opts.quiet ? {} : { buildOutput: (_s: string, l: string) => void process.stdout.write(`${pre}${l}\n`) }),
  };
}

export async function watchCommand(services: string[], flags: WatchFlags): Promise<number> {
  const { project, runtime, progress } = await commandContext(flags, services);
  checkNamedServices(project, services);
  // Every rule is checked before anything is started: nothing half-applied.
  const prepared = await prepareWatch(project, services);
  const abort = new AbortController();
  const onSignal = (): void => {
    // A second Ctrl-C while a rebuild or sync is still finishing leaves at once.
    if (abort.signal.aborted) process.exit(130);
    abort.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  if (flags.up !== false) {
    try {
      await up(runtime, prepared.project, { services, progress: progress.sink, signal: abort.signal });
    } finally {
      progress.done();
    }
    // Interrupted while coming up: nothing to watch.
    if (abort.signal.aborted) return 0;
  }
  await runWatch(runtime, prepared, { signal: abort.signal, out: watchOutput(flags, { prefix: false, quiet: flags.quiet === true }), prune: flags.prune !== false });
  return 0;
}
