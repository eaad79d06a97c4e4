/** `tscompose run`: flags -> src/engine/ops/run.ts; the one-off's exit code is returned. */
import { readFile } from 'node:fs/promises';
import { runCommand } from '../../../src/engine/ops/run.js';
import { UserError } from '../../../src/util/errors.js';
import type { GlobalOptions } from '../global-options.js';
import { opsContext } from './common.js';
import { withoutPullProgress } from '../../../src/engine/progress.js';

export interface RunFlags extends GlobalOptions {
  detach?: boolean;
  env: string[];
  label: string[];
  rm?: boolean;
  tty: boolean;
  interactive: boolean;
  name?: string;
  user?: string;
  workdir?: string;
  entrypoint?: string;
  capAdd: string[];
  capDrop: string[];
  deps: boolean;
  volume: string[];
  publish: string[];
  useAliases?: boolean;
  servicePorts?: boolean;
  quiet?: boolean;
  build?: boolean;
  pull?: string;
  quietPull?: boolean;
  envFromFile: string[];
}

/** KEY=VALUE lines of --env-from-file (comments, blanks and `export ` skipped; quotes removed). */
async function readEnvFile(path: string): Promise<string[]> {
  const text = await readFile(path, 'utf8').catch((e: unknown) => {
    throw new UserError(`--env-from-file: cannot read ${path}`, { code: 'not-found', cause: e });
  });
  return text
    .split(/\r?\n/)
    .map((l) => l.trim().replace(/^export\s+/, ''))
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => l.replace(/^([^=]+)=(["'])(.*)\2$/, '$1=$3'));
}

export async function run(service: string, command: string[], flags: RunFlags): Promise<number> {
  const { runtime, scope, progress } = await opsContext(flags, { requireModel: true, services: [service] });
  // Without a terminal on stdin there is nothing to drive a TTY: Compose turns it off then too.
  const tty = flags.tty && process.stdin.isTTY === true;
  let doneCalled = false;
  const done = (): void => {
    if (!doneCalled) progress.done();
    doneCalled = true;
  };
  const r = await runCommand(
    runtime,
    { name: scope.name, project: scope.project! },
    {
      service,
      command,
      env: [...(await Promise.all(flags.envFromFile.map(readEnvFile))).flat(), ...flags.env],
      labels: flags.label,
      publish: flags.publish,
      volumes: flags.volume,
      capAdd: flags.capAdd,
      capDrop: flags.capDrop,
      tty,
      interactive: flags.interactive,
      detach: flags.detach ?? false,
      rm: flags.rm ?? false,
      noDeps: !flags.deps,
      servicePorts: flags.servicePorts ?? false,
      useAliases: flags.useAliases ?? false,
      build: flags.build ?? false,
      ...(flags.pull && flags.pull !== 'policy' ? { pull: flags.pull } : {}),
      ...(flags.entrypoint !== undefined ? { entrypoint: flags.entrypoint } : {}),
      ...(flags.name ? { name: flags.name } : {}),
      ...(flags.user ? { user: flags.user } : {}),
      ...(flags.workdir ? { workdir: flags.workdir } : {}),
      cwd: process.cwd(),
      beforeAttach: done,
    },
    { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr },
    flags.quietPull ? withoutPullProgress(progress.sink) : progress.sink,
  ).finally(done);
  if (flags.detach && !flags.quiet) process.stdout.write(`${r.containerId}\n`);
  return r.exitCode;
}
