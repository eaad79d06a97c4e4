/** `tscompose config`: parse, resolve and render the compose model. Rendering only; logic is in src/compose. */
import { writeFile } from 'node:fs/promises';
import { loadProjectFromCli, NodeFileReader } from '../../src/compose/index.js';
import type { Project } from '../../src/compose/types.js';
import { modelVariables, type Variable } from '../../src/compose/variables.js';
import { renderTable } from '../../src/engine/ops/top.js';
import { DiagnosticError, UserError } from '../../src/util/errors.js';
// The YAML printer (and the `yaml` library) load only for `config`, not on every command's path.
import { allProfiles, renderJson, renderModel, renderYaml, serviceImages } from '../../src/compose/render.js';
import type { GlobalOptions } from './global-options.js';

const lines = (xs: string[]): string => xs.map((x) => `${x}\n`).join('');

export async function configCommand(services: string[], opts: GlobalOptions): Promise<number> {
  if (opts.interpolate === false && !opts.quiet && !MODES.some((m) => opts[m] !== undefined && opts[m] !== false)) return modelCommand(services, opts);
  const project = await loadProjectFromCli(opts, services, {
    interpolate: opts.interpolate !== false,
    normalize: opts.normalize !== false,
  });
  if (opts.consistency !== false) {
    const { containerNameClashes } = await import('../../src/engine/preflight.js');
    const clashes = containerNameClashes(project);
    if (clashes.length) throw new DiagnosticError(clashes);
  }
  if (opts.quiet) return 0;
  let out: string;
  if (opts.services) out = lines(Object.keys(project.services));
  else if (opts.volumes) out = lines(Object.keys(project.volumes));
  else if (opts.networks) out = lines(Object.keys(project.networks));
  else if (opts.profiles) out = lines(allProfiles(project));
  else if (opts.images) out = lines(serviceImages(project));
  else if (typeof opts.hash === 'string') out = await hashes(project, opts.hash);
  else if (opts.environment) out = lines(Object.keys(project.environment).sort().map((k) => `${k}=${project.environment[k]}`));
  else if (opts.variables) out = renderVariables(await variables(project), opts.format === 'json');
  else out = opts.format === 'json' ? renderJson(project) : renderYaml(project);
  if (typeof opts.output === 'string') await writeFile(opts.output, out);
  else process.stdout.write(out);
  return 0;
}

const MODES = ['services', 'volumes', 'networks', 'profiles', 'images', 'hash', 'environment', 'variables'] as const;

/**
 * `--no-interpolate`: Compose prints the merged model, not a project (a `${PORT}:80` port cannot
 * be typed), and says that service names do not filter it.
 */
async function modelCommand(services: string[], opts: GlobalOptions): Promise<number> {
  const { loadModel } = await import('../../src/compose/load.js');
  const { cliLoadOptions } = await import('../../src/compose/cli-load.js');
  if (services.length) process.stderr.write('warning: service filtering is not applied when --no-interpolate is set, the full model will be rendered\n');
  const out = renderModel(await loadModel(cliLoadOptions(opts)), opts.format === 'json' ? 'json' : 'yaml');
  if (typeof opts.output === 'string') await writeFile(opts.output, out);
  else process.stdout.write(out);
  return 0;
}

/** `--hash '*'` or `--hash web,db`: `SERVICE HASH` per line, the hash `up` labels containers with. */
async function hashes(project: Project, which: string): Promise<string> {
  const names = which === '*' ? Object.keys(project.services).sort() : which.split(',').map((s) => s.trim()).filter(Boolean);
  for (const n of names) {
    if (!project.services[n]) throw new UserError(`--hash: no such service: ${n}`, { code: 'not-found', hint: `services: ${Object.keys(project.services).sort().join(', ')}` });
  }
  const { serviceHashes } = await import('../../src/engine/service-hashes.js');
  return lines((await serviceHashes(project, names, process.env)).map(([n, h]) => `${n} ${h}`));
}

/** The variables of the files as written (before interpolation), as compose-go extracts them. */
async function variables(project: Project): Promise<Variable[]> {
  const { parseYamlLayers } = await import('../../src/compose/parse.js');
  const reader = new NodeFileReader();
  const docs: unknown[] = [];
  for (const f of project.configFiles) if (f !== '-') docs.push(...parseYamlLayers(await reader.readFile(f), f));
  return modelVariables(docs);
}

function renderVariables(vars: Variable[], json: boolean): string {
  if (json) {
    const map = Object.fromEntries(vars.map((v) => [v.name, { Name: v.name, DefaultValue: v.defaultValue ?? '', PresenceValue: v.alternateValue ?? '', Required: v.required }]));
    return `${JSON.stringify(map, null, 2)}\n`;
  }
  return renderTable(['NAME', 'REQUIRED', 'DEFAULT VALUE', 'ALTERNATE VALUE'], vars.map((v) => [v.name, String(v.required), v.defaultValue ?? '', v.alternateValue ?? '']));
}
