import { down } from '../../src/engine/down.js';
import { UserError } from '../../src/util/errors.js';
import type { GlobalOptions } from './global-options.js';
import { commandContext } from './context.js';
import { checkNamedServices, secondsFlag } from './flag-values.js';

export interface DownFlags extends GlobalOptions {
  volumes?: boolean;
  removeOrphans?: boolean;
  rmi?: string;
  timeout?: string;
  dryRun?: boolean;
}

export async function downCommand(services: string[], flags: DownFlags): Promise<number> {
  if (flags.rmi !== undefined && flags.rmi !== 'local' && flags.rmi !== 'all') throw new UserError(`--rmi must be local or all, got ${flags.rmi}`);
  const timeout = secondsFlag('--timeout', flags.timeout);
  const { project, runtime, progress } = await commandContext(flags);
  checkNamedServices(project, services);
  try {
    await down(runtime, project, {
      ...(flags.volumes ? { volumes: true } : {}),
      ...(flags.removeOrphans ? { removeOrphans: true } : {}),
      ...(flags.rmi ? { rmi: flags.rmi } : {}),
      ...(timeout !== undefined ? { timeout } : {}),
      ...(services.length ? { services } : {}),
      ...(flags.dryRun ? { dryRun: true } : {}),
      progress: progress.sink,
    });
  } finally {
    progress.done();
  }
  return 0;
}
