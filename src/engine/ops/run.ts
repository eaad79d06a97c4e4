/**
 * `run`: a one-off container of a service (label oneoff=True, name <project>-<service>-run-<12 hex>),
 * its dependencies brought up first through the engine's `up` unless --no-deps, the project's
 * networks and volumes created when missing. Attached, the container's exit code becomes ours.
 */
import { randomBytes } from 'node:crypto';
import type { Project } from '../../compose/types.js';
import type { RegistryAuthLookup } from '../../registry/credentials.js';
import type { ContainerRuntime } from '../../runtime/runtime.js';
import { serviceConfigHash } from '../config-hash.js';
import { toContainerSpec } from '../container-spec.js';
import { executePlan } from '../executor.js';
import { ensureImages } from '../images.js';
import { serviceReferences } from '../dependencies.js';
import { oneOffName } from '../labels.js';
import { observe } from '../observed.js';
import type { ProgressSink } from '../progress.js';
import { planUp } from '../reconcile.js';
import { up } from '../up.js';
import { applyRunOverrides, type RunOverrides } from './run-spec.js';
import { checkServices, type Scope } from './scope.js';
import { attachSession, type LocalStdio } from './terminal.js';

export interface RunOptions extends RunOverrides {
  service: string;
  name?: string;
  rm?: boolean;
  noDeps?: boolean;
  build?: boolean;
  pull?: string;
  /** Registry credentials per image for pulls; by default those of the Docker CLI's config. */
  auth?: RegistryAuthLookup;
  /** Called once the engine work is done, before the container's output starts (ends progress views). */
  beforeAttach?: () => void;
}

export interface RunResult {
  exitCode: number;
  containerId: string;
  name: string;
}

/** 12 hex characters, as Compose's one-off names carry. Injected in tests. */
export type IdSource = () => string;
const randomId: IdSource = () => randomBytes(6).toString('hex');

export async function runCommand(
  runtime: ContainerRuntime,
  scope: Scope & { project: Project },
  opts: RunOptions,
  io: LocalStdio,
  progress: ProgressSink,
  newId: IdSource = randomId,
): Promise<RunResult> {
  const { project } = scope;
  checkServices(scope, [opts.service]);
  const svc = project.services[opts.service]!;
  // depends_on, and the services whose namespaces or volumes it joins (service:X, volumes_from).
  const deps = [...new Set([...Object.keys(svc.depends_on), ...serviceReferences(svc)])].filter((d) => project.services[d]);
  if (!opts.noDeps && deps.length) await up(runtime, project, { services: deps, progress, ...(opts.auth ? { auth: opts.auth } : {}) });
  await ensureNetworksAndVolumes(runtime, project, opts.service, progress);
  const { ids: imageIds } = await ensureImages(runtime, project, [opts.service], {
    ...(opts.build ? { build: true } : {}),
    ...(opts.pull ? { pull: opts.pull } : {}),
    ...(opts.auth ? { auth: opts.auth } : {}),
    progress,
  });
  const name = opts.name ?? oneOffName(project.name, opts.service, newId());
  const base = toContainerSpec({
    project,
    service: svc,
    number: 1,
    configHash: serviceConfigHash(svc),
    ...(imageIds[opts.service] ? { imageId: imageIds[opts.service] } : {}),
    oneOff: { name },
  });
  const spec = applyRunOverrides(base, project, opts.service, opts);
  // Detached, nobody is left to remove it: the engine does (with its anonymous volumes), as Compose.
  if (opts.detach && opts.rm) spec.autoRemove = true;
  const id = await runtime.createContainer(spec);
  opts.beforeAttach?.();
  if (opts.detach) {
    await runtime.startContainer(id);
    return { exitCode: 0, containerId: id, name };
  }
  const stdin = spec.attachStdin ?? false;
  const forward = forwardSignals(runtime, id, opts.tty);
  try {
    // Attach before starting so not a byte of early output is lost.
    const session = await runtime.attach(id, { stdin, tty: opts.tty });
    await runtime.startContainer(id);
    const exitCode = await attachSession(session, io, { tty: opts.tty, interactive: stdin });
    return { exitCode, containerId: id, name };
  } finally {
    forward.stop();
    if (opts.rm) await runtime.removeContainer(id, { force: true, volumes: true }).catch(() => undefined);
  }
}

/**
 * Without a TTY, Ctrl-C and SIGTERM go to the container (as `docker compose run` does), so the
 * process inside decides how to end; with a TTY the terminal already sends them as bytes.
 */
function forwardSignals(runtime: ContainerRuntime, id: string, tty: boolean): { stop(): void } {
  if (tty) return { stop: () => undefined };
  const handler = (sig: NodeJS.Signals): void => void runtime.killContainer(id, sig).catch(() => undefined);
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    stop: () => {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}

/** The service's networks and volumes, created when missing, through the engine's own plan. */
async function ensureNetworksAndVolumes(runtime: ContainerRuntime, project: Project, service: string, progress: ProgressSink): Promise<void> {
  const observed = await observe(runtime, project.name);
  // Only what is missing: a network that differs from the file is up's business (noRecreate keeps
  // planUp from planning its recreation, or refusing because other services use it).
  const plan = planUp(project, observed, { services: [service], env: process.env, noRecreate: true });
  const operations = plan.operations
    .filter((op) => op.kind === 'create-network' || op.kind === 'create-volume')
    .map((op) => ({ ...op, deps: [] }));
  if (operations.length) await executePlan(runtime, { operations, warnings: [] }, { progress });
}
