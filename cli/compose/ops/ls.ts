/** `tscompose ls`: projects on the engine (table, json, or names only). */
import { listProjects } from '../../../src/engine/ops/list-projects.js';
import { renderTable } from '../../../src/engine/ops/top.js';
import { DockerRuntime } from '../../../src/runtime/index.js';
import { checkFormat, isTemplateFormat, renderGoFormat } from '../../../src/util/go-format.js';
import type { GlobalOptions } from '../global-options.js';

export interface LsFlags extends GlobalOptions {
  all?: boolean;
  format: string;
  quiet?: boolean;
  filter: string[];
}

export async function ls(flags: LsFlags): Promise<number> {
  // ls needs no compose file: it lists what the engine knows.
  checkFormat(flags.format);
  const projects = await listProjects(new DockerRuntime(), { all: flags.all ?? false, filters: flags.filter });
  const rows = projects.map((p) => ({ Name: p.name, Status: p.status, ConfigFiles: p.configFiles }));
  if (flags.quiet) process.stdout.write(projects.map((p) => `${p.name}\n`).join(''));
  else if (flags.format === 'json') process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
  else if (isTemplateFormat(flags.format)) process.stdout.write(renderGoFormat(flags.format, rows));
  else process.stdout.write(renderTable(['NAME', 'STATUS', 'CONFIG FILES'], projects.map((p) => [p.name, p.status, p.configFiles])));
  return 0;
}
