/** `tscompose config`: parse, resolve and render the compose model. Rendering only; logic is in src/compose. */
import { writeFile } from 'node:fs/promises';
import { loadProjectFromCli } from '../../src/compose/index.js';
// The YAML printer (and the `yaml` library) load only for `config`, not on every command's path.
import { allProfiles, renderJson, renderYaml, serviceImages } from '../../src/compose/render.js';
import type { GlobalOptions } from './global-options.js';

export async function configCommand(services: string[], opts: GlobalOptions): Promise<number> {
  const project = await loadProjectFromCli(opts, services, {
    interpolate: opts.interpolate !== false,
    normalize: opts.normalize !== false,
  });
  if (opts.quiet) return 0;
  let out: string;
  const lines = (xs: string[]) => xs.map((x) => `${x}\n`).join('');
  if (opts.services) out = lines(Object.keys(project.services));
  else if (opts.volumes) out = lines(Object.keys(project.volumes));
  else if (opts.networks) out = lines(Object.keys(project.networks));
  else if (opts.profiles) out = lines(allProfiles(project));
  else if (opts.images) out = lines(serviceImages(project));
  else out = opts.format === 'json' ? renderJson(project) : renderYaml(project);
  if (typeof opts.output === 'string') await writeFile(opts.output, out);
  else process.stdout.write(out);
  return 0;
}
