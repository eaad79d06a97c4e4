/** What every project command starts from: the loaded project and a runtime for the engine. */
import { loadProjectFromCli } from '../../src/compose/index.js';
import type { FileReader, Project } from '../../src/compose/types.js';
import { DockerRuntime } from '../../src/runtime/index.js';
import type { ContainerRuntime } from '../../src/runtime/runtime.js';
import type { GlobalOptions } from './global-options.js';
import { progressRenderer, type ProgressRenderer } from './progress.js';

export interface CommandContext {
  project: Project;
  runtime: ContainerRuntime;
  progress: ProgressRenderer;
}

export async function commandContext(globals: GlobalOptions, services: string[] = [], load: { reader?: FileReader } = {}): Promise<CommandContext> {
  const project = await loadProjectFromCli(globals, services, load.reader ? { reader: load.reader } : {});
  return { project, runtime: new DockerRuntime(), progress: progressRenderer(globals.progress) };
}
