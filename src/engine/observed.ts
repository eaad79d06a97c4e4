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
  /** The short hash per service key its create recorded (LABEL.configHashFields), when it has them. */
  configHashFields?: Record<string, string>;
  /** The image id recorded at create time (com.docker.compose.image), else the engine's. */
  imageId: string;
  status: ContainerStatus;
  health?: HealthStatus;
  labels: Record<string, string>;
  /** Volume mounts by target (name of the volume), to carry anonymous volumes over a recreate. */
  volumes?: Record<string, string>;
}

export interface ObservedNetwork {
  id: string;
  name: string;
  key: string;
  /** The network's com.docker.compose.config-hash label, when it has one. */
  configHash?: string;
  /** The engine's view of its definition, compared with the file's by network-spec.ts. */
  definition?: ObservedNetworkDefinition;
}

export interface ObservedNetworkDefinition {
  driver: string;
  options: Record<string, string>;
  internal: boolean;
  attachable: boolean;
  enableIpv6: boolean;
  labels: Record<string, string>;
  ipam: { driver: string; options: Record<string, string>; config: Array<{ subnet?: string; ipRange?: string; gateway?: string; auxAddresses?: Record<string, string> }> };
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

/** The per-key hashes label, or undefined when it is missing or not what we write (another tool's, edited by hand). */
function configFields(label: string | undefined): Record<string, string> | undefined {
  if (!label) return undefined;
  try {
    const v: unknown = JSON.parse(label);
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return undefined;
    const entries = Object.entries(v as Record<string, unknown>);
    return entries.every(([, h]) => typeof h === 'string') ? Object.fromEntries(entries) as Record<string, string> : undefined;
  } catch {
    // Unparseable: the plan then says only that the config hash changed, as for older containers.
    return undefined;
  }
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
        const fields = configFields(c.labels[LABEL.configHashFields]);
        return {
          id: c.id,
          name: c.name,
          service: c.labels[LABEL.service] ?? '',
          number: Number(c.labels[LABEL.number] ?? 0),
          // A pre_start hook's container (kept after a failure) goes with down, like a run container.
          oneOff: c.labels[LABEL.oneoff] === 'True' || c.labels[LABEL.hook] !== undefined,
          configHash: c.labels[LABEL.configHash] ?? '',
          ...(fields ? { configHashFields: fields } : {}),
          imageId: c.labels[LABEL.image] ?? c.imageId,
          status: c.status,
          ...(health ? { health } : {}),
          labels: c.labels,
          volumes: Object.fromEntries((c.mounts ?? []).filter((m) => m.type === 'volume' && m.name).map((m) => [m.target, m.name!])),
        };
      })
      .sort((a, b) => a.service.localeCompare(b.service) || a.number - b.number),
    networks: networks.map((n): ObservedNetwork => ({
      id: n.id,
      name: n.name,
      key: n.labels[LABEL.network] ?? n.name,
      ...(n.labels[LABEL.configHash] ? { configHash: n.labels[LABEL.configHash] } : {}),
      definition: {
        driver: n.driver,
        options: n.options ?? {},
        internal: n.internal,
        attachable: n.attachable,
        enableIpv6: n.enableIpv6 ?? false,
        labels: n.labels,
        ipam: n.ipam ?? { driver: 'default', options: {}, config: [] },
      },
    })),
    volumes: volumes.map((v) => ({ name: v.name, key: v.labels[LABEL.volume] ?? v.name })),
  };
}
