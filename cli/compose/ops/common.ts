/**
 * What the day-2 command files share: the engine connection, the project scope, colour and TTY
 * decisions, Ctrl-C as an AbortSignal, and the yes/no prompt. No command logic lives here.
 */
import { createInterface } from 'node:readline';
import { loadScope, type Scope } from '../../../src/engine/ops/scope.js';
import { DockerRuntime } from '../../../src/runtime/index.js';
import type { ContainerRuntime } from '../../../src/runtime/runtime.js';
import { UserError } from '../../../src/util/errors.js';
import type { GlobalOptions } from '../global-options.js';
import { progressRenderer, type ProgressRenderer } from '../progress.js';

export interface OpsContext {
  runtime: ContainerRuntime;
  scope: Scope;
  progress: ProgressRenderer;
}

export async function opsContext(globals: GlobalOptions, opts: { requireModel?: boolean } = {}): Promise<OpsContext> {
  const scope = await loadScope(globals, opts);
  return { runtime: new DockerRuntime(), scope, progress: progressRenderer(globals.progress) };
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

/** Parses an integer flag value; commander hands strings over. */
export function intFlag(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(n)) throw new UserError(`${name} expects a whole number, got "${value}"`, { code: 'invalid' });
  return n;
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
