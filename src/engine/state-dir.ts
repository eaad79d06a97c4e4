import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * Where tscompose keeps host-side files of a project (materialized secrets and configs):
 * $TSCOMPOSE_STATE_DIR, else $XDG_STATE_HOME/tscompose, else ~/.local/state/tscompose; one
 * directory per project, removed by `down`.
 */
export function projectStateDir(project: string, env: Record<string, string | undefined> = process.env): string {
  const base = env.TSCOMPOSE_STATE_DIR ?? join(env.XDG_STATE_HOME ?? join(env.HOME ?? homedir(), '.local', 'state'), 'tscompose');
  return join(base, project);
}
