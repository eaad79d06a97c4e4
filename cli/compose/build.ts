import { buildService } from '../../src/engine/images.js';
import { pushCommand } from '../../src/engine/ops/push.js';
import { UserError } from '../../src/util/errors.js';
import type { GlobalOptions } from './global-options.js';
import { commandContext } from './context.js';

export interface BuildFlags extends GlobalOptions {
  cache?: boolean;
  pull?: boolean;
  push?: boolean;
  quiet?: boolean;
  buildArg?: string[];
}

/** `tscompose build`: builds services with `build:` one at a time; `--push` then pushes them as `push` does. */
export async function buildCommand(services: string[], flags: BuildFlags): Promise<number> {
  const { project, runtime, progress } = await commandContext(flags, services);
  const names = services.length ? services : Object.keys(project.services).sort();
  const args: Record<string, string> = {};
  for (const a of flags.buildArg ?? []) {
    const i = a.indexOf('=');
    if (i < 0) args[a] = process.env[a] ?? '';
    else args[a.slice(0, i)] = a.slice(i + 1);
  }
  try {
    for (const name of names) {
      const svc = project.services[name];
      if (!svc) throw new UserError(`no such service: ${name}`, { code: 'not-found' });
      if (!svc.build) continue;
      const withArgs = Object.keys(args).length ? { ...svc, build: { ...svc.build, args: { ...(svc.build.args ?? {}), ...args } } } : svc;
      await buildService(runtime, project, withArgs, {
        ...(flags.cache === false ? { noCache: true } : {}),
        ...(flags.pull ? { pullBase: true } : {}),
        progress: progress.sink,
        ...(flags.quiet ? {} : { onBuildOutput: (s: string, l: string) => process.stderr.write(`#${s} ${l}\n`) }),
      });
    }
    if (flags.push) {
      const built = names.filter((n) => project.services[n]?.build);
      if (built.length) await pushCommand(runtime, { name: project.name, project }, { services: built, quiet: flags.quiet ?? false }, progress.sink);
    }
  } finally {
    progress.done();
  }
  return 0;
}
