/**
 * The adapter from compose's ServiceConfig to the runtime's ContainerSpec: the one place where
 * compose concepts become engine settings. Pure; the plan carries its output.
 */
import { posix } from 'node:path';
import type { Project, ServiceConfig } from '../compose/types.js';
import type { ContainerSpec, MountSpec, PortBinding, RestartPolicy } from '../runtime/types.js';
import { COMPOSE_VERSION, LABEL } from './labels.js';
import { networkName, serviceContainerName, serviceImage, serviceNetworkKeys, volumeName } from './project-names.js';

export interface ContainerSpecInput {
  project: Project;
  service: ServiceConfig;
  number: number;
  configHash: string;
  /** Short hash per service key (config-hash.ts serviceConfigFields), labelled so a later plan can name what changed. */
  configHashFields?: Record<string, string>;
  /** Image id the container is created from (written to com.docker.compose.image). */
  imageId?: string;
  /** Resolves `service:X` (network_mode, volumes_from, ipc, pid) to a container name. */
  serviceContainer?: (service: string) => string;
  oneOff?: { name: string };
  /** Secrets/configs with content or environment, written to host files: bind-mounted read-only. */
  hostFiles?: HostFile[];
  /**
   * Anonymous volumes of the container being replaced, by target: the new container mounts the
   * same volumes, so their data survives a recreate (as in Compose) and nothing is left behind.
   */
  inheritVolumes?: Record<string, string>;
  /**
   * Paths the image declares as VOLUME. Those the service does not mount otherwise get an explicit
   * anonymous volume: labelled like the service's own, and carried over a recreate the same way.
   */
  imageVolumes?: string[];
}

/** A secret or config materialized on the host for a read-only bind mount. */
export interface HostFile {
  path: string;
  target: string;
  content: string;
  mode: number;
}

export function dependsOnLabel(service: ServiceConfig): string {
  return Object.entries(service.depends_on)
    .map(([name, d]) => `${name}:${d.condition}:${d.restart}`)
    .join(',');
}

function nsToSeconds(ns: number): number {
  return Math.ceil(ns / 1e9);
}

function restartPolicy(service: ServiceConfig): RestartPolicy | undefined {
  const r = service.restart;
  if (r) {
    const [name, max] = r.split(':');
    if (name === 'always' || name === 'unless-stopped' || name === 'no') return { name };
    if (name === 'on-failure') return { name, ...(max ? { maximumRetryCount: Number(max) } : {}) };
  }
  const p = service.deploy?.restart_policy;
  if (p?.condition) {
    const name = p.condition === 'any' ? 'always' : p.condition === 'none' ? 'no' : 'on-failure';
    return { name, ...(p.max_attempts !== undefined && name === 'on-failure' ? { maximumRetryCount: p.max_attempts } : {}) };
  }
  return undefined;
}

function modeRef(mode: string | null | undefined, resolve: (s: string) => string): string | undefined {
  if (mode === undefined || mode === null) return undefined;
  if (mode.startsWith('service:')) return `container:${resolve(mode.slice('service:'.length))}`;
  return mode;
}

// eslint-disable-next-line complexity, max-lines-per-function -- complexity 114, 161 lines: one branch per service key; to be split by key group
export function toContainerSpec(input: ContainerSpecInput): ContainerSpec {
  const { project, service: svc, number } = input;
  const resolve = input.serviceContainer ?? ((s: string) => `${project.name}-${s}-1`);
  const name = input.oneOff?.name ?? serviceContainerName(project, svc, number);
  const labels: Record<string, string> = {
    ...svc.labels,
    [LABEL.project]: project.name,
    [LABEL.service]: svc.name,
    [LABEL.number]: String(number),
    [LABEL.oneoff]: input.oneOff ? 'True' : 'False',
    [LABEL.configHash]: input.configHash,
    [LABEL.workingDir]: project.workingDir,
    [LABEL.configFiles]: project.configFiles.join(','),
    [LABEL.dependsOn]: dependsOnLabel(svc),
    [LABEL.version]: COMPOSE_VERSION,
  };
  if (input.imageId) labels[LABEL.image] = input.imageId;
  if (input.configHashFields) labels[LABEL.configHashFields] = JSON.stringify(input.configHashFields);

  const ports: PortBinding[] = svc.ports.map((p) => ({
    containerPort: p.target,
    protocol: p.protocol,
    ...(p.host_ip ? { hostIp: p.host_ip } : {}),
    ...(p.published ? { hostPort: p.published } : {}),
  }));

  // An anonymous volume: the one the replaced container had at this target (a 64-hex name; never a
  // named volume mounted there before), else a new one the engine creates with the project's
  // labels, so `down -v`, the tests' leftover check and `docker volume ls --filter label=...` find it.
  const anonymousVolume = (target: string, extra: Partial<MountSpec> = {}): MountSpec => {
    const previous = input.inheritVolumes?.[target];
    const inherited = previous && /^[0-9a-f]{64}$/.test(previous) ? previous : undefined;
    return {
      type: 'volume',
      target,
      ...(inherited ? { source: inherited } : { volumeLabels: { [LABEL.project]: project.name, [LABEL.service]: svc.name, [LABEL.version]: COMPOSE_VERSION } }),
      ...extra,
    };
  };
  const mounts: MountSpec[] = svc.volumes.flatMap((v): MountSpec[] => {
    if (v.type === 'volume') {
      if (!v.source) return [anonymousVolume(v.target, { ...(v.read_only ? { readOnly: true } : {}), ...(v.volume?.nocopy ? { volumeNoCopy: true } : {}) })];
      return [{
        type: 'volume',
        target: v.target,
        source: volumeName(project, v.source),
        ...(v.read_only ? { readOnly: true } : {}),
        ...(v.volume?.nocopy ? { volumeNoCopy: true } : {}),
      }];
    }
    if (v.type === 'bind') {
      return [{
        type: 'bind',
        source: v.source ?? '',
        target: v.target,
        ...(v.read_only ? { readOnly: true } : {}),
        ...(v.bind?.create_host_path ? { createHostPath: true } : {}),
        ...(v.bind?.propagation ? { bindPropagation: v.bind.propagation } : {}),
      }];
    }
    if (v.type === 'tmpfs') {
      return [{ type: 'tmpfs', target: v.target, ...(v.tmpfs?.size !== undefined ? { tmpfsSize: v.tmpfs.size } : {}), ...(v.tmpfs?.mode !== undefined ? { tmpfsMode: v.tmpfs.mode } : {}) }];
    }
    return [];
  });
  // File-backed secrets and configs are bind-mounted read-only; content/environment ones are
  // copied in after create (see fileInjections).
  for (const ref of [...svc.secrets, ...svc.configs]) {
    const def = project.secrets[ref.source] ?? project.configs[ref.source];
    if (def?.file) mounts.push({ type: 'bind', source: def.file, target: ref.target, readOnly: true });
  }
  for (const f of input.hostFiles ?? []) mounts.push({ type: 'bind', source: f.path, target: f.target, readOnly: true });
  const mounted = new Set([...mounts.map((m) => posix.normalize(m.target)), ...(svc.tmpfs ?? []).map((t) => posix.normalize(t.split(':')[0] ?? ''))]);
  for (const target of input.imageVolumes ?? []) if (!mounted.has(posix.normalize(target))) mounts.push(anonymousVolume(target));

  const networks: ContainerSpec['networks'] = {};
  for (const key of serviceNetworkKeys(svc)) {
    const cfg = svc.networks[key] ?? {};
    networks[networkName(project, key)] = {
      aliases: input.oneOff ? [...(cfg.aliases ?? [])] : [svc.name, ...(cfg.aliases ?? [])],
      ...(cfg.ipv4_address ? { ipv4Address: cfg.ipv4_address } : {}),
      ...(cfg.ipv6_address ? { ipv6Address: cfg.ipv6_address } : {}),
      ...(cfg.mac_address ? { macAddress: cfg.mac_address } : {}),
    };
  }

  const hc = svc.healthcheck;
  const limits = svc.deploy?.resources?.limits;
  const reservations = svc.deploy?.resources?.reservations;
  const cpus = svc.cpus ?? limits?.cpus;
  const memory = svc.mem_limit ?? limits?.memory;
  const tmpfs: Record<string, string> = {};
  for (const t of svc.tmpfs ?? []) {
    const [path, ...opts] = t.split(':');
    if (path) tmpfs[path] = opts.join(':');
  }
  const spec: ContainerSpec = {
    name,
    image: serviceImage(project, svc),
    labels,
    ...(svc.command ? { cmd: svc.command } : {}),
    ...(svc.entrypoint ? { entrypoint: svc.entrypoint } : {}),
    env: Object.entries(svc.environment)
      .filter((e): e is [string, string] => e[1] !== null)
      .map(([k, v]) => `${k}=${v}`),
    ...(svc.user ? { user: svc.user } : {}),
    ...(svc.working_dir ? { workingDir: svc.working_dir } : {}),
    ...(svc.hostname ? { hostname: svc.hostname } : {}),
    ...(svc.domainname ? { domainname: svc.domainname } : {}),
    ...(svc.tty ? { tty: true } : {}),
    ...(svc.stdin_open ? { openStdin: true } : {}),
    ...(svc.expose?.length ? { exposedPorts: svc.expose } : {}),
    ...(svc.stop_signal ? { stopSignal: svc.stop_signal } : {}),
    ...(svc.stop_grace_period !== undefined ? { stopTimeout: nsToSeconds(svc.stop_grace_period) } : {}),
    ...(hc
      ? {
          healthcheck: {
            test: hc.disable ? ['NONE'] : (hc.test ?? []),
            ...(hc.interval !== undefined ? { interval: hc.interval } : {}),
            ...(hc.timeout !== undefined ? { timeout: hc.timeout } : {}),
            ...(hc.retries !== undefined ? { retries: hc.retries } : {}),
            ...(hc.start_period !== undefined ? { startPeriod: hc.start_period } : {}),
          },
        }
      : {}),
    ...(svc.mac_address ? { macAddress: svc.mac_address } : {}),
    ...(ports.length ? { ports } : {}),
    ...(mounts.length ? { mounts } : {}),
    ...(svc.volumes_from?.length
      ? { volumesFrom: svc.volumes_from.map((v) => (v.startsWith('container:') ? v.slice('container:'.length) : resolveVolumesFrom(v, resolve))) }
      : {}),
    ...(svc.network_mode ? { networkMode: modeRef(svc.network_mode, resolve)! } : {}),
    ...(Object.keys(networks).length ? { networks } : {}),
    ...(restartPolicy(svc) ? { restartPolicy: restartPolicy(svc)! } : {}),
    ...(memory !== undefined ? { memory } : {}),
    ...((svc.mem_reservation ?? reservations?.memory) !== undefined ? { memoryReservation: (svc.mem_reservation ?? reservations?.memory)! } : {}),
    ...(svc.memswap_limit !== undefined ? { memorySwap: svc.memswap_limit } : {}),
    ...(cpus !== undefined ? { nanoCpus: Math.round(cpus * 1e9) } : {}),
    ...(svc.cpu_shares !== undefined ? { cpuShares: svc.cpu_shares } : {}),
    ...(svc.cpu_quota !== undefined ? { cpuQuota: svc.cpu_quota } : {}),
    ...(svc.cpu_period !== undefined ? { cpuPeriod: svc.cpu_period } : {}),
    ...(svc.cpu_rt_period !== undefined ? { cpuRealtimePeriod: svc.cpu_rt_period } : {}),
    ...(svc.cpu_rt_runtime !== undefined ? { cpuRealtimeRuntime: svc.cpu_rt_runtime } : {}),
    ...(svc.cpuset ? { cpusetCpus: svc.cpuset } : {}),
    ...((svc.pids_limit ?? limits?.pids) !== undefined ? { pidsLimit: (svc.pids_limit ?? limits?.pids)! } : {}),
    ...(svc.ulimits ? { ulimits: Object.entries(svc.ulimits).map(([n, u]) => ({ name: n, soft: u.soft, hard: u.hard })) } : {}),
    ...(svc.cap_add?.length ? { capAdd: svc.cap_add } : {}),
    ...(svc.cap_drop?.length ? { capDrop: svc.cap_drop } : {}),
    ...(svc.security_opt?.length ? { securityOpt: svc.security_opt } : {}),
    ...(svc.init !== undefined ? { init: svc.init } : {}),
    ...(svc.extra_hosts ? { extraHosts: Object.entries(svc.extra_hosts).flatMap(([h, ips]) => ips.map((ip) => `${h}:${ip}`)) } : {}),
    ...(svc.dns?.length ? { dns: svc.dns } : {}),
    ...(svc.dns_opt?.length ? { dnsOptions: svc.dns_opt } : {}),
    ...(svc.dns_search?.length ? { dnsSearch: svc.dns_search } : {}),
    ...(svc.logging?.driver ? { logConfig: { type: svc.logging.driver, ...(svc.logging.options ? { config: svc.logging.options } : {}) } } : {}),
    ...(svc.read_only ? { readOnlyRootfs: true } : {}),
    ...(Object.keys(tmpfs).length ? { tmpfs } : {}),
    ...(svc.sysctls ? { sysctls: svc.sysctls } : {}),
    ...(svc.privileged ? { privileged: true } : {}),
    ...(svc.devices?.length ? { devices: svc.devices.map((d) => ({ pathOnHost: d.source, pathInContainer: d.target, cgroupPermissions: d.permissions ?? 'rwm' })) } : {}),
    ...(svc.pid ? { pidMode: modeRef(svc.pid, resolve)! } : {}),
    ...(svc.ipc ? { ipcMode: modeRef(svc.ipc, resolve)! } : {}),
    ...(svc.uts ? { utsMode: svc.uts } : {}),
    ...(svc.userns_mode ? { usernsMode: svc.userns_mode } : {}),
    ...(svc.shm_size !== undefined ? { shmSize: svc.shm_size } : {}),
    ...(svc.group_add?.length ? { groupAdd: svc.group_add } : {}),
    ...(svc.cgroup_parent ? { cgroupParent: svc.cgroup_parent } : {}),
    ...(svc.oom_score_adj !== undefined ? { oomScoreAdj: svc.oom_score_adj } : {}),
    ...(svc.runtime ? { runtime: svc.runtime } : {}),
    ...(svc.platform ? { platform: svc.platform } : {}),
  };
  return spec;
}

/**
 * A service whose IPC namespace another service joins (`ipc: service:X`) must be created with
 * IpcMode `shareable`: engines whose default IPC mode is `private` refuse the join otherwise
 * ("non-shareable IPC"). Applied before hashing, so X is recreated when a sharer appears.
 */
export function withShareableIpc(project: Project, svc: ServiceConfig): ServiceConfig {
  if (svc.ipc) return svc;
  const joined = [...Object.values(project.services), ...Object.values(project.disabledServices)].some((s) => s.ipc === `service:${svc.name}`);
  return joined ? { ...svc, ipc: 'shareable' } : svc;
}

function resolveVolumesFrom(v: string, resolve: (s: string) => string): string {
  const [src, mode] = v.split(':');
  const target = src?.startsWith('service:') ? resolve(src.slice('service:'.length)) : resolve(src ?? '');
  return mode ? `${target}:${mode}` : target;
}

/** Secrets and configs whose content is not a file: written into the container after create. */
export function fileInjections(project: Project, svc: ServiceConfig, env: Record<string, string | undefined>): Array<{ target: string; content: string; mode: number }> {
  const out: Array<{ target: string; content: string; mode: number }> = [];
  for (const ref of [...svc.secrets, ...svc.configs]) {
    const def = project.secrets[ref.source] ?? project.configs[ref.source];
    if (!def || def.file) continue;
    const content = def.content ?? (def.environment ? (project.environment[def.environment] ?? env[def.environment] ?? '') : undefined);
    if (content !== undefined) out.push({ target: ref.target, content, mode: ref.mode ?? 0o444 });
  }
  return out;
}

/**
 * Secrets and configs from `content:`/`environment:` as host files under the project's state
 * directory, so they are bind-mounted read-only like file-based ones (and work with read_only).
 */
export function hostFiles(project: Project, svc: ServiceConfig, env: Record<string, string | undefined>, stateDir: string): HostFile[] {
  const out: HostFile[] = [];
  for (const [kind, refs] of [['secrets', svc.secrets], ['configs', svc.configs]] as const) {
    for (const ref of refs) {
      const def = (kind === 'secrets' ? project.secrets : project.configs)[ref.source];
      if (!def || def.file) continue;
      const content = def.content ?? (def.environment ? (project.environment[def.environment] ?? env[def.environment] ?? '') : undefined);
      if (content === undefined) continue;
      out.push({ path: `${stateDir}/${kind}/${ref.source}`, target: ref.target, content, mode: ref.mode ?? 0o444 });
    }
  }
  return out;
}
