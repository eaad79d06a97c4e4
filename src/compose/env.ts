/**
 * The environment Compose interpolates with: --env-file files (or `<project dir>/.env`), overlaid
 * by the shell environment, which always wins.
 */
import * as path from 'node:path';
import { fail } from './diagnostics.js';
import { parseDotenv } from './dotenv.js';
import type { FileReader } from './types.js';
import { isMissingFile } from '../util/file-read-error.js';

export function cleanEnv(env: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && k !== '__proto__') out[k] = v;
  return out;
}

/**
 * Reads the env files in order (later ones override earlier ones); `explicit` files must exist,
 * the default `.env` is optional. Values may refer to the shell and to earlier values.
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
