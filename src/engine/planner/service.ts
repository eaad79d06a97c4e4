/**
 * The per-service convergence planner: for one service, which of its containers are kept,
 * started, recreated (and why), created to reach the scale, or removed above it. Each start waits
 * for a gate per dependency; the gates are made at the first start, so a service with nothing to
 * start waits for nothing.
 */
import type { ObservedContainer } from '../observed.js';
import { namespaceReferences, serviceReferences } from '../dependencies.js';
import { desiredScale, serviceNetworkKeys } from '../project-names.js';
import { RUNNING, stopAndRemove, type PlanContext } from './context.js';
import { recreateCause } from './recreate.js';
import { serviceSpecs } from './service-spec.js';
import { preStartSpecs } from '../hooks.js';
import type { ContainerSpec } from '../../runtime/types.js';

/** The ops a service's creates wait for: its networks' and volumes' (undefined: nothing to wait for). */
export interface Infrastructure {
  networks: ReadonlyMap<string, number | undefined>;
  volumes: ReadonlyMap<string, number | undefined>;
}

export function planService(ctx: PlanContext, name: string, infra: Infrastructure): void {
  const { b, opts } = ctx;
  const s = serviceSpecs(ctx, name);
  const svc = s.svc;
  const want = desiredScale(svc, opts.scale?.[name]);
  const existing = ctx.observed.containers.filter((c) => c.service === name && !c.oneOff).sort((a, b2) => a.number - b2.number);
  const keep = existing.slice(0, want);
  const extra = existing.slice(want).reverse(); // highest numbers go first

  let gates: number[] | undefined;
  const gate = (): number[] => (gates ??= gateOps(ctx, name));
  const refDeps = serviceReferences(svc).flatMap((r) => ctx.startOps.get(r) ?? []);
  const infraDeps = [
    ...serviceNetworkKeys(svc).map((k) => infra.networks.get(k)),
    ...svc.volumes.filter((v) => v.type === 'volume' && v.source).map((v) => infra.volumes.get(v.source!)),
  ];
  const starts: number[] = [];
  /** The number and spec of the container each start starts (pre_start hooks run for the lowest). */
  const startSpecs: Array<{ n: number; spec: ContainerSpec }> = [];
  const names: string[] = [];
  let recreated = false;

  const createAndStart = (n: number, cause: string, after: Array<number | undefined>, replaces?: ObservedContainer): void => {
    // -V: the new container gets fresh anonymous volumes. The replaced one's stay (as in Compose):
    // removing them could fail on a volume another container mounts (volumes_from), and they
    // carry the project label, so `down -v` finds them.
    const spec = s.spec(n, replaces && !opts.renewAnonVolumes ? replaces.volumes : undefined);
    names.push(spec.name);
    const create = b.add({
      kind: 'create-container', name: spec.name, service: name, spec, files: s.files, cause,
      ...(s.hostFileWrites.length ? { hostFiles: s.hostFileWrites } : {}),
      ...(replaces ? { replaces: replaces.name } : {}),
      deps: [...infraDeps, ...refDeps, ...after],
    });
    if (!opts.noStart) {
      starts.push(b.add({ kind: 'start-container', name: spec.name, service: name, created: true, cause, deps: [create, ...gate()] }));
      startSpecs.push({ n, spec });
    }
  };

  // A container that joined the namespaces of a container recreated by this plan points at the
  // removed one: it is recreated too, onto the new one (as Compose does).
  const recreatedDonor = namespaceReferences(svc).find((r) => ctx.recreated.has(r));
  const named = !opts.targets || opts.targets.includes(name);
  for (const c of keep) {
    const removed = ctx.preRemoved.get(c.name);
    if (removed !== undefined) {
      // Removed with a network that is being recreated: created again on the new network.
      recreated = true;
      createAndStart(c.number, removed.cause, [removed.op], c);
      continue;
    }
    const cause = recreateCause(c, { opts, hash: s.hash, fieldHashes: s.fieldHashes, imageId: s.imageId, recreatedDonor, dependency: !named, named });
    if (cause !== undefined) {
      recreated = true;
      createAndStart(c.number, cause, [stopAndRemove(ctx, c, cause)], c);
    } else {
      names.push(c.name);
      if (!RUNNING.has(c.status) && !opts.noStart) {
        starts.push(b.add({ kind: 'start-container', name: c.name, service: name, created: false, cause: 'not running', deps: [...infraDeps, ...refDeps, ...gate()] }));
        startSpecs.push({ n: c.number, spec: { ...s.spec(c.number), name: c.name } });
      }
    }
  }
  const used = new Set(keep.map((c) => c.number));
  const scaleCause = existing.length ? `scale ${existing.length} -> ${want}` : 'missing';
  for (let n = 1; names.length < want; n++) if (!used.has(n)) createAndStart(n, scaleCause, []);
  for (const c of extra) {
    if (ctx.preRemoved.has(c.name)) continue;
    stopAndRemove(ctx, c, `scale ${existing.length} -> ${want}`);
  }
  attachPreStart(ctx, name, starts, startSpecs, names.length);
  ctx.startOps.set(name, starts);
  ctx.desiredNames.set(name, names);
  if (recreated) ctx.recreated.add(name);
}

/**
 * pre_start runs, as in Compose, only when every container of the service starts in this plan: on
 * the start of the lowest-numbered one, before it; the service's other starts wait for that one.
 */
function attachPreStart(ctx: PlanContext, name: string, starts: number[], specs: Array<{ n: number; spec: ContainerSpec }>, total: number): void {
  const hooks = ctx.project.services[name]?.pre_start;
  if (!hooks?.length || starts.length === 0 || starts.length !== total) return;
  let first = 0;
  specs.forEach((x, i) => { if (x.n < specs[first]!.n) first = i; });
  const op = ctx.b.operations.find((o) => o.id === starts[first]);
  if (op?.kind !== 'start-container') return;
  op.preStart = preStartSpecs(hooks, specs[first]!.spec, name);
  for (const id of starts) {
    const other = ctx.b.operations.find((o) => o.id === id);
    if (other && id !== op.id && !other.deps.includes(op.id)) other.deps = [...other.deps, op.id].sort((a, b2) => a - b2);
  }
}

/** One gate per dependency this up converges: it waits for the dependency's starts in this plan. */
function gateOps(ctx: PlanContext, name: string): number[] {
  const { b, project } = ctx;
  const gates: number[] = [];
  for (const [dep, d] of Object.entries(project.services[name]!.depends_on)) {
    if (!ctx.selected.has(dep)) {
      if (!project.services[dep] && !d.required) b.warnings.push(`${name} depends on optional service ${dep}, which is not enabled: not waiting for it`);
      continue;
    }
    gates.push(b.add({
      kind: 'wait-dependency',
      name,
      service: name,
      dependency: dep,
      condition: d.condition,
      containers: ctx.desiredNames.get(dep) ?? [],
      required: d.required,
      cause: `${name} depends on ${dep}`,
      deps: ctx.startOps.get(dep) ?? [],
    }));
  }
  return gates;
}
