/**
 * The planner: a pure function of (project, observed state, options) to a Plan. No engine calls, no
 * clock; everything it needs (config hashes, image ids) is in its inputs, so golden tests pin it.
 */
import type { Project, ServiceConfig } from '../compose/types.js';
import { LABEL, COMPOSE_VERSION } from './labels.js';
import type { ObservedContainer, ObservedState } from './observed.js';
import { PlanBuilder, type Plan } from './plan.js';
import { withLifecycleHooks } from './hooks.js';
import { notActedOnWarning } from './unsupported-keys.js';
import { fileInjections, hostFiles, toContainerSpec, withShareableIpc } from './container-spec.js';
import { serviceConfigHash } from './config-hash.js';
import { serviceDigests, type ContentDigests } from './content-digest.js';
import { dependencyOrder, namespaceReferences, serviceReferences } from './dependencies.js';
import { desiredScale, serviceContainerName, serviceNetworkKeys, volumeName } from './project-names.js';
import { desiredNetworkSpec, networkDifferences } from './network-spec.js';
import { UserError } from '../util/errors.js';

export interface UpPlanOptions {
  /** Services to converge (already including dependencies unless --no-deps). Default: all. */
  services?: string[];
  scale?: Record<string, number>;
  forceRecreate?: boolean;
  noRecreate?: boolean;
  noStart?: boolean;
  removeOrphans?: boolean;
  /** Seconds for stop during recreate/scale-down. */
  timeout?: number;
  /** Current image id per service (from the image store), to recreate containers on a new image. */
  imageIds?: Record<string, string>;
  /** Environment for secrets/configs from `environment:`. */
  env?: Record<string, string | undefined>;
  /** Project state directory: content/environment secrets are written there and bind-mounted. */
  stateDir?: string;
  /** Digests of the secrets' and configs' content (content-digest.ts), folded into config hashes. */
  contentDigests?: ContentDigests;
  /** Paths each service's image declares as VOLUME: mounted as labelled anonymous volumes. */
  imageVolumes?: Record<string, string[]>;
}

const RUNNING = new Set(['running', 'restarting', 'paused']);

/** Orphans: project containers (not one-off) whose service is no longer declared. */
export function orphanContainers(project: Project, observed: ObservedState): ObservedContainer[] {
  return observed.containers.filter((c) => !c.oneOff && !project.services[c.service] && !project.disabledServices[c.service]);
}

// eslint-disable-next-line complexity, max-lines-per-function -- complexity 71, 191 lines (STYLE.md §7): to be split (networks/volumes, per-service convergence, orphans)
export function planUp(project: Project, observed: ObservedState, opts: UpPlanOptions = {}): Plan {
  const b = new PlanBuilder();
  const selected = opts.services ?? Object.keys(project.services);
  const order = dependencyOrder(project, selected);
  const labels = (extra: Record<string, string>): Record<string, string> => ({ [LABEL.project]: project.name, [LABEL.version]: COMPOSE_VERSION, ...extra });
  const selectedSet = new Set(selected);

  // Networks and volumes used by the selected services, created once. A project network whose
  // definition differs from the file is recreated, Compose v2's way: the containers attached to it
  // are stopped and removed, the network removed (other endpoints disconnected) and created again,
  // then the containers are created anew on it.
  const networkOps = new Map<string, number | undefined>();
  const volumeOps = new Map<string, number | undefined>();
  const preRemoved = new Map<string, number>();
  const stopAndRemove = (c: ObservedContainer): number => {
    const known = preRemoved.get(c.name);
    if (known !== undefined) return known;
    const stop = RUNNING.has(c.status) ? b.add({ kind: 'stop-container', name: c.name, service: c.service, ...(opts.timeout !== undefined ? { timeout: opts.timeout } : {}) }) : undefined;
    const rm = b.add({ kind: 'remove-container', name: c.name, service: c.service, volumes: false, deps: [stop] });
    preRemoved.set(c.name, rm);
    return rm;
  };
  for (const name of order) {
    const svc = project.services[name]!;
    for (const key of serviceNetworkKeys(svc)) {
      if (networkOps.has(key)) continue;
      if (project.networks[key]?.external) {
        networkOps.set(key, undefined);
        continue;
      }
      const spec = desiredNetworkSpec(project, key);
      const existing = observed.networks.find((n) => n.name === spec.name);
      if (!existing) {
        networkOps.set(key, b.add({ kind: 'create-network', name: spec.name, spec }));
        continue;
      }
      const diffs = networkDifferences(spec, existing);
      if (!diffs.length || opts.noRecreate) {
        if (diffs.length) b.warnings.push(`network ${spec.name} differs from the file (${diffs.join(', ')}); kept because of --no-recreate`);
        networkOps.set(key, undefined);
        continue;
      }
      // Services left out by the command line or profiles are in disabledServices.
      const attached = observed.containers.filter((c) => {
        const cfg = project.services[c.service] ?? project.disabledServices[c.service];
        return !c.oneOff && cfg !== undefined && serviceNetworkKeys(cfg).includes(key);
      });
      const untouched = [...new Set(attached.map((c) => c.service).filter((s) => !selectedSet.has(s)))].sort();
      if (untouched.length) {
        throw new UserError(`network ${spec.name} differs from the file (${diffs.join(', ')}) and must be recreated, but service${untouched.length > 1 ? 's' : ''} ${untouched.join(', ')} also use${untouched.length > 1 ? '' : 's'} it and ${untouched.length > 1 ? 'are' : 'is'} not part of this up`, {
          code: 'conflict',
          hint: `run "tscompose up" without naming services, or "tscompose down" first`,
        });
      }
      b.warnings.push(`network ${spec.name} differs from the file (${diffs.join(', ')}): recreating it and the containers attached to it`);
      const removeNet = b.add({ kind: 'remove-network', name: spec.name, disconnect: true, deps: attached.map(stopAndRemove) });
      networkOps.set(key, b.add({ kind: 'create-network', name: spec.name, spec, deps: [removeNet] }));
    }
    for (const v of svc.volumes) {
      if (v.type !== 'volume' || !v.source || volumeOps.has(v.source)) continue;
      const cfg = project.volumes[v.source];
      const engineName = volumeName(project, v.source);
      if (cfg?.external || observed.volumes.some((o) => o.name === engineName)) {
        volumeOps.set(v.source, undefined);
        continue;
      }
      volumeOps.set(v.source, b.add({
        kind: 'create-volume',
        name: engineName,
        spec: {
          name: engineName,
          labels: { ...(cfg?.labels ?? {}), ...labels({ [LABEL.volume]: v.source }) },
          ...(cfg?.driver ? { driver: cfg.driver } : {}),
          ...(cfg?.driver_opts ? { driverOpts: cfg.driver_opts } : {}),
        },
      }));
    }
  }

  // Per service: which operations start its containers (gates wait on them) and whether it was recreated.
  const startOps = new Map<string, number[]>();
  const touched = new Map<string, boolean>();
  const desiredNames = new Map<string, string[]>();
  const firstContainer = (s: string): string => desiredNames.get(s)?.[0] ?? serviceContainerName(project, project.services[s] ?? ({ name: s } as ServiceConfig), 1);

  for (const name of order) {
    const svc = withShareableIpc(project, project.services[name]!);
    const hash = serviceConfigHash(svc, serviceDigests(svc, opts.contentDigests));
    const imageId = opts.imageIds?.[name];
    const want = desiredScale(svc, opts.scale?.[name]);
    const existing = observed.containers.filter((c) => c.service === name && !c.oneOff).sort((a, b2) => a.number - b2.number);
    const keep = existing.slice(0, want);
    const extra = existing.slice(want).reverse(); // highest numbers go first

    // Gates: this service's starts wait for each dependency's condition.
    const gateDeps = (): number[] => {
      const gates: number[] = [];
      for (const [dep, d] of Object.entries(svc.depends_on)) {
        if (!selected.includes(dep)) {
          if (!project.services[dep] && !d.required) b.warnings.push(`${name} depends on optional service ${dep}, which is not enabled: not waiting for it`);
          continue;
        }
        gates.push(b.add({
          kind: 'wait-dependency',
          name,
          service: name,
          dependency: dep,
          condition: d.condition,
          containers: desiredNames.get(dep) ?? [],
          required: d.required,
          deps: startOps.get(dep) ?? [],
        }));
      }
      return gates;
    };
    let gates: number[] | undefined;
    const gate = (): number[] => (gates ??= gateDeps());

    const refDeps = serviceReferences(svc).flatMap((s) => startOps.get(s) ?? []);
    const infraDeps = [
      ...serviceNetworkKeys(svc).map((k) => networkOps.get(k)),
      ...svc.volumes.filter((v) => v.type === 'volume' && v.source).map((v) => volumeOps.get(v.source!)),
    ];
    const starts: number[] = [];
    const names: string[] = [];
    let recreated = false;
    const materialized = opts.stateDir !== undefined ? hostFiles(project, svc, opts.env ?? {}, opts.stateDir) : [];
    const spec = (n: number, inheritVolumes?: Record<string, string>) =>
      toContainerSpec({
        project,
        service: svc,
        number: n,
        configHash: hash,
        ...(imageId ? { imageId } : {}),
        serviceContainer: firstContainer,
        hostFiles: materialized,
        ...(inheritVolumes ? { inheritVolumes } : {}),
        ...(opts.imageVolumes?.[name] ? { imageVolumes: opts.imageVolumes[name] } : {}),
      });
    // Without a state directory, content secrets are copied into the container after create.
    const files = opts.stateDir !== undefined ? [] : fileInjections(project, svc, opts.env ?? {});
    const hostFileWrites = materialized.map((f) => ({ path: f.path, content: f.content, mode: f.mode }));

    const createAndStart = (n: number, after: Array<number | undefined>, replaces?: ObservedContainer): void => {
      const s = spec(n, replaces?.volumes);
      names.push(s.name);
      const create = b.add({ kind: 'create-container', name: s.name, service: name, spec: s, files, ...(hostFileWrites.length ? { hostFiles: hostFileWrites } : {}), ...(replaces ? { replaces: replaces.name } : {}), deps: [...infraDeps, ...refDeps, ...after] });
      if (!opts.noStart) starts.push(b.add({ kind: 'start-container', name: s.name, service: name, created: true, deps: [create, ...gate()] }));
    };

    // A container that joined the namespaces of a container recreated by this plan points at the
    // removed one: it is recreated too, onto the new one (as Compose does).
    const joinsRecreated = namespaceReferences(svc).some((s) => touched.get(s));
    for (const c of keep) {
      const removed = preRemoved.get(c.name);
      if (removed !== undefined) {
        // Removed with a network that is being recreated: created again on the new network.
        recreated = true;
        createAndStart(c.number, [removed], c);
        continue;
      }
      const changed = c.configHash !== hash || (imageId !== undefined && c.imageId !== imageId) || joinsRecreated;
      const recreate = opts.forceRecreate || (!opts.noRecreate && changed);
      if (recreate) {
        recreated = true;
        const stop = RUNNING.has(c.status) ? b.add({ kind: 'stop-container', name: c.name, service: name, ...(opts.timeout !== undefined ? { timeout: opts.timeout } : {}) }) : undefined;
        const rm = b.add({ kind: 'remove-container', name: c.name, service: name, volumes: false, deps: [stop] });
        createAndStart(c.number, [rm], c);
      } else {
        names.push(c.name);
        if (!RUNNING.has(c.status) && !opts.noStart) starts.push(b.add({ kind: 'start-container', name: c.name, service: name, created: false, deps: [...infraDeps, ...refDeps, ...gate()] }));
      }
    }
    const used = new Set(keep.map((c) => c.number));
    for (let n = 1; names.length < want; n++) if (!used.has(n)) createAndStart(n, []);
    for (const c of extra) {
      if (preRemoved.has(c.name)) continue;
      const stop = RUNNING.has(c.status) ? b.add({ kind: 'stop-container', name: c.name, service: name, ...(opts.timeout !== undefined ? { timeout: opts.timeout } : {}) }) : undefined;
      b.add({ kind: 'remove-container', name: c.name, service: name, volumes: false, deps: [stop] });
    }
    startOps.set(name, starts);
    desiredNames.set(name, names);
    touched.set(name, recreated);
    // Fill in the gates' container lists now that the dependency's names are known.
  }

  // restart: true — a dependency that was recreated restarts its running dependents.
  for (const name of order) {
    const svc = project.services[name]!;
    if (touched.get(name) || (startOps.get(name)?.length ?? 0) > 0) continue;
    for (const [dep, d] of Object.entries(svc.depends_on)) {
      if (!d.restart || !touched.get(dep)) continue;
      for (const c of desiredNames.get(name) ?? []) {
        b.add({ kind: 'restart-container', name: c, service: name, ...(opts.timeout !== undefined ? { timeout: opts.timeout } : {}), deps: startOps.get(dep) ?? [] });
      }
    }
  }

  const orphans = orphanContainers(project, observed);
  if (orphans.length) {
    if (opts.removeOrphans) {
      for (const c of orphans) {
        const stop = RUNNING.has(c.status) ? b.add({ kind: 'stop-container', name: c.name, service: c.service, ...(opts.timeout !== undefined ? { timeout: opts.timeout } : {}) }) : undefined;
        b.add({ kind: 'remove-container', name: c.name, service: c.service, volumes: false, deps: [stop] });
      }
    } else {
      b.warnings.push(
        `found orphan containers (${orphans.map((c) => c.name).join(', ')}) for this project; if you removed or renamed this service in your compose file, run this command with --remove-orphans to clean it up`,
      );
    }
  }
  for (const name of Object.keys(project.services).sort()) {
    if (project.services[name]!.models) b.warnings.push(`service ${name} uses models: tscompose does not drive Docker Model Runner, so no model is pulled and its variables are not set`);
    const idle = notActedOnWarning(project.services[name]!);
    if (idle) b.warnings.push(idle);
  }
  return withLifecycleHooks(b.build(), project);
}

export interface DownPlanOptions {
  removeOrphans?: boolean;
  volumes?: boolean;
  /** Images to remove (--rmi), resolved by the caller. */
  images?: string[];
  timeout?: number;
  /** Services to stop and remove; default all (and then networks/volumes too). */
  services?: string[];
}

/**
 * down: stop dependents before their dependencies, remove every container, then the project's
 * networks, and with -v its volumes; with --rmi its images.
 */
export function planDown(project: Project, observed: ObservedState, opts: DownPlanOptions = {}): Plan {
  const b = new PlanBuilder();
  const all = !opts.services;
  const selected = new Set(opts.services ?? Object.keys(project.services));
  const order = dependencyOrder(project, [...selected]).reverse(); // dependents first
  const stopOps = new Map<string, number[]>();
  const removeOps: number[] = [];
  const timeout = opts.timeout !== undefined ? { timeout: opts.timeout } : {};
  const orphans = new Set(orphanContainers(project, observed).map((c) => c.id));
  const containersOf = (svc: string): ObservedContainer[] => observed.containers.filter((c) => c.service === svc && !c.oneOff).sort((a, b2) => b2.number - a.number);

  for (const name of order) {
    const svc = project.services[name];
    // A service stops after every running service that depends on it has stopped.
    const dependents = order.filter((o) => project.services[o]?.depends_on[name]).flatMap((o) => stopOps.get(o) ?? []);
    const stops: number[] = [];
    for (const c of containersOf(name)) {
      const stop = RUNNING.has(c.status) ? b.add({ kind: 'stop-container', name: c.name, service: name, ...timeout, deps: dependents }) : undefined;
      if (stop !== undefined) stops.push(stop);
      removeOps.push(b.add({ kind: 'remove-container', name: c.name, service: name, volumes: !!opts.volumes, deps: [stop ?? undefined, ...(stop === undefined ? dependents : [])] }));
    }
    stopOps.set(name, stops);
    void svc;
  }
  // One-off containers (run) of the selected services go too.
  for (const c of observed.containers.filter((c) => c.oneOff && selected.has(c.service))) {
    removeOps.push(b.add({ kind: 'remove-container', name: c.name, service: c.service, volumes: true }));
  }
  if (all) {
    const remaining = observed.containers.filter((c) => orphans.has(c.id));
    if (opts.removeOrphans) {
      for (const c of remaining) {
        const stop = RUNNING.has(c.status) ? b.add({ kind: 'stop-container', name: c.name, service: c.service, ...timeout }) : undefined;
        removeOps.push(b.add({ kind: 'remove-container', name: c.name, service: c.service, volumes: !!opts.volumes, deps: [stop] }));
      }
    } else if (remaining.length) {
      b.warnings.push(`found orphan containers (${remaining.map((c) => c.name).join(', ')}) for this project; run with --remove-orphans to remove them`);
    }
    const declaredNetworks = new Set(Object.entries(project.networks).filter(([, n]) => !n.external).map(([, n]) => n.name));
    for (const n of observed.networks) {
      if (declaredNetworks.has(n.name) || n.key === 'default' || opts.removeOrphans || !project.networks[n.key]) {
        if (project.networks[n.key]?.external) continue;
        b.add({ kind: 'remove-network', name: n.name, deps: removeOps });
      }
    }
    if (opts.volumes) {
      for (const v of observed.volumes) {
        if (project.volumes[v.key]?.external) continue;
        b.add({ kind: 'remove-volume', name: v.name, deps: removeOps });
      }
    }
    for (const img of opts.images ?? []) b.add({ kind: 'remove-image', name: img, deps: removeOps });
  }
  return withLifecycleHooks(b.build(), project);
}
