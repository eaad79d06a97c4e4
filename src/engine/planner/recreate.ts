/**
 * Why an existing container must be replaced, in words `--dry-run` prints; undefined when it
 * stays. Pure: the decision the service planner makes for each container it keeps.
 */
import type { ObservedContainer } from '../observed.js';
import { changedConfigFields } from '../config-hash.js';
import type { UpPlanOptions } from './options.js';

export interface RecreateInputs {
  opts: UpPlanOptions;
  hash: string;
  /** Short hash per top-level service key (config-hash.ts), to name what changed. */
  fieldHashes: Record<string, string>;
  imageId: string | undefined;
  /** A service whose namespaces this one joins and that this plan recreates. */
  recreatedDonor: string | undefined;
  /** This service is a dependency of the named ones (not named itself). */
  dependency: boolean;
  /** The named services are recreated with -V (not their dependencies, as in Compose). */
  named: boolean;
}

export function recreateCause(c: ObservedContainer, i: RecreateInputs): string | undefined {
  const { opts } = i;
  if (opts.forceRecreate) return '--force-recreate';
  if (opts.noRecreate) return undefined;
  if (i.dependency && opts.recreateDependencies) return '--always-recreate-deps';
  if (i.named && opts.renewAnonVolumes) return '--renew-anon-volumes';
  if (c.configHash !== i.hash) {
    const fields = c.configHashFields ? changedConfigFields(c.configHashFields, i.fieldHashes) : [];
    return fields.length ? `config hash changed: ${fields.join(', ')}` : 'config hash changed';
  }
  if (i.imageId !== undefined && c.imageId !== i.imageId) return 'image changed';
  if (i.recreatedDonor !== undefined) return `service ${i.recreatedDonor} recreated (its namespaces are joined)`;
  return undefined;
}
