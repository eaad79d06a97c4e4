/** `ls`: compose projects found on the engine through their containers' labels. */
import type { ContainerRuntime } from '../../runtime/runtime.js';
import { UserError } from '../../util/errors.js';
import { LABEL } from '../labels.js';

export interface ProjectListing {
  name: string;
  /** "running(2), exited(1)": counts per state, states sorted. */
  status: string;
  configFiles: string;
}

export interface ListOptions {
  all?: boolean;
  /** `name=REGEX` filters (the only filter Compose supports). */
  filters?: string[];
}

export async function listProjects(runtime: ContainerRuntime, opts: ListOptions = {}): Promise<ProjectListing[]> {
  const nameFilters = (opts.filters ?? []).map(parseFilter);
  // config-hash marks containers created by a compose implementation (not just labelled by hand).
  const list = await runtime.listContainers({ all: opts.all ?? false, labels: { [LABEL.project]: true, [LABEL.configHash]: true } });
  const byProject = new Map<string, { states: string[]; files: string[] }>();
  for (const c of list) {
    const name = c.labels[LABEL.project]!;
    const p = byProject.get(name) ?? { states: [], files: [] };
    p.states.push(c.status);
    for (const f of (c.labels[LABEL.configFiles] ?? '').split(',')) if (f && !p.files.includes(f)) p.files.push(f);
    byProject.set(name, p);
  }
  return [...byProject.entries()]
    .filter(([name]) => nameFilters.every((re) => re.test(name)))
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, p]) => ({ name, status: combinedStatus(p.states), configFiles: p.files.join(',') }));
}

export function combinedStatus(states: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const s of states) counts.set(s, (counts.get(s) ?? 0) + 1);
  return [...counts.keys()]
    .sort()
    .map((s) => `${s}(${counts.get(s)})`)
    .join(', ');
}

function parseFilter(f: string): RegExp {
  const [key, ...rest] = f.split('=');
  const value = rest.join('=');
  if (key !== 'name' || !rest.length) throw new UserError(`invalid filter "${f}"`, { code: 'invalid', hint: 'the only supported filter is name=VALUE (a regular expression)' });
  try {
    return new RegExp(value);
  } catch {
    throw new UserError(`invalid filter "${f}": not a regular expression`, { code: 'invalid' });
  }
}
