import { projectContainers } from '../../src/engine/containers.js';
import type { GlobalOptions } from './global-options.js';
import { commandContext } from './context.js';
import { table } from './table.js';

export async function imagesCommand(services: string[], flags: GlobalOptions & { quiet?: boolean; format?: string }): Promise<number> {
  const { project, runtime } = await commandContext(flags);
  const list = await projectContainers(runtime, project.name, { services, all: true });
  const rows = await Promise.all(list.map(async (c) => {
    const img = await runtime.inspectImage(c.imageId).catch(() => undefined);
    const [repo, tag] = (img?.tags[0] ?? c.image).split(/:(?=[^:/]+$)/);
    return { container: c.name, repo: repo ?? '', tag: tag ?? 'latest', id: (img?.id ?? c.imageId).replace(/^sha256:/, ''), size: img?.size ?? 0 };
  }));
  if (flags.quiet) process.stdout.write([...new Set(rows.map((r) => r.id))].map((i) => `${i}\n`).join(''));
  else if (flags.format === 'json') process.stdout.write(JSON.stringify(rows.map((r) => ({ ContainerName: r.container, Repository: r.repo, Tag: r.tag, ID: r.id, Size: r.size }))) + '\n');
  else process.stdout.write(table(['CONTAINER', 'REPOSITORY', 'TAG', 'IMAGE ID', 'SIZE'], rows.map((r) => [r.container, r.repo, r.tag, r.id.slice(0, 12), `${(r.size / 1e6).toFixed(2)}MB`])));
  return 0;
}
