/**
 * Service lifecycle hooks (`post_start`, `pre_stop`): commands exec'd in the service's container
 * right after it starts and right before it is stopped, as Compose runs them. A hook that exits
 * non-zero fails the operation it belongs to, naming the service, the hook and its output.
 *
 * `pre_start`, as Compose runs it: before the service's containers start (only when all of them
 * start in this plan), each hook in its own container, of the hook's image (or the service's),
 * with the service's environment and the hook's, the volumes of the lowest-numbered container
 * (volumes_from) and its networks. A hook that fails stops the start; its container is kept for
 * `docker logs` (down removes it); one that succeeds is removed.
 */
import type { LifecycleHook, Project } from '../compose/types.js';
import type { ContainerRuntime } from '../runtime/runtime.js';
import type { ContainerSpec, ExecSpec } from '../runtime/types.js';
import { LABEL } from './labels.js';
import { UserError } from '../util/errors.js';
import type { Plan } from './plan.js';

export type HookPhase = 'post_start' | 'pre_stop';

const PRE_START_INDEX = 'dev.tscompose.hook-index';

export function hookExec(h: LifecycleHook): ExecSpec {
  const env = Object.entries(h.environment ?? {}).map(([k, v]) => (v === null ? k : `${k}=${v}`));
  return {
    cmd: h.command,
    ...(env.length ? { env } : {}),
    ...(h.user !== undefined ? { user: h.user } : {}),
    ...(h.working_dir !== undefined ? { workingDir: h.working_dir } : {}),
    ...(h.privileged ? { privileged: true } : {}),
  };
}

/** The plan with each start carrying its service's post_start hooks and each stop its pre_stop hooks. */
export function withLifecycleHooks(plan: Plan, project: Project): Plan {
  for (const op of plan.operations) {
    const svc = op.service === undefined ? undefined : project.services[op.service];
    if (op.kind === 'start-container' && svc?.post_start?.length) op.hooks = svc.post_start;
    if (op.kind === 'stop-container' && svc?.pre_stop?.length) op.hooks = svc.pre_stop;
  }
  return plan;
}

/** Runs the hooks one after the other in `container`; the first that fails ends the run. */
export async function runHooks(runtime: ContainerRuntime, container: string, service: string, phase: HookPhase, hooks: readonly LifecycleHook[]): Promise<void> {
  for (const [i, h] of hooks.entries()) {
    const r = await runtime.exec(container, hookExec(h));
    if (r.exitCode === 0) continue;
    const out = (r.stderr.trim() || r.stdout.trim()).split('\n').slice(-3).join(' | ');
    throw new UserError(`service "${service}" ${phase} hook ${i} (${h.command.join(' ')}) exited with code ${r.exitCode}${out ? `: ${out}` : ''}`, {
      code: 'failed',
      hint: `fix services.${service}.${phase}[${i}], or run it by hand: tscompose exec ${service} ${h.command.join(' ')}`,
    });
  }
}

/** The containers of a service's pre_start hooks, for the service container `target` (pure). */
export function preStartSpecs(hooks: readonly LifecycleHook[], target: ContainerSpec, service: string): ContainerSpec[] {
  const project = target.labels[LABEL.project] ?? '';
  return hooks.map((h, i) => {
    const env = Object.entries(h.environment ?? {}).map(([k, v]) => (v === null ? k : `${k}=${v}`));
    // Endpoints without fixed addresses: the service container will take those.
    const networks = target.networks ? Object.fromEntries(Object.entries(target.networks).map(([n, e]) => [n, e.aliases ? { aliases: e.aliases } : {}])) : undefined;
    return {
      name: `${target.name}-pre_start-${i}`,
      image: h.image ?? target.image,
      labels: { [LABEL.project]: project, [LABEL.service]: service, [LABEL.version]: target.labels[LABEL.version] ?? '', [LABEL.hook]: 'pre_start', [PRE_START_INDEX]: String(i) },
      cmd: h.command,
      env: [...(target.env ?? []), ...env],
      ...(h.user !== undefined ? { user: h.user } : {}),
      ...(h.working_dir !== undefined ? { workingDir: h.working_dir } : {}),
      ...(h.privileged ? { privileged: true } : {}),
      volumesFrom: [target.name],
      ...(target.networkMode !== undefined ? { networkMode: target.networkMode } : {}),
      ...(networks ? { networks } : {}),
    };
  });
}

/**
 * Runs the pre_start containers one after the other; the first that exits non-zero ends the run
 * with its code and last lines, and is kept. A container left by an earlier failed run is removed first.
 */
export async function runPreStart(runtime: ContainerRuntime, service: string, specs: readonly ContainerSpec[]): Promise<void> {
  for (const [i, spec] of specs.entries()) {
    await runtime.removeContainer(spec.name, { force: true, volumes: true }).catch(() => undefined);
    const id = await runtime.createContainer(spec);
    await runtime.startContainer(id);
    const code = await runtime.waitContainer(id);
    if (code === 0) {
      await runtime.removeContainer(id, { volumes: true }).catch(() => undefined);
      continue;
    }
    const lines: string[] = [];
    for await (const l of runtime.logs(id, { tail: 3 })) lines.push(l.text);
    const tail = lines.join(' | ').trim();
    throw new UserError(`service "${service}" pre_start hook ${i} (${(spec.cmd ?? []).join(' ')}) exited with code ${code}${tail ? `: ${tail}` : ''} (hook container ${spec.name} kept for inspection)`, {
      code: 'failed',
      hint: `docker logs ${spec.name}; fix services.${service}.pre_start[${i}] (tscompose down removes the hook container)`,
    });
  }
}
