import type { Project, ServiceConfig } from '../compose/types.js';
import { containerName } from './labels.js';

/** Engine name of a project network key; the implicit `default` network when the loader left it out. */
export function networkName(project: Project, key: string): string {
  return project.networks[key]?.name ?? `${project.name}_${key}`;
}

export function volumeName(project: Project, key: string): string {
  return project.volumes[key]?.name ?? `${project.name}_${key}`;
}

export function serviceContainerName(project: Project, service: ServiceConfig, n: number): string {
  return service.container_name ?? containerName(project.name, service.name, n);
}

/** The image a service runs: its `image:`, or the name Compose gives a built image. */
export function serviceImage(project: Project, service: ServiceConfig): string {
  return service.image ?? `${project.name}-${service.name}`;
}

/** Desired number of containers: --scale wins, then scale/deploy.replicas, else 1. */
export function desiredScale(service: ServiceConfig, override?: number): number {
  return override ?? service.scale ?? service.deploy?.replicas ?? 1;
}

/** Network keys a service joins, highest priority first (the first becomes the create-time network). */
export function serviceNetworkKeys(service: ServiceConfig): string[] {
  if (service.network_mode) return [];
  const keys = Object.keys(service.networks);
  return keys.sort((a, b) => (service.networks[b]?.priority ?? 0) - (service.networks[a]?.priority ?? 0) || a.localeCompare(b));
}
