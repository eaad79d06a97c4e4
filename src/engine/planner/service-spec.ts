/**
 * The container specs one service's creates carry: everything the planner fixes for the service
 * once (config hash and per-key hashes, image id, host files, file injections), then one spec per
 * container number.
 */
import type { ServiceConfig } from '../../compose/types.js';
import type { ContainerSpec } from '../../runtime/types.js';
import { serviceConfigFields, serviceConfigHash } from '../config-hash.js';
import { fileInjections, hostFiles, toContainerSpec, withShareableIpc } from '../container-spec.js';
import { serviceDigests } from '../content-digest.js';
import { serviceContainerName } from '../project-names.js';
import type { PlanContext } from './context.js';

export interface ServiceSpecs {
  svc: ServiceConfig;
  hash: string;
  fieldHashes: Record<string, string>;
  imageId: string | undefined;
  /** The spec of container `n`; `inheritVolumes` are the anonymous volumes of the one it replaces. */
  spec(n: number, inheritVolumes?: Record<string, string>): ContainerSpec;
  /** Content secrets copied in after create (when there is no state directory to bind-mount them from). */
  files: Array<{ target: string; content: string; mode: number }>;
  hostFileWrites: Array<{ path: string; content: string; mode: number }>;
}

export function serviceSpecs(ctx: PlanContext, name: string): ServiceSpecs {
  const { project, opts } = ctx;
  const svc = withShareableIpc(project, project.services[name]!);
  const digests = serviceDigests(svc, opts.contentDigests);
  const hash = serviceConfigHash(svc, digests);
  const fieldHashes = serviceConfigFields(svc, digests);
  const imageId = opts.imageIds?.[name];
  const materialized = opts.stateDir !== undefined ? hostFiles(project, svc, opts.env ?? {}, opts.stateDir) : [];
  // `service:X` references resolve to X's first container as this plan leaves it.
  const firstContainer = (s: string): string => ctx.desiredNames.get(s)?.[0] ?? serviceContainerName(project, project.services[s] ?? ({ name: s } as ServiceConfig), 1);
  const imageVolumes = opts.imageVolumes?.[name];
  return {
    svc,
    hash,
    fieldHashes,
    imageId,
    spec: (n, inheritVolumes) => toContainerSpec({
      project,
      service: svc,
      number: n,
      configHash: hash,
      configHashFields: fieldHashes,
      ...(imageId ? { imageId } : {}),
      serviceContainer: firstContainer,
      hostFiles: materialized,
      ...(inheritVolumes ? { inheritVolumes } : {}),
      ...(imageVolumes ? { imageVolumes } : {}),
    }),
    // Without a state directory, content secrets are copied into the container after create.
    files: opts.stateDir !== undefined ? [] : fileInjections(project, svc, opts.env ?? {}),
    hostFileWrites: materialized.map((f) => ({ path: f.path, content: f.content, mode: f.mode })),
  };
}
