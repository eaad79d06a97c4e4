/**
 * Mapping between our runtime types and the engine's JSON. Kept apart from the calls so both
 * directions can be unit-tested without an engine.
 */
import type Dockerode from 'dockerode';
import type {
  ContainerInfo,
  ContainerSpec,
  ContainerStatus,
  ContainerSummary,
  HealthState,
  ImageInfo,
  LabelFilter,
  NetworkInfo,
  PublishedPort,
  VolumeInfo,
} from '../types.js';

export function labelFilters(labels: LabelFilter | undefined): string[] {
  if (!labels) return [];
  return Object.entries(labels).map(([k, v]) => (v === true ? k : `${k}=${v}`));
}

function nonEmpty<T>(v: T[] | undefined): T[] | undefined {
  return v && v.length > 0 ? v : undefined;
}

/** Our ContainerSpec -> the engine's create body. */
// eslint-disable-next-line complexity -- 50: a flat field-by-field mapping onto the create body; to be split by HostConfig section
export function toCreateOptions(spec: ContainerSpec): Dockerode.ContainerCreateOptions {
  const exposed: Record<string, object> = {};
  const portBindings: Record<string, Array<{ HostIp?: string; HostPort?: string }>> = {};
  for (const p of spec.exposedPorts ?? []) exposed[p.includes('/') ? p : `${p}/tcp`] = {};
  for (const p of spec.ports ?? []) {
    const key = `${p.containerPort}/${p.protocol}`;
    exposed[key] = {};
    (portBindings[key] ??= []).push({ HostIp: p.hostIp ?? '', HostPort: p.hostPort ?? '' });
  }
  const binds: string[] = [];
  const mounts: Dockerode.MountSettings[] = [];
  for (const m of spec.mounts ?? []) {
    // Legacy Binds create a missing host path; the Mounts API refuses it. Use each where it fits.
    if (m.type === 'bind' && m.createHostPath) {
      const opts = [m.readOnly ? 'ro' : 'rw', ...(m.bindPropagation ? [m.bindPropagation] : [])];
      binds.push(`${m.source}:${m.target}:${opts.join(',')}`);
      continue;
    }
    // dockerode's MountSettings marks optional engine fields as required; build the JSON loosely.
    const mount: Record<string, unknown> = { Type: m.type, Target: m.target, ReadOnly: m.readOnly ?? false };
    if (m.source !== undefined) mount.Source = m.source;
    if (m.type === 'bind' && m.bindPropagation) mount.BindOptions = { Propagation: m.bindPropagation };
    if (m.type === 'volume' && (m.volumeNoCopy || m.volumeLabels)) {
      mount.VolumeOptions = { ...(m.volumeNoCopy ? { NoCopy: true } : {}), ...(m.volumeLabels ? { Labels: m.volumeLabels } : {}) };
    }
    if (m.type === 'tmpfs' && (m.tmpfsSize !== undefined || m.tmpfsMode !== undefined)) {
      mount.TmpfsOptions = { ...(m.tmpfsSize !== undefined ? { SizeBytes: m.tmpfsSize } : {}), ...(m.tmpfsMode !== undefined ? { Mode: m.tmpfsMode } : {}) };
    }
    mounts.push(mount as unknown as Dockerode.MountSettings);
  }
  const networkNames = Object.keys(spec.networks ?? {});
  const networkMode = spec.networkMode ?? networkNames[0];
  const endpoints: Dockerode.EndpointsConfig = {};
  // API 1.41 accepts only one network at create time; the rest are connected before start.
  const first = networkNames[0];
  if (first !== undefined && (networkMode === first || spec.networkMode === undefined)) {
    endpoints[first] = toEndpoint(spec.networks![first]!);
  }
  const host: Dockerode.HostConfig = {
    Binds: nonEmpty(binds),
    Mounts: nonEmpty(mounts),
    PortBindings: Object.keys(portBindings).length ? portBindings : undefined,
    VolumesFrom: nonEmpty(spec.volumesFrom),
    NetworkMode: networkMode,
    RestartPolicy: spec.restartPolicy ? { Name: spec.restartPolicy.name, MaximumRetryCount: spec.restartPolicy.maximumRetryCount ?? 0 } : undefined,
    Memory: spec.memory,
    MemoryReservation: spec.memoryReservation,
    MemorySwap: spec.memorySwap,
    NanoCpus: spec.nanoCpus,
    CpuShares: spec.cpuShares,
    CpuQuota: spec.cpuQuota,
    CpuPeriod: spec.cpuPeriod,
    CpuRealtimePeriod: spec.cpuRealtimePeriod,
    CpuRealtimeRuntime: spec.cpuRealtimeRuntime,
    CpusetCpus: spec.cpusetCpus,
    PidsLimit: spec.pidsLimit,
    Ulimits: spec.ulimits?.map((u) => ({ Name: u.name, Soft: u.soft, Hard: u.hard })),
    CapAdd: nonEmpty(spec.capAdd),
    CapDrop: nonEmpty(spec.capDrop),
    SecurityOpt: nonEmpty(spec.securityOpt),
    Init: spec.init,
    ExtraHosts: nonEmpty(spec.extraHosts),
    Dns: nonEmpty(spec.dns),
    DnsOptions: nonEmpty(spec.dnsOptions),
    DnsSearch: nonEmpty(spec.dnsSearch),
    LogConfig: spec.logConfig ? { Type: spec.logConfig.type, Config: spec.logConfig.config ?? {} } : undefined,
    ReadonlyRootfs: spec.readOnlyRootfs,
    ...(spec.autoRemove ? { AutoRemove: true } : {}),
    Tmpfs: spec.tmpfs,
    Sysctls: spec.sysctls,
    Privileged: spec.privileged,
    Devices: spec.devices?.map((d) => ({ PathOnHost: d.pathOnHost, PathInContainer: d.pathInContainer, CgroupPermissions: d.cgroupPermissions })),
    PidMode: spec.pidMode,
    IpcMode: spec.ipcMode,
    UTSMode: spec.utsMode,
    UsernsMode: spec.usernsMode,
    ShmSize: spec.shmSize,
    GroupAdd: nonEmpty(spec.groupAdd),
    CgroupParent: spec.cgroupParent,
    OomScoreAdj: spec.oomScoreAdj,
    Runtime: spec.runtime,
  };
  const opts: Dockerode.ContainerCreateOptions = {
    name: spec.name,
    Image: spec.image,
    Labels: spec.labels,
    Cmd: spec.cmd,
    Entrypoint: spec.entrypoint,
    Env: spec.env,
    User: spec.user,
    WorkingDir: spec.workingDir,
    Hostname: spec.hostname,
    Domainname: spec.domainname,
    Tty: spec.tty ?? false,
    OpenStdin: spec.openStdin ?? false,
    StdinOnce: spec.openStdin ? true : undefined,
    AttachStdin: spec.attachStdin ?? false,
    AttachStdout: true,
    AttachStderr: true,
    ExposedPorts: Object.keys(exposed).length ? exposed : undefined,
    StopSignal: spec.stopSignal,
    StopTimeout: spec.stopTimeout,
    MacAddress: spec.macAddress,
    Healthcheck: spec.healthcheck
      ? {
          Test: spec.healthcheck.test,
          Interval: spec.healthcheck.interval,
          Timeout: spec.healthcheck.timeout,
          Retries: spec.healthcheck.retries,
          StartPeriod: spec.healthcheck.startPeriod,
        }
      : undefined,
    HostConfig: stripUndefined(host),
    NetworkingConfig: Object.keys(endpoints).length ? { EndpointsConfig: endpoints } : undefined,
  };
  if (spec.platform) opts.platform = spec.platform;
  return stripUndefined(opts);
}

export function toEndpoint(e: { aliases?: string[]; ipv4Address?: string; ipv6Address?: string; macAddress?: string }): Dockerode.EndpointSettings {
  const ep: Dockerode.EndpointSettings = {};
  if (e.aliases?.length) ep.Aliases = e.aliases;
  if (e.ipv4Address || e.ipv6Address) {
    ep.IPAMConfig = { ...(e.ipv4Address ? { IPv4Address: e.ipv4Address } : {}), ...(e.ipv6Address ? { IPv6Address: e.ipv6Address } : {}) };
  }
  if (e.macAddress) ep.MacAddress = e.macAddress;
  return ep;
}

function stripUndefined<T extends object>(o: T): T {
  for (const k of Object.keys(o) as Array<keyof T>) if (o[k] === undefined) delete o[k];
  return o;
}

function status(s: string | undefined): ContainerStatus {
  const v = (s ?? '').toLowerCase();
  return (['created', 'restarting', 'running', 'removing', 'paused', 'exited', 'dead'] as const).find((x) => x === v) ?? 'dead';
}

export function fromSummary(c: Dockerode.ContainerInfo): ContainerSummary {
  return {
    id: c.Id,
    name: (c.Names?.[0] ?? '').replace(/^\//, ''),
    image: c.Image,
    imageId: c.ImageID,
    command: c.Command,
    labels: c.Labels ?? {},
    status: status(c.State),
    statusText: c.Status,
    created: c.Created,
    ports: (c.Ports ?? []).map((p) => ({
      containerPort: p.PrivatePort,
      protocol: p.Type,
      ...(p.IP ? { hostIp: p.IP } : {}),
      ...(p.PublicPort ? { hostPort: p.PublicPort } : {}),
    })),
    networks: Object.keys(c.NetworkSettings?.Networks ?? {}),
    mounts: (c.Mounts ?? []).map((m) => ({ type: m.Type, ...(m.Name ? { name: m.Name } : {}), target: m.Destination })),
  };
}

const ZERO_TIME = '0001-01-01T00:00:00Z';

export function fromHealth(h: Dockerode.ContainerInspectInfo['State']['Health'] | undefined): HealthState | undefined {
  if (!h) return undefined;
  const last = h.Log?.[h.Log.length - 1];
  const out: HealthState = { status: (h.Status as HealthState['status']) || 'none', failingStreak: h.FailingStreak ?? 0 };
  if (last) {
    out.lastOutput = last.Output.trim();
    out.lastExitCode = last.ExitCode;
  }
  return out;
}

export function fromInspect(c: Dockerode.ContainerInspectInfo): ContainerInfo {
  const st = c.State;
  const ports: PublishedPort[] = [];
  for (const [key, binds] of Object.entries(c.NetworkSettings?.Ports ?? {})) {
    const [port, proto] = key.split('/');
    if (!binds || binds.length === 0) ports.push({ containerPort: Number(port), protocol: proto ?? 'tcp' });
    else for (const b of binds) ports.push({ containerPort: Number(port), protocol: proto ?? 'tcp', hostIp: b.HostIp, hostPort: Number(b.HostPort) });
  }
  const networks: ContainerInfo['networks'] = {};
  for (const [name, n] of Object.entries(c.NetworkSettings?.Networks ?? {})) {
    networks[name] = { networkId: n.NetworkID, aliases: (n.Aliases as string[] | null | undefined) ?? [], ...(n.IPAddress ? { ipAddress: n.IPAddress } : {}) };
  }
  const info: ContainerInfo = {
    id: c.Id,
    name: c.Name.replace(/^\//, ''),
    image: c.Config.Image,
    imageId: c.Image,
    labels: c.Config.Labels ?? {},
    status: status(st.Status),
    running: st.Running,
    paused: st.Paused,
    restarting: st.Restarting,
    exitCode: st.ExitCode,
    oomKilled: st.OOMKilled,
    pid: st.Pid,
    createdAt: c.Created,
    restartCount: c.RestartCount,
    tty: c.Config.Tty,
    networks,
    ports,
    mounts: (c.Mounts ?? []).map((m) => ({
      type: m.Type,
      target: m.Destination,
      readOnly: !m.RW,
      ...(m.Source ? { source: m.Source } : {}),
      ...(m.Name ? { name: m.Name } : {}),
    })),
  };
  if (st.Error) info.error = st.Error;
  if (st.StartedAt && st.StartedAt !== ZERO_TIME) info.startedAt = st.StartedAt;
  if (st.FinishedAt && st.FinishedAt !== ZERO_TIME) info.finishedAt = st.FinishedAt;
  const health = fromHealth(st.Health);
  if (health) info.health = health;
  return info;
}

export function fromNetwork(n: Dockerode.NetworkInspectInfo): NetworkInfo {
  return {
    id: n.Id,
    name: n.Name,
    driver: n.Driver,
    scope: n.Scope,
    labels: n.Labels ?? {},
    internal: n.Internal,
    attachable: n.Attachable,
    subnets: (n.IPAM?.Config ?? []).map((c) => c.Subnet ?? '').filter(Boolean),
    options: n.Options ?? {},
    enableIpv6: n.EnableIPv6 ?? false,
    ipam: {
      driver: n.IPAM?.Driver ?? 'default',
      config: (n.IPAM?.Config ?? []).map((c) => ({
        ...(c.Subnet ? { subnet: c.Subnet } : {}),
        ...(c.IPRange ? { ipRange: c.IPRange } : {}),
        ...(c.Gateway ? { gateway: c.Gateway } : {}),
        ...(c.AuxiliaryAddresses && Object.keys(c.AuxiliaryAddresses).length ? { auxAddresses: c.AuxiliaryAddresses as Record<string, string> } : {}),
      })),
      options: n.IPAM?.Options ?? {},
    },
    containers: Object.keys(n.Containers ?? {}),
    endpoints: Object.entries(n.Containers ?? {}).map(([containerId, c]) => ({
      containerId,
      name: c.Name,
      endpointId: c.EndpointID,
      ipv4Address: c.IPv4Address ? c.IPv4Address.split('/')[0]! : null,
    })),
  };
}

export function fromVolume(v: Dockerode.VolumeInspectInfo): VolumeInfo {
  return { name: v.Name, driver: v.Driver, labels: v.Labels ?? {}, mountpoint: v.Mountpoint };
}

export function fromImage(i: { Id: string; RepoTags?: string[] | null; Labels?: Record<string, string> | null; Created: number | string; Size: number }): ImageInfo {
  const created = typeof i.Created === 'number' ? i.Created : Math.floor(Date.parse(i.Created) / 1000);
  return { id: i.Id, tags: (i.RepoTags ?? []).filter((t) => t !== '<none>:<none>'), labels: i.Labels ?? {}, created, size: i.Size };
}
