/**
 * `tscompose up`: converge, then either return (-d) or attach: stream every container's logs with
 * coloured prefixes until they all exit. Ctrl-C stops the project gracefully; a second Ctrl-C kills.
 */
import { up } from '../../src/engine/up.js';
import { lifecycleCommand } from '../../src/engine/ops/lifecycle.js';
import { logsCommand } from '../../src/engine/ops/logs.js';
import { selectContainers } from '../../src/engine/ops/select-containers.js';
import { UserError } from '../../src/util/errors.js';
import { NodeFileReader, RecordingFileReader } from '../../src/compose/index.js';
import type { ProgressSink } from '../../src/engine/progress.js';
import { rememberUp } from './fast-up.js';
import type { GlobalOptions } from './global-options.js';
import { commandContext } from './context.js';
import { checkNamedServices, checkRecreateFlags, parseScale, secondsFlag } from './flag-values.js';
import { PULL_POLICIES } from '../../src/engine/images.js';
import { useColour } from './ops/common.js';
import { prepareWatch, runWatch, type PreparedWatch } from '../../src/engine/watch/session.js';
import type { Project } from '../../src/compose/types.js';
import type { ContainerRuntime } from '../../src/runtime/runtime.js';
import { watchOutput } from './watch.js';

export interface UpFlags extends GlobalOptions {
  detach?: boolean;
  scale?: string[];
  forceRecreate?: boolean;
  alwaysRecreateDeps?: boolean;
  renewAnonVolumes?: boolean;
  dryRun?: boolean;
  recreate?: boolean;
  deps?: boolean;
  removeOrphans?: boolean;
  wait?: boolean;
  waitTimeout?: string;
  start?: boolean;
  build?: boolean;
  pull?: string;
  timeout?: string;
  abortOnContainerExit?: boolean;
  exitCodeFrom?: string;
  attach?: string[];
  noAttach?: string[];
  color?: boolean;
  noLogPrefix?: boolean;
  quietPull?: boolean;
  timestamps?: boolean;
  /** --watch: develop.watch rules applied while attached (cli/compose/watch.ts). */
  watch?: boolean;
}

/** What attached `up` follows: every container's logs, prefixed and coloured as flags say. */
function attachedLogs(flags: UpFlags, services: string[], signal: AbortSignal, onStreamEnd: (id: string) => void): Parameters<typeof logsCommand>[2] {
  return { services, follow: true, prefix: !flags.noLogPrefix, colour: useColour(flags, flags.color === false), timestamps: flags.timestamps ?? false, signal, onStreamEnd };
}

/**
 * Resolves once a container's log stream has ended, or after a bound (a container never followed,
 * a stream the engine holds open), so `exited with code` comes after the container's last line.
 */
function streamEnds(): { ended: (id: string) => void; waitFor: (id: string) => Promise<void> } {
  const seen = new Set<string>();
  const waiting = new Map<string, () => void>();
  return {
    ended: (id) => {
      seen.add(id);
      waiting.get(id)?.();
    },
    waitFor: (id) =>
      seen.has(id)
        ? Promise.resolve()
        : new Promise<void>((resolve) => {
            waiting.set(id, resolve);
            setTimeout(resolve, 2000).unref();
          }),
  };
}

/** The engine's up options from the flags, values already checked. */
function upOptions(flags: UpFlags, services: string[], scale: Record<string, number>, timeout: number | undefined, waitTimeout: number | undefined): Parameters<typeof up>[2] {
  return {
    services,
    ...(flags.deps === false ? { noDeps: true } : {}),
    scale,
    ...(flags.forceRecreate ? { forceRecreate: true } : {}),
    ...(flags.alwaysRecreateDeps ? { alwaysRecreateDeps: true } : {}),
    ...(flags.renewAnonVolumes ? { renewAnonVolumes: true } : {}),
    ...(flags.dryRun ? { dryRun: true } : {}),
    ...(flags.recreate === false ? { noRecreate: true } : {}),
    ...(flags.start === false ? { noStart: true } : {}),
    ...(flags.removeOrphans ? { removeOrphans: true } : {}),
    ...(flags.build ? { build: true } : {}),
    ...(flags.pull ? { pull: flags.pull } : {}),
    ...(timeout !== undefined ? { timeout } : {}),
    ...(flags.wait ? { wait: true } : {}),
    ...(waitTimeout !== undefined ? { waitTimeoutMs: waitTimeout * 1000 } : {}),
  };
}

export async function upCommand(services: string[], flags: UpFlags): Promise<number> {
  // Every flag value, then every name, before the engine is asked anything.
  checkRecreateFlags(flags);
  const scale = parseScale(flags.scale);
  const timeout = secondsFlag('--timeout', flags.timeout);
  const waitTimeout = secondsFlag('--wait-timeout', flags.waitTimeout);
  if (flags.pull !== undefined && !PULL_POLICIES.includes(flags.pull)) {
    throw new UserError(`invalid --pull value "${flags.pull}"`, { code: 'invalid', hint: `use one of: ${PULL_POLICIES.join(', ')}` });
  }
  const reader = new RecordingFileReader(new NodeFileReader());
  const ctx = await commandContext(flags, services, { reader });
  const { runtime, progress } = ctx;
  let { project } = ctx;
  checkNamedServices(project, [...services, ...Object.keys(scale)]);
  const detach = flags.detach || flags.wait || flags.start === false;
  const watching = await watchSetup(flags, project, services, detach);
  if (watching) project = watching.project;
  let shown = 0;
  const sink: ProgressSink = (e) => {
    // --quiet-pull: an image's Pulling/Pulled, not its layers' progress (Compose's behaviour).
    if (flags.quietPull && e.parent !== undefined) return;
    shown++;
    progress.sink(e);
  };
  if (flags.exitCodeFrom && !project.services[flags.exitCodeFrom]) throw new UserError(`--exit-code-from: no such service ${flags.exitCodeFrom}`);
  const abort = new AbortController();
  let interrupts = 0;
  const onSigint = (): void => {
    interrupts++;
    abort.abort();
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);
  let result;
  try {
    result = await up(runtime, project, {
      ...upOptions(flags, services, scale, timeout, waitTimeout),
      progress: sink,
      signal: abort.signal,
    });
  } finally {
    progress.done();
  }
  // --dry-run printed its plan; no memo is kept of an up that did nothing.
  if (flags.dryRun) return 0;
  if (detach) {
    // Flags that recreate or build on every run never make a no-op worth remembering.
    const forcing = flags.forceRecreate || flags.alwaysRecreateDeps || flags.renewAnonVolumes || flags.build || flags.pull;
    const plainDetach = !flags.wait && flags.start !== false && !forcing && !flags.abortOnContainerExit && !flags.exitCodeFrom;
    await rememberUp({ project, result, accesses: reader.accesses, eligible: plainDetach && !reader.usedStdin && shown === 0 });
    return 0;
  }

  // Attached: follow logs of the services' containers until they all stop.
  const { attach, noAttach } = attachFlags(process.argv);
  const attachSet = attach.length ? attach : result.services.filter((s) => project.services[s]?.attach !== false && !noAttach.includes(s));
  const scope = { name: project.name, project };
  const logAbort = new AbortController();
  const streams = streamEnds();
  // Attached up shows the containers' stdout and stderr together on stdout, as Compose does.
  const toStdout = (l: string): void => void process.stdout.write(`${l}\n`);
  const logs = attachSet.length
    ? logsCommand(
        runtime,
        scope,
        attachedLogs(flags, attachSet, logAbort.signal, streams.ended),
        { stdout: toStdout, stderr: toStdout },
      )
    : Promise.resolve();
  const watched = await selectContainers(runtime, scope, { services: result.services });
  let exitCode = 0;
  const stopAll = async (kill: boolean): Promise<void> => {
    process.stderr.write(kill ? 'Killing...\n' : 'Gracefully stopping... (press Ctrl+C again to force)\n');
    await lifecycleCommand(
      runtime,
      scope,
      kill ? 'kill' : 'stop',
      { services: result.services, oneOff: 'exclude', ...(timeout !== undefined ? { timeout } : {}) },
      progress.sink,
    ).catch((e: unknown) => {
      // The kill of a second Ctrl-C can find everything already stopped: nothing left to do.
      if (!kill) throw e;
    });
  };
  const stopWatch = startWatch(runtime, watching, flags, abort.signal);
  const exits = watched.map(async (c) => {
    const code = await runtime.waitContainer(c.id).catch(() => -1);
    if (attachSet.includes(c.service)) await streams.waitFor(c.id);
    process.stdout.write(`${c.service}-${c.number} exited with code ${code}\n`);
    return { c, code };
  });
  const firstExit = Promise.race(exits);
  const interrupted = new Promise<'int'>((resolve) => {
    if (abort.signal.aborted) resolve('int');
    abort.signal.addEventListener('abort', () => resolve('int'), { once: true });
  });
  if (flags.abortOnContainerExit || flags.exitCodeFrom) {
    const first = await Promise.race([firstExit, interrupted]);
    if (first !== 'int') exitCode = first.code;
    await stopAll(false);
  } else {
    // Watching, the session lasts until Ctrl-C: a rebuild replaces containers, their exits end nothing.
    const allExited = watching ? new Promise<never>(() => undefined) : Promise.all(exits).then(() => 'exited' as const);
    const r = await Promise.race([allExited, interrupted]);
    if (r === 'int') {
      // A second Ctrl-C while stopping kills instead of waiting for the grace period.
      process.removeListener('SIGINT', onSigint);
      process.once('SIGINT', () => void stopAll(true));
      await stopAll(false);
      exitCode = 130;
    }
  }
  await stopWatch();
  if (flags.exitCodeFrom) {
    const target = watched.find((c) => c.service === flags.exitCodeFrom);
    if (target) exitCode = (await runtime.inspectContainer(target.id)).exitCode;
  }
  // Followed log streams end by themselves once their containers have stopped; under load the last
  // lines can arrive after the exit event, so give them time before cutting the streams.
  await Promise.race([logs.catch(() => undefined), new Promise((r) => setTimeout(r, 5000).unref())]);
  logAbort.abort();
  void interrupts;
  return exitCode;
}

/**
 * --watch: refused with a detached up, as Compose does (watching needs the attached session;
 * `watch` is the detached form); the rules checked before anything is started. Undefined: no watch.
 */
async function watchSetup(flags: UpFlags, project: Project, services: string[], detach: boolean | undefined): Promise<PreparedWatch | undefined> {
  if (!flags.watch || flags.dryRun) return undefined;
  if (detach) {
    throw new UserError(`${flags.wait ? '--wait' : flags.start === false ? '--no-start' : '--detach'} cannot be combined with --watch`, {
      code: 'invalid',
      hint: 'to watch without following logs: tscompose up -d, then tscompose watch',
    });
  }
  return prepareWatch(project, services);
}

/**
 * Watching beside the attached logs until `signal` (Ctrl-C) aborts; the returned function stops it
 * and waits. No pruning after rebuilds: Compose's `up --watch` does not prune (only `watch` does).
 */
function startWatch(runtime: ContainerRuntime, watching: PreparedWatch | undefined, flags: UpFlags, signal: AbortSignal): () => Promise<void> {
  if (!watching) return () => Promise.resolve();
  const ac = new AbortController();
  signal.addEventListener('abort', () => ac.abort(), { once: true });
  const done = runWatch(runtime, watching, { signal: ac.signal, out: watchOutput(flags, { prefix: true, quiet: false }), prune: false }).catch((e: unknown) => {
    process.stderr.write(`⦿ Watch disabled with errors: ${(e as Error).message}\n`);
  });
  return async () => {
    ac.abort();
    await done;
  };
}

/**
 * --attach / --no-attach from the raw arguments: commander reads `--no-attach X` as the negation of
 * `--attach` and files X under `attach`, so the two cannot be told apart from the parsed flags.
 */
export function attachFlags(argv: string[]): { attach: string[]; noAttach: string[] } {
  const out = { attach: [] as string[], noAttach: [] as string[] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    for (const [flag, list] of [['--attach', out.attach], ['--no-attach', out.noAttach]] as const) {
      if (a === flag && argv[i + 1] !== undefined) list.push(argv[++i]!);
      else if (a.startsWith(`${flag}=`)) list.push(a.slice(flag.length + 1));
    }
  }
  return out;
}
