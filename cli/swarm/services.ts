import type { ServiceView, TaskView } from '../../src/swarm/api/views.js';
import { serviceSpecFromFlags, updatedSpec, withinLimits, type ServiceFlags, type ServiceUpdateFlags } from '../../src/swarm/service-flags.js';
import type { Service } from '../../src/swarm/store/index.js';
import { UserError } from '../../src/util/errors.js';
import { lineSplitter } from '../../src/util/ndjson.js';
import { local, socketPath, type SwarmGlobals } from './local.js';
import { resolveFileRefs } from './files.js';
import { cap, printTable } from './table.js';
import { withoutDigest } from '../../src/swarm/image-digest.js';
import { imageRequestFields, printWarnings, type ImageFlags } from './image-options.js';

/** `tsswarm service ...`: argument handling and rendering; the managers do the work. */

const enc = encodeURIComponent;

type CreateFlags = ServiceFlags & ImageFlags & { detach?: boolean; quiet?: boolean; secret?: string[]; config?: string[] };

export async function serviceCreateCommand(g: SwarmGlobals, image: string, command: string[], f: CreateFlags): Promise<void> {
  const spec = serviceSpecFromFlags(f, image, command);
  spec.task.container.secrets = await resolveFileRefs(g, 'secret', f.secret ?? []);
  spec.task.container.configs = await resolveFileRefs(g, 'config', f.config ?? []);
  withinLimits(spec);
  const r = await local<{ id: string; warnings?: string[] }>(g, '/v1/services', { body: { spec, ...(await imageRequestFields(image, f)) } });
  printWarnings(r);
  const id = r.id;
  process.stdout.write(`${id}\n`);
  if (!f.detach) await waitConverged(g, id, f.quiet === true);
}

type UpdateFlags = Omit<ServiceUpdateFlags, 'secretAdd' | 'configAdd'> & ImageFlags & { detach?: boolean; quiet?: boolean; rollback?: boolean; secretAdd?: string[]; configAdd?: string[] };

export async function serviceUpdateCommand(g: SwarmGlobals, ref: string, f: UpdateFlags): Promise<void> {
  const { service } = await local<{ service: Service }>(g, `/v1/services/${enc(ref)}`);
  // The spec holds network ids; `--network-rm` takes names too.
  const networkRm = await Promise.all((f.networkRm ?? []).map(async (n) => (await local<{ network: { id: string } }>(g, `/v1/networks/${enc(n)}`)).network.id));
  // Every value is checked (updatedSpec, resolveFileRefs) before the update is sent: only reads come first.
  let body: object = { rollback: true, version: service.meta.version };
  if (!f.rollback) {
    const secretAdd = await resolveFileRefs(g, 'secret', f.secretAdd ?? [], '--secret-add');
    const configAdd = await resolveFileRefs(g, 'config', f.configAdd ?? [], '--config-add');
    const spec = updatedSpec(service.spec, { ...f, networkRm, secretAdd, configAdd });
    body = { spec, version: service.meta.version, ...(await imageRequestFields(spec.task.container.image, f)) };
  }
  const r = await local<{ warnings?: string[]; changed?: boolean }>(g, `/v1/services/${enc(service.id)}/update`, { body });
  printWarnings(r);
  process.stdout.write(`${service.spec.name}\n`);
  if (r.changed === false) process.stderr.write(`service ${service.spec.name}: nothing to change\n`);
  if (!f.detach) await waitConverged(g, service.id, f.quiet === true, f.rollback !== true);
}

export async function serviceScaleCommand(g: SwarmGlobals, pairs: string[], o: { detach?: boolean }): Promise<void> {
  const wanted = pairs.map((p) => {
    const m = /^([^=]+)=(\d+)$/.exec(p);
    if (!m) throw new UserError(`scale: invalid ${JSON.stringify(p)}: expected SERVICE=REPLICAS`, { exitCode: 2 });
    return { ref: m[1]!, replicas: m[2]! };
  });
  const ids: string[] = [];
  for (const w of wanted) {
    const { service } = await local<{ service: Service }>(g, `/v1/services/${enc(w.ref)}`);
    const spec = updatedSpec(service.spec, { replicas: w.replicas, envAdd: [], envRm: [] });
    await local(g, `/v1/services/${enc(service.id)}/update`, { body: { spec, version: service.meta.version } });
    process.stdout.write(`${service.spec.name} scaled to ${w.replicas}\n`);
    ids.push(service.id);
  }
  if (!o.detach) for (const id of ids) await waitConverged(g, id, false);
}

export async function serviceLsCommand(g: SwarmGlobals, o: { quiet?: boolean; format?: string }): Promise<void> {
  const { services } = await local<{ services: ServiceView[] }>(g, '/v1/services');
  if (o.format === 'json') return void process.stdout.write(JSON.stringify(services, null, 2) + '\n');
  if (o.quiet) return void process.stdout.write(services.map((s) => s.id + '\n').join(''));
  renderServices(services);
}

/** As Docker lists it: a pinned image by its tag alone (`app:1`), one pinned without a tag in full. */
function listedImage(image: string): string {
  const bare = withoutDigest(image);
  return /:[^/]+$/.test(bare) ? bare : image;
}

/** `service ls` / `stack services` table. */
export function renderServices(services: ServiceView[]): void {
  printTable([
    ['ID', 'NAME', 'MODE', 'REPLICAS', 'IMAGE', 'PORTS'],
    ...services.map((s) => [s.id.slice(0, 12), s.name, s.mode, `${s.running}/${s.desired}${s.mode === 'global' ? ' (global)' : ''}${s.updateState ? ` (${s.updateState})` : ''}`, listedImage(s.image), s.ports.join(', ')]),
  ]);
  // A service a control loop set aside: said under the table, so scripts reading it stay intact.
  for (const s of services) if (s.problem) process.stderr.write(`service ${s.name}: ${s.problem}\n`);
}

export async function servicePsCommand(g: SwarmGlobals, refs: string[], o: { all?: boolean; quiet?: boolean; format?: string; noTrunc?: boolean }): Promise<void> {
  const rows: TaskView[] = [];
  for (const ref of refs) rows.push(...(await local<{ tasks: TaskView[] }>(g, `/v1/services/${enc(ref)}/tasks${o.all ? '?all=true' : ''}`)).tasks);
  if (o.format === 'json') return void process.stdout.write(JSON.stringify(rows, null, 2) + '\n');
  if (o.quiet) return void process.stdout.write(rows.map((t) => t.id + '\n').join(''));
  renderTasks(rows, o);
}

/** `service ps` / `stack ps` table. */
export function renderTasks(rows: TaskView[], o: { noTrunc?: boolean }): void {
  const now = Date.now();
  printTable([
    ['ID', 'NAME', 'IMAGE', 'NODE', 'DESIRED STATE', 'CURRENT STATE', 'ERROR'],
    ...rows.map((t) => [
      o.noTrunc ? t.id : t.id.slice(0, 12),
      t.name,
      t.image,
      t.node,
      cap(t.desiredState),
      `${cap(t.state)}${t.health && t.health !== 'healthy' ? ` (${t.health})` : ''} ${ago(now - t.since)}`,
      o.noTrunc || t.error.length <= 60 ? t.error : t.error.slice(0, 57) + '...',
    ]),
  ]);
}

export async function serviceInspectCommand(g: SwarmGlobals, refs: string[]): Promise<void> {
  const out = [];
  for (const ref of refs) out.push((await local<{ service: Service }>(g, `/v1/services/${enc(ref)}`)).service);
  process.stdout.write(JSON.stringify(out, null, 2) + '\n');
}

export async function serviceRmCommand(g: SwarmGlobals, refs: string[]): Promise<void> {
  for (const ref of refs) {
    await local(g, `/v1/services/${enc(ref)}`, { method: 'DELETE' });
    process.stdout.write(`${ref}\n`);
  }
}

/**
 * Like Docker without --detach: shows progress until every wanted task runs (healthy when it has a
 * healthcheck) with the current spec, and the update (if any) is done. Ctrl-C stops watching only.
 */
async function waitConverged(g: SwarmGlobals, id: string, quiet: boolean, failOnRollback = false): Promise<void> {
  let last = '';
  for (;;) {
    const { services } = await local<{ services: ServiceView[] }>(g, '/v1/services');
    const s = services.find((x) => x.id === id);
    if (!s) throw new UserError(`service ${id} was removed while waiting for it`);
    const { tasks } = await local<{ tasks: TaskView[] }>(g, `/v1/services/${enc(id)}/tasks`);
    const waiting = tasks.filter((t) => t.desiredState === 'running' && t.state === 'pending' && t.error);
    const line = `overall progress: ${s.running} out of ${s.desired} tasks${waiting[0] ? ` (${waiting[0].error})` : ''}`;
    if (!quiet && line !== last) process.stderr.write(line + '\n');
    last = line;
    const updating = s.updateState === 'updating' || s.updateState === 'rollback-started';
    if (s.running === s.desired && !updating && tasks.every((t) => t.desiredState !== 'running' || t.state === 'running')) {
      if (failOnRollback && s.updateState === 'rollback-completed') {
        throw new UserError(`service ${s.name}: the update failed and was rolled back${s.updateMessage ? ` (${s.updateMessage})` : ''}`, { hint: `see \`tsswarm service ps --all ${s.name}\`` });
      }
      break;
    }
    if (s.updateState === 'paused' || s.updateState === 'rollback-paused') throw new UserError(`service ${s.name}: update ${s.updateState}; see \`tsswarm service ps ${s.name}\``);
    await new Promise((r) => setTimeout(r, 200));
  }
  if (!quiet) process.stderr.write('verify: Service converged\n');
}

function ago(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} second${s === 1 ? '' : 's'} ago`;
  if (s < 3600) return `${Math.round(s / 60)} minutes ago`;
  return `${Math.round(s / 3600)} hours ago`;
}

/** `service logs`: the merged stream the local daemon reads from every task's node. */
export async function serviceLogsCommand(g: SwarmGlobals, ref: string, o: { follow?: boolean; tail?: string; timestamps?: boolean; taskIds?: boolean; raw?: boolean }): Promise<number> {
  if (o.tail !== undefined && o.tail !== 'all' && !/^\d+$/.test(o.tail)) throw new UserError(`--tail: invalid value ${JSON.stringify(o.tail)}: expected a number or all`, { exitCode: 2 });
  // Resolve first: an unknown service is an error, not an empty stream.
  await local(g, `/v1/services/${enc(ref)}`);
  const q = new URLSearchParams({ service: ref, tail: o.tail ?? 'all', ...(o.follow ? { follow: '1' } : {}), ...(o.timestamps ? { timestamps: '1' } : {}) });
  const { request } = await import('node:http');
  let failed = false;
  await new Promise<void>((resolve, reject) => {
    const req = request({ socketPath: socketPath(g), path: `/local/service-logs?${q}`, method: 'GET' }, (res) => {
      res.setEncoding('utf8');
      res.on(
        'data',
        lineSplitter((line) => {
          const l = JSON.parse(line) as { task: string; node: string; stream?: string; text?: string; error?: string; code?: string; message?: string };
          if (l.code && l.message) {
            failed = true;
            process.stderr.write(`tsswarm: ${l.message}\n`);
            return;
          }
          const name = o.taskIds === false ? l.task.replace(/\.[^.]+$/, '') : l.task;
          if (l.error) {
            failed = true;
            process.stderr.write(`error from ${l.node}: ${l.error}\n`);
          } else if (o.raw) (l.stream === 'stderr' ? process.stderr : process.stdout).write(`${l.text}\n`);
          else (l.stream === 'stderr' ? process.stderr : process.stdout).write(`${name}@${l.node}    | ${l.text}\n`);
        }),
      );
      res.on('end', () => resolve());
      res.on('error', reject);
    });
    req.on('error', (e) => reject(new UserError(`no tsswarm daemon answers on ${socketPath(g)}: ${e.message}`)));
    process.once('SIGINT', () => {
      req.destroy();
      resolve();
    });
    req.end();
  });
  return failed ? 1 : 0;
}
