import { selectContainers } from '../../src/engine/ops/select-containers.js';
import type { GlobalOptions } from './global-options.js';
import { commandContext } from './context.js';
import { checkNamedServices } from './flag-values.js';
import { table } from './table.js';

export async function psCommand(
  services: string[],
  flags: GlobalOptions & { all?: boolean; quiet?: boolean; services?: boolean; status?: string[]; format?: string },
): Promise<number> {
  const { project, runtime } = await commandContext(flags);
  checkNamedServices(project, services);
  let list = await selectContainers(runtime, { name: project.name, project }, { services, all: true, oneOff: 'include' });
  if (!flags.all) list = list.filter((c) => c.status === 'running' || c.status === 'restarting' || c.status === 'paused');
  if (flags.status?.length) list = list.filter((c) => flags.status!.includes(c.status));
  if (flags.quiet) {
    for (const c of list) process.stdout.write(`${c.id}\n`);
    return 0;
  }
  if (flags.services) {
    for (const s of [...new Set(list.map((c) => c.service))]) process.stdout.write(`${s}\n`);
    return 0;
  }
  const ports = (c: (typeof list)[number]): string =>
    c.ports.map((p) => (p.hostPort ? `${p.hostIp ?? '0.0.0.0'}:${p.hostPort}->${p.containerPort}/${p.protocol}` : `${p.containerPort}/${p.protocol}`)).join(', ');
  if (flags.format === 'json') {
    for (const c of list) {
      process.stdout.write(JSON.stringify({
        ID: c.id, Name: c.name, Image: c.image, Command: c.command, Project: project.name, Service: c.service,
        Created: c.created, State: c.status, Status: c.statusText, Health: /\((healthy|unhealthy)\)/.exec(c.statusText)?.[1] ?? '',
        ExitCode: Number(/Exited \((\d+)\)/.exec(c.statusText)?.[1] ?? 0), Publishers: c.ports.map((p) => ({ URL: p.hostIp ?? '', TargetPort: p.containerPort, PublishedPort: p.hostPort ?? 0, Protocol: p.protocol })),
      }) + '\n');
    }
    return 0;
  }
  process.stdout.write(table(['NAME', 'IMAGE', 'COMMAND', 'SERVICE', 'CREATED', 'STATUS', 'PORTS'], list.map((c) => [
    c.name, c.image, JSON.stringify(c.command.length > 20 ? c.command.slice(0, 19) + '…' : c.command), c.service, ago(c.created), c.statusText, ports(c),
  ])));
  return 0;
}

export function ago(unixSeconds: number): string {
  const s = Math.max(0, Math.floor(Date.now() / 1000 - unixSeconds));
  if (s < 60) return `${s} seconds ago`;
  if (s < 3600) return `${Math.floor(s / 60)} minutes ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} hours ago`;
  return `${Math.floor(s / 86400)} days ago`;
}
