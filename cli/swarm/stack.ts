import { loadProjectFromCli } from '../../src/compose/index.js';
import type { FileObjectView, ServiceView, TaskView } from '../../src/swarm/api/views.js';
import {
  checkStackName,
  planStackDeploy,
  stackFileObjects,
  stackNetworkObjects,
  stackServiceSpecs,
  STACK_NAMESPACE_LABEL,
  type ExistingService,
  type StackFileIds,
  type StackFileObject,
  type StackNetworkIds,
  type StackNetworkObject,
} from '../../src/swarm/stack/stack-spec.js';
import { validateNetworkSpec, type NetworkView } from '../../src/swarm/manager/networks-api.js';
import type { Service } from '../../src/swarm/store/index.js';
import { isValidProjectName, normalizeProjectName } from '../../src/compose/project-name.js';
import { isUserError, UserError } from '../../src/util/errors.js';
import { local, type SwarmGlobals } from './local.js';
import { printTable } from './table.js';
import { listFileObjects, readPayload } from './files.js';
import { renderServices, renderTasks } from './services.js';
import { imageRequestFields, printWarnings, type ImageFlags } from './image-options.js';

/**
 * `tsswarm stack ...`: the compose files are loaded here, in the CLI process, with tscompose's
 * loader (same interpolation, .env and override rules); the managers only ever see service specs.
 */

const enc = encodeURIComponent;

export interface StackDeployFlags extends ImageFlags {
  composeFile: string[];
  prune?: boolean;
}

export async function stackDeployCommand(g: SwarmGlobals, stack: string, f: StackDeployFlags): Promise<void> {
  checkStackName(stack);
  if (f.composeFile.length === 0) throw new UserError('stack deploy: give the stack file with -c/--compose-file', { exitCode: 2 });
  // The project name only names the stack's volumes (`NAME_vol`), as Docker names them.
  const projectName = isValidProjectName(stack) ? stack : normalizeProjectName(stack);
  const project = await loadProjectFromCli({ file: f.composeFile, ...(projectName ? { projectName } : {}) });
  // A dry run first: every problem of the file is reported before anything is created, and so is
  // every conflict with the cluster (a name outside the stack, a port another service holds).
  const { specs: dry, warnings } = stackServiceSpecs(project, stack);
  const nets = stackNetworkObjects(project, stack, (w) => warnings.push(w));
  for (const n of nets) if (n.spec) validateNetworkSpec(n.spec);
  for (const w of warnings) process.stderr.write(`warning: ${w}\n`);
  const { services } = await local<{ services: ServiceView[] }>(g, '/v1/services');
  const wanted = new Set(dry.map((s) => s.name));
  const relevant = services.filter((s) => s.labels[STACK_NAMESPACE_LABEL] === stack || wanted.has(s.name));
  const existing: ExistingService[] = [];
  for (const s of relevant) existing.push((await local<{ service: Service }>(g, `/v1/services/${enc(s.id)}`)).service);
  const cluster = services.map((s) => ({ name: s.name, ports: s.publishedPorts }));
  planStackDeploy(stack, dry, existing, { prune: f.prune === true, cluster });

  const networks = await ensureStackNetworks(g, nets);
  const files = await ensureStackFiles(g, stack, stackFileObjects(project, stack), project.environment);
  const { specs } = stackServiceSpecs(project, stack, files, networks);
  const plan = planStackDeploy(stack, specs, existing, { prune: f.prune === true, cluster, ...(f.resolveImage ? { resolveImage: f.resolveImage } : {}) });

  for (const r of plan.remove) {
    process.stdout.write(`Removing service ${r.name}\n`);
    await local(g, `/v1/services/${enc(r.id)}`, { method: 'DELETE' });
  }
  for (const u of plan.update) {
    // An image-only update asks the registry again; it says whether the tag had moved.
    if (!u.imageOnly) process.stdout.write(`Updating service ${u.spec.name}\n`);
    const r = await local<{ warnings?: string[]; changed?: boolean }>(g, `/v1/services/${enc(u.id)}/update`, {
      body: { spec: u.spec, version: u.version, ...(await imageRequestFields(u.spec.task.container.image, f)) },
    });
    printWarnings(r);
    if (u.imageOnly && r.changed !== false) process.stdout.write(`Updating service ${u.spec.name} (image ${u.spec.task.container.image} moved to a new digest)\n`);
    else if (u.imageOnly) plan.unchanged.push(u.spec.name);
  }
  for (const spec of plan.create) {
    process.stdout.write(`Creating service ${spec.name}\n`);
    printWarnings(await local<{ warnings?: string[] }>(g, '/v1/services', { body: { spec, ...(await imageRequestFields(spec.task.container.image, f)) } }));
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
  printTable([['NAME', 'SERVICES'], ...rows.map((r) => [r.name, String(r.services)])]);
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
    const files: { kind: 'secret' | 'config'; o: FileObjectView }[] = [];
    for (const kind of ['secret', 'config'] as const) {
      for (const o of await listFileObjects(g, kind)) if (o.labels[STACK_NAMESPACE_LABEL] === stack) files.push({ kind, o });
    }
    const { networks } = await local<{ networks: NetworkView[] }>(g, '/v1/networks');
    const nets = networks.filter((n) => n.labels[STACK_NAMESPACE_LABEL] === stack);
    if (services.length === 0 && files.length === 0 && nets.length === 0) {
      process.stderr.write(`Nothing found in stack: ${stack}\n`);
      continue;
    }
    for (const s of services) {
      process.stdout.write(`Removing service ${s.name}\n`);
      await local(g, `/v1/services/${enc(s.id)}`, { method: 'DELETE' });
    }
    // Then what the stack created for them (Docker removes a stack's secrets and configs too).
    for (const { kind, o } of files) {
      process.stdout.write(`Removing ${kind} ${o.name}\n`);
      await local(g, `/v1/${kind}s/${enc(o.id)}`, { method: 'DELETE' });
    }
    for (const n of nets) {
      process.stdout.write(`Removing network ${n.name}\n`);
      await local(g, `/v1/networks/${enc(n.id)}`, { method: 'DELETE' });
    }
  }
}

/**
 * The stack's networks in the cluster: an existing one (by name) is reused, an external one must
 * exist, the others are created. Everything is checked before anything is created.
 */
async function ensureStackNetworks(g: SwarmGlobals, objs: StackNetworkObject[]): Promise<StackNetworkIds> {
  const { networks } = await local<{ networks: NetworkView[] }>(g, '/v1/networks');
  const missing = objs.filter((o) => o.external && !networks.some((n) => n.name === o.name));
  if (missing.length > 0) {
    throw new UserError(missing.map((o) => `networks.${o.key}: external network ${o.name} not found in the cluster`).join('\n'), {
      hint: `create it first with \`tsswarm network create -d overlay ${missing[0]!.name}\``,
    });
  }
  const ids: StackNetworkIds = {};
  for (const o of objs) {
    const have = networks.find((n) => n.name === o.name);
    if (have) {
      ids[o.key] = { id: have.id, name: have.name };
      continue;
    }
    process.stdout.write(`Creating network ${o.name}\n`);
    const { id } = await local<{ id: string }>(g, '/v1/networks', { body: { spec: o.spec } });
    ids[o.key] = { id, name: o.name };
  }
  return ids;
}

/**
 * The stack's secrets and configs in the cluster: an existing one (by name) is reused as is
 * (cluster secrets are immutable: to change one, give it a new name, as with Docker), an external
 * one must exist, the others are created from their file, environment variable or content.
 */
async function ensureStackFiles(g: SwarmGlobals, stack: string, objs: StackFileObject[], projectEnv: Record<string, string>): Promise<StackFileIds> {
  const ids: StackFileIds = { secret: {}, config: {} };
  const lists: Record<'secret' | 'config', FileObjectView[]> = { secret: [], config: [] };
  for (const kind of ['secret', 'config'] as const) {
    if (objs.some((o) => o.kind === kind)) lists[kind] = await listFileObjects(g, kind);
  }
  // Check everything before creating anything.
  const missing = objs.filter((o) => !lists[o.kind].some((x) => x.name === o.name) && (o.external || o.source === null));
  if (missing.length > 0) {
    throw new UserError(missing.map((o) => `${o.kind}s.${o.key}: ${o.external ? `external ${o.kind} ${o.name} not found in the cluster` : 'no file, environment or content to create it from'}`).join('\n'), {
      hint: `create it first with \`tsswarm ${missing[0]!.kind} create ${missing[0]!.name} FILE\``,
    });
  }
  const payloads = new Map<StackFileObject, Buffer>();
  for (const o of objs) {
    if (lists[o.kind].some((x) => x.name === o.name) || o.source === null) continue;
    const src = o.source;
    let data: Buffer;
    if ('file' in src) {
      try {
        data = await readPayload(o.kind, src.file);
      } catch (e) {
        throw new UserError(`${o.kind}s.${o.key}: ${isUserError(e) ? e.message : String(e)}`, { cause: e });
      }
    } else if ('environment' in src) data = Buffer.from(projectEnv[src.environment] ?? process.env[src.environment] ?? '');
    else data = Buffer.from(src.content);
    if (data.length === 0) throw new UserError(`${o.kind}s.${o.key}: the value is empty`);
    payloads.set(o, data);
  }
  for (const o of objs) {
    const have = lists[o.kind].find((x) => x.name === o.name);
    if (have) {
      ids[o.kind][o.key] = { id: have.id, name: have.name };
      continue;
    }
    process.stdout.write(`Creating ${o.kind} ${o.name}\n`);
    const { id } = await local<{ id: string }>(g, `/v1/${o.kind}s`, { body: { name: o.name, labels: { [STACK_NAMESPACE_LABEL]: stack }, data: payloads.get(o)!.toString('base64') } });
    ids[o.kind][o.key] = { id, name: o.name };
  }
  return ids;
}
