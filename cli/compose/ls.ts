import { DockerRuntime } from '../../src/runtime/index.js';
import { LABEL } from '../../src/engine/labels.js';
import type { GlobalOptions } from './global-options.js';
import { table } from './table.js';

/** Projects on the engine, from container labels (no compose file needed). */
export async function lsCommand(flags: GlobalOptions & { all?: boolean; quiet?: boolean; format?: string }): Promise<number> {
  const runtime = new DockerRuntime();
  const list = await runtime.listContainers({ all: true, labels: { [LABEL.project]: true } });
  const projects = new Map<string, { states: Map<string, number>; files: string }>();
  for (const c of list) {
    const name = c.labels[LABEL.project]!;
    const p = projects.get(name) ?? { states: new Map(), files: c.labels[LABEL.configFiles] ?? '' };
    p.states.set(c.status, (p.states.get(c.status) ?? 0) + 1);
    projects.set(name, p);
  }
  const rows = [...projects.entries()]
    .filter(([, p]) => flags.all || p.states.has('running'))
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, p]) => ({ Name: name, Status: [...p.states.entries()].map(([s, n]) => `${s}(${n})`).join(', '), ConfigFiles: p.files }));
  if (flags.quiet) process.stdout.write(rows.map((r) => `${r.Name}\n`).join(''));
  else if (flags.format === 'json') process.stdout.write(JSON.stringify(rows) + '\n');
  else process.stdout.write(table(['NAME', 'STATUS', 'CONFIG FILES'], rows.map((r) => [r.Name, r.Status, r.ConfigFiles])));
  return 0;
}
