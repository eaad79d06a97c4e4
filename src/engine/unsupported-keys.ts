/**
 * Service keys the loader accepts (the compose-spec defines them, `config` prints them) that
 * `tscompose up` does not act on, each with the reason. planUp warns once per service that uses
 * any, so nothing accepted is silently without effect. specs/compose-support.md lists the same.
 */
import type { ServiceConfig } from '../compose/types.js';

/** Top-level service keys and why they have no effect here. */
const NOT_ACTED_ON: Readonly<Partial<Record<keyof ServiceConfig, string>>> = {
  annotations: 'container annotations need engine API 1.43',
  blkio_config: 'block-I/O limits are not passed to the engine',
  cgroup: 'the cgroup namespace mode is not passed to the engine',
  cpu_count: 'Windows only',
  cpu_percent: 'Windows only',
  credential_spec: 'Windows only',
  device_cgroup_rules: 'not passed to the engine',
  external_links: 'legacy links are not made',
  gpus: 'no GPU device requests are made',
  isolation: 'Windows only',
  links: 'legacy links are not made (services reach each other by name on their networks)',
  mem_swappiness: 'not passed to the engine',
  oom_kill_disable: 'not passed to the engine',
  storage_opt: 'not passed to the engine',
  use_api_socket: 'the engine socket is not mounted',
};

/** One warning per service that sets keys without effect, or none. */
export function notActedOnWarning(svc: ServiceConfig): string | undefined {
  const keys: string[] = [];
  for (const [k, why] of Object.entries(NOT_ACTED_ON)) {
    const v = svc[k as keyof ServiceConfig];
    if (v === undefined || v === false || (Array.isArray(v) && v.length === 0)) continue;
    keys.push(`${k} (${why})`);
  }
  if (svc.deploy?.resources?.reservations?.devices?.length) keys.push('deploy.resources.reservations.devices (no device requests are made)');
  for (const k of Object.keys(svc.unmodelled ?? {})) keys.push(`${k} (not modelled by tscompose)`);
  if (keys.length === 0) return undefined;
  return `service ${svc.name}: accepted but not acted on: ${keys.join(', ')}`;
}
