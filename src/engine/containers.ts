import type { ContainerRuntime } from '../runtime/runtime.js';
import type { ContainerSummary } from '../runtime/types.js';
import { LABEL, projectFilter } from './labels.js';

export interface ProjectContainer extends ContainerSummary {
  service: string;
  number: number;
  oneOff: boolean;
}

/**
 * The project's containers, optionally narrowed to services, sorted by service then number (the
 * order ps/logs/stop print them in).
 */
export async function projectContainers(
  runtime: ContainerRuntime,
  project: string,
  opts: { services?: string[]; all?: boolean; oneOff?: boolean | 'include' } = {},
): Promise<ProjectContainer[]> {
  const list = await runtime.listContainers({ all: opts.all ?? true, labels: projectFilter(project) });
  return list
    .map((c) => ({ ...c, service: c.labels[LABEL.service] ?? '', number: Number(c.labels[LABEL.number] ?? 0), oneOff: c.labels[LABEL.oneoff] === 'True' }))
    .filter((c) => (opts.oneOff === 'include' ? true : c.oneOff === (opts.oneOff ?? false)))
    .filter((c) => !opts.services?.length || opts.services.includes(c.service))
    .sort((a, b) => a.service.localeCompare(b.service) || a.number - b.number || a.name.localeCompare(b.name));
}
