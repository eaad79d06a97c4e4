/** What every project command starts from: the loaded project and a runtime for the engine. */
import { loadProjectFromCli } from '../../src/compose/index.js';
import type { FileReader, Project } from '../../src/compose/types.js';
import { DockerRuntime } from '../../src/runtime/index.js';
import type { ContainerRuntime } from '../../src/runtime/runtime.js';
import type { GlobalOptions } from './global-options.js';
import { dryRunRenderer, progressRenderer, type ProgressRenderer } from './progress.js';
import { DryRunRuntime } from '../../src/runtime/dry-run-runtime.js';

export interface CommandContext {
  project: Project;
  runtime: ContainerRuntime;
  progress: ProgressRenderer;
}

export async function commandContext(globals: GlobalOptions, services: string[] = [], load: { reader?: FileReader } = {}): Promise<CommandContext> {
  const project = await loadProjectFromCli(globals, services, load.reader ? { reader: load.reader } : {});
  return { project, ...engineFor(globals) };
}

/** The engine and the progress renderer; with --dry-run, one that changes nothing and says so. */
export function engineFor(globals: GlobalOptions): { runtime: ContainerRuntime; progress: ProgressRenderer } {
  const progress = progressRenderer(globals.progress);
  if (globals.dryRun !== true) return { runtime: new DockerRuntime(), progress };
  return { runtime: new DryRunRuntime(new DockerRuntime()), progress: dryRunRenderer(progress) };
}
