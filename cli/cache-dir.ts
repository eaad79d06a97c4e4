import { homedir } from 'node:os';
import { join } from 'node:path';

/** $XDG_CACHE_HOME/<name>, else ~/.cache/<name>; null when no home directory can be found. */
export function cacheDir(name: string, env: NodeJS.ProcessEnv = process.env): string | null {
  if (env.XDG_CACHE_HOME) return join(env.XDG_CACHE_HOME, name);
  if (env.HOME) return join(env.HOME, '.cache', name);
  try {
    return join(homedir(), '.cache', name);
  } catch {
    return null;
  }
}
