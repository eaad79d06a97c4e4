/**
 * What the day-2 command files share: the engine connection, the project scope, colour and TTY
 * decisions, Ctrl-C as an AbortSignal, and the yes/no prompt. No command logic lives here.
 */
import { createInterface } from 'node:readline';
import { loadScope, type Scope } from '../../../src/engine/ops/scope.js';
import type { ContainerRuntime } from '../../../src/runtime/runtime.js';
import type { GlobalOptions } from '../global-options.js';
import type { ProgressRenderer } from '../progress.js';
import { engineFor } from '../context.js';
import { checkNamedServices } from '../flag-values.js';

export interface OpsContext {
  runtime: ContainerRuntime;
  scope: Scope;
  progress: ProgressRenderer;
}

/**
 * The scope and a runtime. Services named on the command line are checked against the model here,
 * before any engine call; without a model only the engine's containers can tell, later.
 */
export async function opsContext(globals: GlobalOptions, opts: { requireModel?: boolean; services?: readonly string[] } = {}): Promise<OpsContext> {
  const scope = await loadScope(globals, opts);
  if (scope.project && opts.services?.length) checkNamedServices(scope.project, opts.services);
  return { scope, ...engineFor(globals) };
}

/** --ansi and --no-color decide; "auto" means colour only on a terminal. */
export function useColour(globals: GlobalOptions, noColor: boolean | undefined): boolean {
  if (noColor || globals.ansi === 'never' || process.env.NO_COLOR) return false;
  if (globals.ansi === 'always') return true;
  return process.stdout.isTTY === true;
}

/** An AbortSignal fired by the first Ctrl-C or SIGTERM (a second one exits at once). */
export function interruptSignal(): AbortSignal {
  const ac = new AbortController();
  const onSignal = (): void => {
    if (ac.signal.aborted) process.exit(130);
    ac.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return ac.signal;
}


/**
 * Compose's prompt: on a terminal a question answered with y/N; on a pipe the message is printed
 * and one line is read (empty or EOF means no), so `yes | tscompose rm` works and a closed stdin
 * removes nothing.
 */
export async function confirm(message: string): Promise<boolean> {
  const tty = process.stdin.isTTY === true;
  process.stdout.write(tty ? `? ${message} Yes/No [y/N] ` : message);
  const answer = await new Promise<string>((resolve) => {
    const rl = createInterface({ input: process.stdin, terminal: false });
    let got = false;
    rl.once('line', (l) => {
      got = true;
      rl.close();
      resolve(l);
    });
    rl.once('close', () => {
      if (!got) resolve('');
    });
  });
  if (!tty) process.stdout.write('\n');
  return /^(y|yes|true|1)$/i.test(answer.trim());
}
