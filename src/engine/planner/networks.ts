/**
 * The networks planner: each project network a selected service joins is created when missing
 * and recreated when its definition differs from the file (network-spec.ts), Compose v2's way: the
 * containers attached to it are stopped and removed, the network removed (other endpoints
 * disconnected) and created again; the service planner then creates those containers anew on it.
 */
import { UserError } from '../../util/errors.js';
import { desiredNetworkSpec, networkDifferences } from '../network-spec.js';
import { serviceNetworkKeys } from '../project-names.js';
import { stopAndRemove, type PlanContext } from './context.js';

/** Plans network `key` once; returns the op later creates wait for (none when it already fits). */
export function planNetwork(ctx: PlanContext, key: string): number | undefined {
  const { b, project, observed, opts } = ctx;
  if (project.networks[key]?.external) return undefined;
  const spec = desiredNetworkSpec(project, key);
  const existing = observed.networks.find((n) => n.name === spec.name);
  if (!existing) return b.add({ kind: 'create-network', name: spec.name, spec, cause: 'missing' });
  const diffs = networkDifferences(spec, existing);
  if (!diffs.length) return undefined;
  if (opts.noRecreate) {
    b.warnings.push(`network ${spec.name} differs from the file (${diffs.join(', ')}); kept because of --no-recreate`);
    return undefined;
  }
  // Services left out by the command line or profiles are in disabledServices.
  const attached = observed.containers.filter((c) => {
    const cfg = project.services[c.service] ?? project.disabledServices[c.service];
    return !c.oneOff && cfg !== undefined && serviceNetworkKeys(cfg).includes(key);
  });
  const untouched = [...new Set(attached.map((c) => c.service).filter((s) => !ctx.selected.has(s)))].sort();
  if (untouched.length) {
    const many = untouched.length > 1;
    throw new UserError(`network ${spec.name} differs from the file (${diffs.join(', ')}) and must be recreated, but service${many ? 's' : ''} ${untouched.join(', ')} also use${many ? '' : 's'} it and ${many ? 'are' : 'is'} not part of this up`, {
      code: 'conflict',
      hint: `run "tscompose up" without naming services, or "tscompose down" first`,
    });
  }
  b.warnings.push(`network ${spec.name} differs from the file (${diffs.join(', ')}): recreating it and the containers attached to it`);
  const cause = `network ${spec.name} changed: ${diffs.join(', ')}`;
  const removed = attached.map((c) => {
    const known = ctx.preRemoved.get(c.name);
    if (known) return known.op;
    const op = stopAndRemove(ctx, c, cause);
    ctx.preRemoved.set(c.name, { op, cause });
    return op;
  });
  const removeNet = b.add({ kind: 'remove-network', name: spec.name, disconnect: true, cause, deps: removed });
  return b.add({ kind: 'create-network', name: spec.name, spec, cause, deps: [removeNet] });
}
