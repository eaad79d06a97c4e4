import type { ContainerRuntime } from '../runtime/runtime.js';
import type { ContainerStatus, HealthStatus } from '../runtime/types.js';
import { LABEL, projectFilter } from './labels.js';

/** One project container as the planner sees it: labels decoded, nothing engine-specific. */
export interface ObservedContainer {
  id: string;
  name: string;
  service: string;
  number: number;
  oneOff: boolean;
  configHash: string;
  /** The image id recorded at create time (com.docker.compose.image), else the engine's. */
  imageId: string;
  status: ContainerStatus;
  health?: HealthStatus;
  labels: Record<string, string>;
}

export interface ObservedNetwork {
  id: string;
  name: string;
  key: string;
}

export interface ObservedVolume {
  name: string;
  key: string;
}

/** A snapshot of one project on the engine, taken once per command (three list calls). */
export interface ObservedState {
  containers: ObservedContainer[];
  networks: ObservedNetwork[];
  volumes: ObservedVolume[];
}

function healthOf(statusText: string): HealthStatus | undefined {
  const m = /\((healthy|unhealthy|health: starting)\)/.exec(statusText);
  if (!m) return undefined;
  return m[1] === 'health: starting' ? 'starting' : (m[1] as HealthStatus);
}

export async function observe(runtime: ContainerRuntime, project: string): Promise<ObservedState> {
  const labels = projectFilter(project);
  const [containers, networks, volumes] = await Promise.all([
    runtime.listContainers({ all: true, labels }),
    runtime.listNetworks({ labels }),
    runtime.listVolumes({ labels }),
  ]);
  return {
    containers: containers
      .map((c): ObservedContainer => {
        const health = healthOf(c.statusText);
        return {
          id: c.id,
          name: c.name,
          service: c.labels[LABEL.service] ?? '',
          number: Number(c.labels[LABEL.number] ?? 0),
          oneOff: c.labels[LABEL.oneoff] === 'True',
          configHash: c.labels[LABEL.configHash] ?? '',
          imageId: c.labels[LABEL.image] ?? c.imageId,
          status: c.status,
          ...(health ? { health } : {}),
          labels: c.labels,
        };
      })
      .sort((a, b) => a.service.localeCompare(b.service) || a.number - b.number),
    networks: networks.map((n) => ({ id: n.id, name: n.name, key: n.labels[LABEL.network] ?? n.name })),
    volumes: volumes.map((v) => ({ name: v.name, key: v.labels[LABEL.volume] ?? v.name })),
  };
}
