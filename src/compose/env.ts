/**
 * The environment Compose interpolates with: --env-file files (or `<project dir>/.env`), overlaid
 * by the shell environment, which always wins.
 */
import * as path from 'node:path';
import { fail } from './diagnostics.js';
import { parseDotenv } from './dotenv.js';
import type { FileReader } from './types.js';

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
    if (!(await reader.exists(file))) {
      if (required) fail(undefined, undefined, `env file ${file} not found`, 'check the --env-file path');
      continue;
    }
    const text = await reader.readFile(file);
    Object.assign(acc, parseDotenv(text, file, (n) => shell[n] ?? acc[n]));
  }
  return acc;
}
