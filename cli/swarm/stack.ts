import { loadProjectFromCli } from '../../src/compose/index.js';
import type { ServiceView, TaskView } from '../../src/swarm/manager/services-api.js';
import { checkStackName, planStackDeploy, stackServiceSpecs, STACK_NAMESPACE_LABEL, type ExistingService } from '../../src/swarm/stack/stack-spec.js';
import type { Service } from '../../src/swarm/store/index.js';
import { isValidProjectName, normalizeProjectName } from '../../src/compose/project-name.js';
import { UserError } from '../../src/util/errors.js';
import { local, type SwarmGlobals } from './local.js';
import { renderServices, renderTasks } from './services.js';

/**
 * `tsswarm stack ...`: the compose files are loaded here, in the CLI process, with tscompose's
 * loader (same interpolation, .env and override rules); the managers only ever see service specs.
 */

const enc = encodeURIComponent;

export interface StackDeployFlags {
  composeFile: string[];
  prune?: boolean;
}

export async function stackDeployCommand(g: SwarmGlobals, stack: string, f: StackDeployFlags): Promise<void> {
  checkStackName(stack);
  if (f.composeFile.length === 0) throw new UserError('stack deploy: give the stack file with -c/--compose-file', { exitCode: 2 });
  // The project name only names the stack's volumes (`NAME_vol`), as Docker names them.
  const projectName = isValidProjectName(stack) ? stack : normalizeProjectName(stack);
  const project = await loadProjectFromCli({ file: f.composeFile, ...(projectName ? { projectName } : {}) });
  for (const w of project.warnings ?? []) process.stderr.write(`warning: ${w}\n`);
  const { specs, warnings } = stackServiceSpecs(project, stack);
  for (const w of warnings) process.stderr.write(`warning: ${w}\n`);

  const { services } = await local<{ services: ServiceView[] }>(g, '/v1/services');
  const wanted = new Set(specs.map((s) => s.name));
  const relevant = services.filter((s) => s.labels[STACK_NAMESPACE_LABEL] === stack || wanted.has(s.name));
  const existing: ExistingService[] = [];
  for (const s of relevant) existing.push((await local<{ service: Service }>(g, `/v1/services/${enc(s.id)}`)).service);
  const plan = planStackDeploy(stack, specs, existing, { prune: f.prune === true });

  for (const r of plan.remove) {
    process.stdout.write(`Removing service ${r.name}\n`);
    await local(g, `/v1/services/${enc(r.id)}`, { method: 'DELETE' });
  }
  for (const u of plan.update) {
    process.stdout.write(`Updating service ${u.spec.name}\n`);
    await local(g, `/v1/services/${enc(u.id)}/update`, { body: { spec: u.spec, version: u.version } });
  }
  for (const spec of plan.create) {
    process.stdout.write(`Creating service ${spec.name}\n`);
    await local(g, '/v1/services', { body: { spec } });
  }
  for (const n of plan.unchanged) process.stderr.write(`Service ${n} is up to date\n`);
}

async function stackServices(g: SwarmGlobals, stack: string): Promise<ServiceView[]> {
  const { services } = await local<{ services: ServiceView[] }>(g, '/v1/services');
  return services.filter((s) => s.labels[STACK_NAMESPACE_LABEL] === stack).sort((a, b) => a.name.localeCompare(b.name));
}

export async function stackLsCommand(g: SwarmGlobals, o: { format?: string }): Promise<void> {
  const { services } = await local<{ services: ServiceView[] }>(g, '/v1/services');
  const counts = new Map<string, number>();
  for (const s of services) {
    const ns = s.labels[STACK_NAMESPACE_LABEL];
    if (ns !== undefined) counts.set(ns, (counts.get(ns) ?? 0) + 1);
  }
  const rows = [...counts].sort((a, b) => a[0].localeCompare(b[0])).map(([name, n]) => ({ name, services: n }));
  if (o.format === 'json') return void process.stdout.write(JSON.stringify(rows, null, 2) + '\n');
  const w = Math.max(4, ...rows.map((r) => r.name.length)) + 3;
  process.stdout.write(['NAME'.padEnd(w) + 'SERVICES', ...rows.map((r) => r.name.padEnd(w) + String(r.services))].join('\n') + '\n');
}

export async function stackServicesCommand(g: SwarmGlobals, stack: string, o: { quiet?: boolean; format?: string }): Promise<void> {
  const services = await stackServices(g, stack);
  if (o.format === 'json') return void process.stdout.write(JSON.stringify(services, null, 2) + '\n');
  if (services.length === 0) return void process.stderr.write(`Nothing found in stack: ${stack}\n`);
  if (o.quiet) return void process.stdout.write(services.map((s) => s.id + '\n').join(''));
  renderServices(services);
}

export async function stackPsCommand(g: SwarmGlobals, stack: string, o: { all?: boolean; quiet?: boolean; format?: string; noTrunc?: boolean }): Promise<void> {
  const services = await stackServices(g, stack);
  if (services.length === 0) throw new UserError(`nothing found in stack: ${stack}`, { code: 'not-found', hint: 'see `tsswarm stack ls`' });
  const rows: TaskView[] = [];
  for (const s of services) rows.push(...(await local<{ tasks: TaskView[] }>(g, `/v1/services/${enc(s.id)}/tasks${o.all ? '?all=true' : ''}`)).tasks);
  if (o.format === 'json') return void process.stdout.write(JSON.stringify(rows, null, 2) + '\n');
  if (o.quiet) return void process.stdout.write(rows.map((t) => t.id + '\n').join(''));
  renderTasks(rows, o);
}

export async function stackRmCommand(g: SwarmGlobals, stacks: string[]): Promise<void> {
  for (const stack of stacks) {
    const services = await stackServices(g, stack);
    if (services.length === 0) {
      process.stderr.write(`Nothing found in stack: ${stack}\n`);
      continue;
    }
    for (const s of services) {
      process.stdout.write(`Removing service ${s.name}\n`);
      await local(g, `/v1/services/${enc(s.id)}`, { method: 'DELETE' });
    }
  }
}
