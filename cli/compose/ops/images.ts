/** `tscompose images`: table (Compose's columns), json, or ids only. */
import { humanSize, imagesCommand } from '../../../src/engine/ops/images.js';
import { renderTable } from '../../../src/engine/ops/top.js';
import { checkFormat, isTemplateFormat, renderGoFormat } from '../../../src/util/go-format.js';
import type { GlobalOptions } from '../global-options.js';
import { opsContext } from './common.js';

export interface ImagesFlags extends GlobalOptions {
  format: string;
  quiet?: boolean;
}

export async function images(services: string[], flags: ImagesFlags): Promise<number> {
  checkFormat(flags.format);
  const { runtime, scope } = await opsContext(flags, { services });
  const list = await imagesCommand(runtime, scope, services);
  const json = list.map((i) => ({ ID: i.id, ContainerName: i.container, Repository: i.repository, Tag: i.tag, Size: i.size, Created: new Date(i.created * 1000).toISOString() }));
  if (flags.quiet) {
    process.stdout.write([...new Set(list.map((i) => i.id))].map((id) => `${id}\n`).join(''));
  } else if (flags.format === 'json') {
    process.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
  } else if (isTemplateFormat(flags.format)) {
    process.stdout.write(renderGoFormat(flags.format, json));
  } else {
    const short = (id: string): string => id.replace(/^sha256:/, '').slice(0, 12);
    process.stdout.write(renderTable(['CONTAINER', 'REPOSITORY', 'TAG', 'IMAGE ID', 'SIZE'], list.map((i) => [i.container, i.repository, i.tag, short(i.id), humanSize(i.size)])));
  }
  return 0;
}
