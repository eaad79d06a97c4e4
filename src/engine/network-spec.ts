/**
 * A project network's desired engine definition, and how an existing network differs from it.
 * Pure: the planner uses both to decide whether a `<project>_<key>` network must be recreated.
 */
import type { Project } from '../compose/types.js';
import type { NetworkSpec } from '../runtime/types.js';
import type { ObservedNetwork } from './observed.js';
import { COMPOSE_VERSION, LABEL } from './labels.js';
import { networkConfigHash, stableJson } from './config-hash.js';
import { networkName } from './project-names.js';

/** What `up` creates for the network `key` (the implicit default network when undeclared). */
export function desiredNetworkSpec(project: Project, key: string): NetworkSpec {
  const cfg = project.networks[key];
  const engineName = networkName(project, key);
  return {
    name: engineName,
    labels: {
      ...(cfg?.labels ?? {}),
      [LABEL.project]: project.name,
      [LABEL.version]: COMPOSE_VERSION,
      [LABEL.network]: key,
      [LABEL.configHash]: networkConfigHash(cfg),
    },
    ...(cfg?.driver ? { driver: cfg.driver } : {}),
    ...(cfg?.driver_opts ? { driverOpts: cfg.driver_opts } : {}),
    ...(cfg?.internal ? { internal: true } : {}),
    ...(cfg?.attachable ? { attachable: true } : {}),
    ...(cfg?.enable_ipv6 ? { enableIpv6: true } : {}),
    ...(cfg?.ipam
      ? {
          ipam: {
            ...(cfg.ipam.driver ? { driver: cfg.ipam.driver } : {}),
            ...(cfg.ipam.options ? { options: cfg.ipam.options } : {}),
            config: (cfg.ipam.config ?? []).map((c) => ({
              ...(c.subnet ? { subnet: c.subnet } : {}),
              ...(c.ip_range ? { ipRange: c.ip_range } : {}),
              ...(c.gateway ? { gateway: c.gateway } : {}),
              ...(c.aux_addresses ? { auxAddresses: c.aux_addresses } : {}),
            })),
          },
        }
      : {}),
  };
}

const ours = (k: string): boolean => k.startsWith('com.docker.compose.');
const userLabels = (l: Record<string, string>): Record<string, string> => Object.fromEntries(Object.entries(l).filter(([k]) => !ours(k)));
const same = (a: unknown, b: unknown): boolean => stableJson(a) === stableJson(b);

/**
 * The compose fields in which an existing network differs from the desired one, in compose
 * spelling (`driver_opts`, `ipam`, `internal`, ...); empty when they agree. A network carrying the
 * desired config-hash label agrees by definition. Otherwise the engine's view is compared field by
 * field, so a network created by another tool with the same definition is kept. What the engine
 * chooses itself (a subnet when none is asked for, a gateway when none is given) is not a difference.
 */
export function networkDifferences(spec: NetworkSpec, observed: ObservedNetwork): string[] {
  if (observed.configHash !== undefined && observed.configHash === spec.labels?.[LABEL.configHash]) return [];
  const o = observed.definition;
  if (!o) return [];
  const diffs: string[] = [];
  if ((spec.driver ?? 'bridge') !== o.driver) diffs.push('driver');
  if (!same(spec.driverOpts ?? {}, o.options)) diffs.push('driver_opts');
  if (!!spec.internal !== o.internal) diffs.push('internal');
  if (!!spec.attachable !== o.attachable) diffs.push('attachable');
  if (!!spec.enableIpv6 !== o.enableIpv6) diffs.push('enable_ipv6');
  if (!same(userLabels(spec.labels ?? {}), userLabels(o.labels))) diffs.push('labels');
  if (spec.ipam) {
    const want = spec.ipam;
    const ipamDiffers =
      (want.driver ?? 'default') !== o.ipam.driver ||
      !same(want.options ?? {}, o.ipam.options) ||
      (want.config ?? []).length !== o.ipam.config.length ||
      (want.config ?? []).some((c, i) => {
        const have = o.ipam.config[i] ?? {};
        return (
          (c.subnet !== undefined && c.subnet !== have.subnet) ||
          (c.ipRange !== undefined && c.ipRange !== have.ipRange) ||
          (c.gateway !== undefined && c.gateway !== have.gateway) ||
          !same(c.auxAddresses ?? {}, have.auxAddresses ?? {})
        );
      });
    if (ipamDiffers) diffs.push('ipam');
  }
  return diffs;
}
