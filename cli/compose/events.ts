import { LABEL, projectFilter } from '../../src/engine/labels.js';
import type { GlobalOptions } from './global-options.js';
import { commandContext } from './context.js';

export async function eventsCommand(services: string[], flags: GlobalOptions & { json?: boolean }): Promise<number> {
  const { project, runtime } = await commandContext(flags);
  const abort = new AbortController();
  process.once('SIGINT', () => abort.abort());
  for await (const e of runtime.events({ labels: projectFilter(project.name), types: ['container'], signal: abort.signal })) {
    const service = e.attributes[LABEL.service] ?? '';
    if (services.length && !services.includes(service)) continue;
    const time = new Date(Math.floor(e.timeNano / 1e6)).toISOString();
    if (flags.json) process.stdout.write(JSON.stringify({ time, type: e.type, action: e.action, id: e.id, service, attributes: e.attributes }) + '\n');
    else process.stdout.write(`${time} ${e.type} ${e.action} ${e.id} (name=${e.attributes.name ?? ''}, service=${service})\n`);
  }
  return 0;
}
