/**
 * The environment Compose interpolates with: --env-file files (or `.env`), overlaid by the shell
 * environment, which always wins; and the files it is for (discovery needs COMPOSE_FILE from it).
 */
import * as path from 'node:path';
import { fail } from './diagnostics.js';
import { parseDotenv } from './dotenv.js';
import { composeFileFromEnv, discoverFiles } from './files.js';
import type { FileReader } from './types.js';
import { isMissingFile } from '../util/file-read-error.js';

export function cleanEnv(env: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && k !== '__proto__') out[k] = v;
  return out;
}

/**
 * Reads the env files in order (later ones override earlier ones); `explicit` files must exist,
 * the default `.env` is optional. A value's variables are looked up in the shell first, then in
 * earlier files, then earlier in the same file (compose-go's order).
 */
export async function readEnvFiles(
  reader: FileReader,
  explicit: string[] | undefined,
  defaultDir: string,
  shell: Record<string, string>,
  cwd: string,
): Promise<Record<string, string>> {
  const acc: Record<string, string> = {};
  const files = explicit && explicit.length > 0 ? explicit.map((f) => path.resolve(cwd, f)) : [path.join(defaultDir, '.env')];
  const required = !!explicit && explicit.length > 0;
  for (const file of files) {
    // Read rather than probe first: a FIFO or a directory in the way is an error naming it, not
    // "not found" (nor, for the default .env, silently skipped).
    let text: string;
    try {
      text = await reader.readFile(file, 'env file');
    } catch (e) {
      if (!isMissingFile(e)) throw e;
      if (required) fail(undefined, undefined, `env file ${file} not found`, 'check the --env-file path');
      continue;
    }
    Object.assign(acc, parseDotenv(text, file, (n) => shell[n] ?? acc[n]));
  }
  return acc;
}

export interface FilesAndEnv {
  /** Absolute compose files (or `-`). */
  files: string[];
  workingDir: string;
  /** Shell over the env files: what interpolation sees. */
  env: Record<string, string>;
}

/**
 * Which files make the project and the environment they are read with, in Compose's two passes:
 * the env files of the directory known before discovery (--project-directory, the first -f, else
 * the working directory) come first, so their COMPOSE_FILE, COMPOSE_PROFILES and variables apply;
 * once the files are known, the project directory's `.env` adds only what is still unset.
 */
export async function resolveFilesAndEnv(
  reader: FileReader,
  o: { files?: string[]; projectDirectory?: string; envFiles?: string[]; cwd: string },
  shell: Record<string, string>,
): Promise<FilesAndEnv> {
  const { cwd } = o;
  let files = o.files && o.files.length > 0 ? o.files.map((f) => (f === '-' ? '-' : path.resolve(cwd, f))) : undefined;
  const explicitDir = o.projectDirectory ? path.resolve(cwd, o.projectDirectory) : undefined;
  const firstDir = (fs: string[]) => (fs[0] === undefined || fs[0] === '-' ? cwd : path.dirname(fs[0]));
  const envDir = explicitDir ?? (files ? firstDir(files) : cwd);
  const env = { ...(await readEnvFiles(reader, o.envFiles, envDir, shell, cwd)), ...shell };
  files ??= composeFileFromEnv(env.COMPOSE_FILE, cwd) ?? (await discoverFiles(explicitDir ?? cwd, reader));
  const workingDir = explicitDir ?? firstDir(files);
  if (workingDir !== envDir && !(o.envFiles && o.envFiles.length > 0)) {
    const more = await readEnvFiles(reader, undefined, workingDir, env, cwd);
    for (const [k, v] of Object.entries(more)) if (!(k in env)) env[k] = v;
  }
  return { files, workingDir, env };
}
