/** `tscompose volumes`: Compose's DRIVER / VOLUME NAME table, json, or names only. */
import { renderTable } from '../../../src/engine/ops/top.js';
import { volumesCommand } from '../../../src/engine/ops/volumes.js';
import type { GlobalOptions } from '../global-options.js';
import { opsContext } from './common.js';

export interface VolumesFlags extends GlobalOptions {
  format: 'table' | 'json';
  quiet?: boolean;
}

export async function volumes(services: string[], flags: VolumesFlags): Promise<number> {
  const { runtime, scope } = await opsContext(flags);
  const list = await volumesCommand(runtime, scope, services);
  if (flags.quiet) process.stdout.write(list.map((v) => `${v.name}\n`).join(''));
  else if (flags.format === 'json') process.stdout.write(list.map((v) => `${JSON.stringify({ Driver: v.driver, Labels: v.labels, Mountpoint: v.mountpoint, Name: v.name })}\n`).join(''));
  else process.stdout.write(renderTable(['DRIVER', 'VOLUME NAME'], list.map((v) => [v.driver, v.name])));
  return 0;
}
