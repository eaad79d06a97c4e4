/**
 * The bridge every tscompose command uses: global CLI flags + process environment -> Project,
 * with the loader's warnings on stderr.
 * Lives in src/ (not cli/) so commands stay thin; takes a structural type so it does not import
 * from cli/.
 */
import { NodeFileReader } from './node-reader.js';
import { loadProject } from './load.js';
import type { LoadOptions, Project } from './types.js';

export interface CliGlobals {
  file?: string[];
  projectName?: string;
  projectDirectory?: string;
  envFile?: string[];
  profile?: string[];
}

export async function loadProjectFromCli(
  globals: CliGlobals,
  services: string[] = [],
  extra: Partial<Pick<LoadOptions, 'interpolate' | 'normalize' | 'reader'>> = {},
): Promise<Project> {
  const project = await loadProject(cliLoadOptions(globals, services, extra));
  // Every command that reads the files tells about unset variables and the like, as Compose does.
  for (const w of project.warnings ?? []) process.stderr.write(`warning: ${w}\n`);
  return project;
}

/** What the global flags and the process say about where and how to load. */
export function cliLoadOptions(globals: CliGlobals, services: string[] = [], extra: Partial<Pick<LoadOptions, 'interpolate' | 'normalize' | 'reader'>> = {}): LoadOptions {
  const opts: LoadOptions = {
    env: process.env,
    reader: new NodeFileReader(),
    cwd: process.cwd(),
    services,
    ...extra,
  };
  if (globals.file && globals.file.length > 0) opts.files = globals.file;
  if (globals.projectName) opts.projectName = globals.projectName;
  if (globals.projectDirectory) opts.projectDirectory = globals.projectDirectory;
  if (globals.envFile && globals.envFile.length > 0) opts.envFiles = globals.envFile;
  if (globals.profile && globals.profile.length > 0) opts.profiles = globals.profile;
  return opts;
}
