import { selectContainers } from '../../src/engine/ops/select-containers.js';
import { UserError } from '../../src/util/errors.js';
import { checkFormat, isTemplateFormat, renderGoFormat } from '../../src/util/go-format.js';
import type { GlobalOptions } from './global-options.js';
import { commandContext } from './context.js';
import { checkNamedServices } from './flag-values.js';
import { table } from './table.js';

export async function psCommand(
  services: string[],
  flags: GlobalOptions & { all?: boolean; quiet?: boolean; services?: boolean; status?: string[]; filter?: string[]; format?: string; trunc?: boolean; orphans?: boolean },
): Promise<number> {
  // Compose's --filter knows one property, status; both forms are checked before the engine is asked.
  checkFormat(flags.format);
  const statuses = [...(flags.status ?? []), ...(flags.filter ?? []).map(statusFilter)];
  for (const st of statuses) {
    if (!STATUSES.includes(st)) throw new UserError(`invalid status "${st}"`, { code: 'invalid', hint: `one of ${STATUSES.join(', ')}` });
  }
  const { project, runtime } = await commandContext(flags);
  checkNamedServices(project, services);
  let list = await selectContainers(runtime, { name: project.name, project }, { services, all: true, oneOff: 'include' });
  if (!flags.all && statuses.length === 0) list = list.filter((c) => c.status === 'running' || c.status === 'restarting' || c.status === 'paused');
  if (statuses.length) list = list.filter((c) => statuses.includes(c.status));
  // --no-orphans: only containers of services the files still declare (enabled or not).
  if (flags.orphans === false) list = list.filter((c) => project.services[c.service] || project.disabledServices[c.service]);
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
  const rows = list.map((c) => ({
    ID: c.id, Name: c.name, Image: c.image, Command: c.command, Project: project.name, Service: c.service,
    Created: c.created, State: c.status, Status: c.statusText, Health: /\((healthy|unhealthy)\)/.exec(c.statusText)?.[1] ?? '',
    ExitCode: Number(/Exited \((\d+)\)/.exec(c.statusText)?.[1] ?? 0),
    Publishers: c.ports.map((p) => ({ URL: p.hostIp ?? '', TargetPort: p.containerPort, PublishedPort: p.hostPort ?? 0, Protocol: p.protocol })),
  }));
  if (flags.format === 'json') {
    for (const r of rows) process.stdout.write(`${JSON.stringify(r)}\n`);
    return 0;
  }
  if (isTemplateFormat(flags.format)) {
    // Docker's ps templates also know Ports, the table's column.
    process.stdout.write(renderGoFormat(flags.format, rows.map((r, i) => ({ ...r, Ports: ports(list[i]!) }))));
    return 0;
  }
  process.stdout.write(table(['NAME', 'IMAGE', 'COMMAND', 'SERVICE', 'CREATED', 'STATUS', 'PORTS'], list.map((c) => [
    c.name, c.image, JSON.stringify(c.command.length > 20 && flags.trunc !== false ? c.command.slice(0, 19) + '…' : c.command), c.service, ago(c.created), c.statusText, ports(c),
  ])));
  return 0;
}

const STATUSES = ['paused', 'restarting', 'removing', 'running', 'dead', 'created', 'exited'];

function statusFilter(f: string): string {
  const m = /^status=(.*)$/.exec(f);
  if (!m) throw new UserError(`unsupported filter "${f}"`, { code: 'invalid', hint: 'ps supports --filter status=STATUS' });
  return m[1]!;
}

export function ago(unixSeconds: number): string {
  const s = Math.max(0, Math.floor(Date.now() / 1000 - unixSeconds));
  if (s < 60) return `${s} seconds ago`;
  if (s < 3600) return `${Math.floor(s / 60)} minutes ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} hours ago`;
  return `${Math.floor(s / 86400)} days ago`;
}
