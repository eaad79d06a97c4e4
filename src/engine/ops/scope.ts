/**
 * What a day-2 command acts on: a project name, and the loaded Project when compose files are
 * present. Like Compose's `projectOrName`, commands that only read or change existing containers
 * (logs, stop, rm, ...) work with `-p NAME` alone when no compose file is found, so a project can be
 * managed from anywhere; commands that need the model (run, pull) ask for it with `requireModel`.
 */
import { loadProjectFromCli, type CliGlobals } from '../../compose/cli-load.js';
import type { Project } from '../../compose/types.js';
import { UserError, isNotFound } from '../../util/errors.js';
import { closest } from './suggest.js';

export interface Scope {
  name: string;
  /** Absent when only a project name was given and no compose file was found. */
  project?: Project;
}

export async function loadScope(globals: CliGlobals, opts: { requireModel?: boolean } = {}): Promise<Scope> {
  try {
    const project = await loadProjectFromCli(globals);
    return { name: project.name, project };
  } catch (e) {
    // Only "no compose file here" falls back to the name; a broken file is always an error.
    const noFile = isNotFound(e) && !(globals.file && globals.file.length > 0);
    if (noFile && globals.projectName && !opts.requireModel) return { name: globals.projectName.toLowerCase() };
    throw e;
  }
}

/**
 * Checks that each named service exists in the model (or, without a model, among the project's
 * containers' services), and suggests the closest name otherwise.
 */
export function checkServices(scope: Scope, services: readonly string[], observedServices: readonly string[] = []): void {
  const known = scope.project ? [...Object.keys(scope.project.services)] : [...new Set(observedServices)];
  const disabled = scope.project ? Object.keys(scope.project.disabledServices) : [];
  for (const s of services) {
    if (known.includes(s)) continue;
    if (disabled.includes(s)) {
      throw new UserError(`service "${s}" is not enabled: none of its profiles is active`, {
        code: 'not-found',
        hint: `enable one with --profile (profiles: ${scope.project!.disabledServices[s]!.profiles.join(', ')})`,
      });
    }
    const guess = closest(s, known);
    throw new UserError(`no such service: ${s}`, {
      code: 'not-found',
      hint: guess ? `did you mean "${guess}"?` : known.length ? `services in project ${scope.name}: ${known.sort().join(', ')}` : `project ${scope.name} has no services`,
    });
  }
}
