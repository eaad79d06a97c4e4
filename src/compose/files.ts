/**
 * Which compose files a project is made of: -f files, else COMPOSE_FILE, else the first directory
 * from the working directory upwards holding one of the default names (plus its override file).
 */
import * as path from 'node:path';
import { DiagnosticError } from '../util/errors.js';
import type { FileReader } from './types.js';

export const DEFAULT_FILES = ['compose.yaml', 'compose.yml', 'docker-compose.yaml', 'docker-compose.yml'];
const OVERRIDE_FILES = ['compose.override.yaml', 'compose.override.yml', 'docker-compose.override.yaml', 'docker-compose.override.yml'];

export async function discoverFiles(cwd: string, reader: FileReader): Promise<string[]> {
  let dir = cwd;
  for (;;) {
    for (const name of DEFAULT_FILES) {
      const candidate = path.join(dir, name);
      if (await reader.exists(candidate)) {
        const files = [candidate];
        // The override that goes with the file found: compose.override.* with compose.*, and so on.
        const prefix = name.startsWith('compose.') ? 'compose.' : 'docker-compose.';
        for (const o of OVERRIDE_FILES.filter((f) => f.startsWith(prefix))) {
          const op = path.join(dir, o);
          if (await reader.exists(op)) {
            files.push(op);
            break;
          }
        }
        return files;
      }
    }
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  // A DiagnosticError like every loader error, but coded not-found: commands that can work from a
  // project name alone (logs, down -p x) tell "no file here" from "a broken file" by that code.
  throw new DiagnosticError(
    [{ message: `no configuration file provided: not found in ${cwd} or its parents`, hint: 'create compose.yaml or pass -f FILE' }],
    { code: 'not-found' },
  );
}

/** COMPOSE_FILE: a list separated by the platform path separator (`:` here), relative to cwd. */
export function composeFileFromEnv(value: string | undefined, cwd: string): string[] | undefined {
  if (!value) return undefined;
  const sep = process.platform === 'win32' ? ';' : ':';
  return value
    .split(sep)
    .filter((f) => f !== '')
    .map((f) => (f === '-' ? '-' : path.resolve(cwd, f)));
}
