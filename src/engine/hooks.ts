/**
 * Service lifecycle hooks (`post_start`, `pre_stop`): commands exec'd in the service's container
 * right after it starts and right before it is stopped, as Compose runs them. A hook that exits
 * non-zero fails the operation it belongs to, naming the service, the hook and its output.
 */
import type { LifecycleHook, Project } from '../compose/types.js';
import type { ContainerRuntime } from '../runtime/runtime.js';
import type { ExecSpec } from '../runtime/types.js';
import { UserError } from '../util/errors.js';
import type { Plan } from './plan.js';

export type HookPhase = 'post_start' | 'pre_stop';

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
