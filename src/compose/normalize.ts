/**
 * Merged canonical tree -> typed {@link Project}: strings become numbers/booleans where the field
 * is one, durations become nanoseconds and sizes bytes, host paths become absolute, env_file
 * contents are folded into `environment`, and implicit defaults appear (the `default` network,
 * depends_on condition, secret targets, engine-side resource names).
 */
import * as path from 'node:path';
import { Diagnostics } from './diagnostics.js';
import { parseDotenv } from './dotenv.js';
import { checkPublished } from './ports.js';
import { isRemoteContext } from './rebase.js';
import { SERVICE_KEYS } from './schema.js';
import { shellSplit } from './shell-split.js';
import type { Lookup } from './template.js';
import { formatPath, isTree, keyPos, type PathSeg, type Tree } from './tree.js';
import type {
  BuildConfig,
  ConfigObjConfig,
  DependsOnConfig,
  DeployConfig,
  DevelopConfig,
  FileReader,
  HealthcheckConfig,
  LifecycleHook,
  NetworkConfig,
  SecretConfig,
  ServiceConfig,
  ServiceFileReference,
  ServicePortConfig,
  ServiceVolumeConfig,
  VolumeConfig,
  WatchAction,
  WatchTrigger,
} from './types.js';
import { FormatError, parseBytes, parseDuration } from './units.js';
import { isMissingFile } from '../util/file-read-error.js';

export interface NormalizeContext {
  projectName: string;
  workingDir: string;
  lookup: Lookup;
  reader: FileReader;
  /** false: keep paths relative and env_file unread (config --no-normalize). */
  resolvePaths: boolean;
  interpolate: boolean;
  diags: Diagnostics;
}

/** Reads a field with a converter; a bad value becomes a diagnostic at its position. */
class Fields {
  constructor(
    readonly t: Tree,
    readonly path: PathSeg[],
    readonly d: Diagnostics,
  ) {}
  private conv<T>(k: string, f: (v: unknown) => T): T | undefined {
    const v = this.t[k];
    if (v === undefined || v === null) return undefined;
    try {
        return f(v);
    } catch (e) {
      this.d.add(keyPos(this.t, k), [...this.path, k], (e as Error).message, e instanceof FormatError ? e.hint : undefined);
      return undefined;
    }
  }
  str(k: string): string | undefined {
    return this.conv(k, scalar);
  }
  int(k: string): number | undefined {
    return this.conv(k, toInt);
  }
  num(k: string): number | undefined {
    return this.conv(k, (v) => {
      const n = Number(scalar(v));
      if (!Number.isFinite(n)) throw new FormatError(`invalid number "${String(v)}"`);
      return n;
    });
  }
  bool(k: string): boolean | undefined {
    return this.conv(k, toBool);
  }
  dur(k: string): number | undefined {
    return this.conv(k, (v) => parseDuration(v as string | number));
  }
  bytes(k: string): number | undefined {
    const v = this.t[k];
    if (typeof v === 'number' && !Number.isInteger(v)) {
      // compose-go's UnitBytes decodes whole numbers and strings only: a fraction such as
      // `mem_limit: 1.5` leaves the field unset. We do the same, but say so.
      this.d.warnings.push(`${formatPath([...this.path, k])}: ${v} is not a whole number of bytes and is ignored, as docker compose ignores it (write a unit: "${v}g", "${v}m"...)`);
      return undefined;
    }
    return this.conv(k, (x) => parseBytes(x as string | number));
  }
  usec(k: string): number | undefined {
    return this.conv(k, toMicroseconds);
  }
  strs(k: string): string[] | undefined {
    return this.conv(k, (v) => (Array.isArray(v) ? v.map(scalar) : undefined));
  }
  map(k: string): Record<string, string> | undefined {
    return this.conv(k, (v) => {
      if (!isTree(v)) return undefined;
      const out: Record<string, string> = {};
      for (const [key, val] of Object.entries(v)) out[key] = val === null ? '' : scalar(val);
      return out;
    });
  }
  sub(k: string): Fields | undefined {
    const v = this.t[k];
    return isTree(v) ? new Fields(v, [...this.path, k], this.d) : undefined;
  }
}

/** String form of a scalar; a mapping or list where a scalar belongs is the user's mistake. */
function scalar(v: unknown): string {
  if (typeof v === 'object' && v !== null) throw new FormatError(`expected a scalar, got ${Array.isArray(v) ? 'a list' : 'a mapping'}`);
  return String(v);
}

/** compose-go casts interpolated booleans with YAML 1.1's words: `init: yes` is true. */
function toBool(v: unknown): boolean {
  if (typeof v === 'boolean') return v;
  const w = scalar(v).toLowerCase();
  if (['y', 'yes', 'true', 'on'].includes(w)) return true;
  if (['n', 'no', 'false', 'off'].includes(w)) return false;
  throw new FormatError(`invalid boolean "${String(v)}"`, 'use true or false');
}

/** Microseconds, as the engine takes them: an integer is microseconds already, a string a duration. */
function toMicroseconds(v: unknown): number {
  if (typeof v === 'number' || /^\s*\d+\s*$/.test(scalar(v))) return toInt(v);
  return Math.round(parseDuration(scalar(v)) / 1e3);
}

function toInt(v: unknown): number {
  const n = typeof v === 'number' ? v : Number(scalar(v).trim());
  if (!Number.isInteger(n)) throw new FormatError(`invalid integer "${String(v)}"`);
  return n;
}

/** Sets `o[k] = v` only when v is defined, so absent stays absent. */
function put<T extends object, K extends keyof T>(o: T, k: K, v: T[K] | undefined): void {
  if (v !== undefined) o[k] = v;
}

// eslint-disable-next-line complexity, max-lines-per-function -- complexity 74, 226 lines (STYLE.md §7): to be split by key group
export async function normalizeService(name: string, t: Tree, ctx: NormalizeContext): Promise<ServiceConfig> {
  const p: PathSeg[] = ['services', name];
  const f = new Fields(t, p, ctx.diags);
  const absPath = (s: string) => resolveHostPath(s, ctx);
  const svc: ServiceConfig = {
    name,
    profiles: f.strs('profiles') ?? [],
    environment: {},
    labels: f.map('labels') ?? {},
    ports: [],
    volumes: [],
    networks: {},
    depends_on: {},
    secrets: [],
    configs: [],
  };
  put(svc, 'image', f.str('image'));
  if (t.command === null) svc.command = null;
  else put(svc, 'command', f.strs('command'));
  if (t.entrypoint === null) svc.entrypoint = null;
  else put(svc, 'entrypoint', f.strs('entrypoint'));

  const b = f.sub('build');
  if (b) svc.build = normalizeBuild(b, ctx);

  // env_file first, environment over it (Compose's precedence).
  const env: Record<string, string | null> = {};
  if (Array.isArray(t.env_file)) {
    const list = t.env_file as unknown[];
    svc.env_file = [];
    for (let i = 0; i < list.length; i++) {
      const e = list[i];
      if (!isTree(e)) continue;
      const ef = new Fields(e, [...p, 'env_file', i], ctx.diags);
      const file = ctx.resolvePaths ? absPath(String(e.path)) : String(e.path);
      const required = ef.bool('required') ?? true;
      const entry: { path: string; required: boolean; format?: string } = { path: file, required };
      put(entry, 'format', ef.str('format'));
      svc.env_file.push(entry);
      if (!ctx.resolvePaths) continue;
      let text: string;
      try {
        text = await ctx.reader.readFile(file, 'env file');
      } catch (err) {
        if (!isMissingFile(err)) {
          // A FIFO, a directory, a file too large or not text: wrong whether required or not.
          const diagnostics = (err as { diagnostics?: Diagnostics['list'] }).diagnostics;
          if (diagnostics) ctx.diags.list.push(...diagnostics);
          else ctx.diags.add(keyPos(list, i), [...p, 'env_file', i], err instanceof Error ? err.message : String(err));
        } else if (required) ctx.diags.add(keyPos(list, i), [...p, 'env_file', i], `env file ${file} not found`, 'create it or mark it `required: false`');
        continue;
      }
      try {
        Object.assign(env, parseDotenv(text, file, ctx.lookup, ctx.interpolate && entry.format !== 'raw'));
      } catch (err) {
        for (const d of (err as { diagnostics?: Diagnostics['list'] }).diagnostics ?? []) ctx.diags.list.push(d);
      }
    }
  }
  if (isTree(t.environment)) {
    for (const [k, v] of Object.entries(t.environment)) {
      // A bare KEY passes the value through from the environment Compose runs in.
      env[k] = v === null ? (ctx.interpolate ? (ctx.lookup(k) ?? null) : null) : String(v);
    }
  }
  svc.environment = env;

  put(svc, 'annotations', f.map('annotations'));
  const ports = t.ports;
  if (Array.isArray(ports)) {
    ports.forEach((raw, i) => {
      if (!isTree(raw)) return;
      const pf = new Fields(raw, [...p, 'ports', i], ctx.diags);
      const target = pf.int('target');
      if (target === undefined) return;
      if (target < 1 || target > 65535) {
        ctx.diags.add(keyPos(ports, i), [...p, 'ports', i], `port ${target} out of range (1-65535)`);
        return;
      }
      const port: ServicePortConfig = { target, protocol: (pf.str('protocol') ?? 'tcp') as ServicePortConfig['protocol'], mode: (pf.str('mode') ?? 'ingress') as ServicePortConfig['mode'] };
      if (!['tcp', 'udp', 'sctp'].includes(port.protocol)) ctx.diags.add(keyPos(ports, i), [...p, 'ports', i], `invalid protocol "${port.protocol}"`);
      const published = pf.str('published');
      if (published !== undefined && published !== '') {
        try {
          checkPublished(published);
          port.published = published;
        } catch (e) {
          ctx.diags.add(keyPos(ports, i), [...p, 'ports', i], (e as Error).message);
        }
      }
      put(port, 'host_ip', pf.str('host_ip'));
      put(port, 'app_protocol', pf.str('app_protocol'));
      put(port, 'name', pf.str('name'));
      const ext = extensionsOf(raw);
      if (ext) port.extensions = ext;
      svc.ports.push(port);
    });
  }
  put(svc, 'expose', f.strs('expose'));

  const vols = t.volumes;
  if (Array.isArray(vols)) {
    vols.forEach((raw, i) => {
      if (!isTree(raw)) return;
      const v = normalizeVolume(raw, [...p, 'volumes', i], ctx, keyPos(vols, i));
      if (v) svc.volumes.push(v);
    });
  }
  put(svc, 'volumes_from', f.strs('volumes_from'));
  put(svc, 'tmpfs', f.strs('tmpfs'));

  if (isTree(t.networks)) {
    for (const [n, cfg] of Object.entries(t.networks)) {
      if (!isTree(cfg)) {
        svc.networks[n] = null;
        continue;
      }
      const nf = new Fields(cfg, [...p, 'networks', n], ctx.diags);
      const out: NonNullable<ServiceConfig['networks'][string]> = {};
      put(out, 'aliases', nf.strs('aliases'));
      put(out, 'ipv4_address', nf.str('ipv4_address'));
      put(out, 'ipv6_address', nf.str('ipv6_address'));
      put(out, 'link_local_ips', nf.strs('link_local_ips'));
      put(out, 'mac_address', nf.str('mac_address'));
      put(out, 'driver_opts', nf.map('driver_opts'));
      put(out, 'gw_priority', nf.int('gw_priority'));
      put(out, 'priority', nf.int('priority'));
      put(out, 'interface_name', nf.str('interface_name'));
      svc.networks[n] = out;
    }
  }
  put(svc, 'network_mode', f.str('network_mode'));
  if (ctx.resolvePaths && Object.keys(svc.networks).length === 0 && svc.network_mode === undefined && t.provider === undefined) {
    svc.networks.default = null;
  }

  if (isTree(t.depends_on)) {
    for (const [dep, cfg] of Object.entries(t.depends_on)) {
      const df = new Fields(isTree(cfg) ? cfg : {}, [...p, 'depends_on', dep], ctx.diags);
      const d: DependsOnConfig = {
        condition: (df.str('condition') ?? 'service_started') as DependsOnConfig['condition'],
        required: df.bool('required') ?? true,
        restart: df.bool('restart') ?? false,
      };
      svc.depends_on[dep] = d;
    }
  }
  put(svc, 'links', f.strs('links'));
  put(svc, 'external_links', f.strs('external_links'));

  const hc = f.sub('healthcheck');
  if (hc) {
    const h: HealthcheckConfig = {};
    put(h, 'test', hc.strs('test'));
    put(h, 'interval', hc.dur('interval'));
    put(h, 'timeout', hc.dur('timeout'));
    put(h, 'retries', hc.int('retries'));
    put(h, 'start_period', hc.dur('start_period'));
    put(h, 'start_interval', hc.dur('start_interval'));
    const disable = hc.bool('disable');
    if (disable || (h.test?.[0] === 'NONE')) h.disable = true;
    svc.healthcheck = h;
  }

  const dep = f.sub('deploy');
  if (dep) svc.deploy = normalizeDeploy(dep);
  const scale = f.int('scale');
  const replicas = svc.deploy?.replicas;
  if (scale !== undefined && replicas !== undefined && scale !== replicas) {
    ctx.diags.add(keyPos(t, 'scale'), [...p, 'scale'], `scale (${scale}) and deploy.replicas (${replicas}) differ`, 'set only one of them');
  }
  const count = scale ?? replicas;
  if (count !== undefined) {
    if (count < 0) ctx.diags.add(keyPos(t, scale !== undefined ? 'scale' : 'deploy'), [...p, 'scale'], 'scale must not be negative');
    svc.scale = count;
    svc.deploy ??= {};
    svc.deploy.replicas = count;
  }

  svc.secrets = fileRefs(t.secrets, (s) => (s.startsWith('/') ? s : `/run/secrets/${s}`));
  svc.configs = fileRefs(t.configs, (s) => (s.startsWith('/') ? s : `/${s}`));

  for (const k of ['container_name', 'hostname', 'domainname', 'restart', 'user', 'working_dir', 'stop_signal', 'pull_policy', 'platform', 'runtime', 'isolation', 'ipc', 'uts', 'userns_mode', 'cgroup_parent', 'mac_address', 'cpuset'] as const) {
    put(svc, k, f.str(k) as never);
  }
  if (t.pid === null) svc.pid = null;
  else put(svc, 'pid', f.str('pid'));
  put(svc, 'cgroup', f.str('cgroup') as ServiceConfig['cgroup']);
  for (const k of ['stdin_open', 'tty', 'init', 'privileged', 'read_only', 'oom_kill_disable', 'attach', 'use_api_socket'] as const) put(svc, k, f.bool(k));
  put(svc, 'stop_grace_period', f.dur('stop_grace_period'));
  for (const k of ['cap_add', 'cap_drop', 'security_opt', 'device_cgroup_rules', 'dns_opt', 'dns_search', 'group_add'] as const) put(svc, k, f.strs(k));
  // Compose drops empty `dns` entries (what an unset `${DNS}` leaves), and the key with them.
  const dns = f.strs('dns')?.filter((d) => d !== '');
  if (dns?.length) svc.dns = dns;
  if (Array.isArray(t.devices)) {
    svc.devices = t.devices.filter(isTree).map((d) => {
      // Compose writes the engine's default out: `permissions: rwm`.
      return { source: String(d.source), target: String(d.target ?? d.source), permissions: d.permissions === undefined ? 'rwm' : String(d.permissions) };
    });
  }
  if (isTree(t.extra_hosts)) {
    svc.extra_hosts = {};
    for (const [h, ips] of Object.entries(t.extra_hosts)) svc.extra_hosts[h] = Array.isArray(ips) ? ips.map(String) : [String(ips)];
  }
  put(svc, 'sysctls', f.map('sysctls'));
  if (isTree(t.ulimits)) svc.ulimits = ulimits(t.ulimits, [...p, 'ulimits'], ctx.diags);
  const lg = f.sub('logging');
  if (lg) {
    svc.logging = {};
    put(svc.logging, 'driver', lg.str('driver'));
    put(svc.logging, 'options', lg.map('options'));
  }
  for (const k of ['shm_size', 'mem_limit', 'mem_reservation'] as const) put(svc, k, f.bytes(k));
  // -1: unlimited swap, as the engine takes it.
  put(svc, 'memswap_limit', t.memswap_limit === -1 || t.memswap_limit === '-1' ? -1 : f.bytes('memswap_limit'));
  for (const k of ['mem_swappiness', 'oom_score_adj', 'pids_limit', 'cpu_count', 'cpu_percent', 'cpu_shares', 'cpu_quota', 'cpu_period'] as const) put(svc, k, f.int(k));
  put(svc, 'cpus', f.num('cpus'));
  put(svc, 'cpu_rt_runtime', f.usec('cpu_rt_runtime'));
  put(svc, 'cpu_rt_period', f.usec('cpu_rt_period'));
  if (isTree(t.blkio_config)) svc.blkio_config = { ...t.blkio_config };
  put(svc, 'storage_opt', f.map('storage_opt'));
  if (isTree(t.develop)) svc.develop = normalizeDevelop(t.develop, [...p, 'develop'], ctx);
  if (Array.isArray(t.gpus)) svc.gpus = deviceRequests(t.gpus, [...p, 'gpus'], t, ctx.diags) as ServiceConfig['gpus'];
  if (isTree(t.credential_spec)) svc.credential_spec = plain(t.credential_spec) as ServiceConfig['credential_spec'];
  if (Array.isArray(t.label_file)) {
    svc.label_file = t.label_file.map((x) => (ctx.resolvePaths ? absPath(String(x)) : String(x)));
    if (ctx.resolvePaths) svc.labels = { ...(await labelFiles(svc.label_file, t.label_file, [...p, 'label_file'], ctx)), ...svc.labels };
  }
  if (t.models !== undefined) svc.models = plain(t.models) as ServiceConfig['models'];
  if (isTree(t.provider)) svc.provider = plain(t.provider) as ServiceConfig['provider'];
  for (const k of ['post_start', 'pre_stop', 'pre_start'] as const) {
    const hooks = t[k];
    if (!Array.isArray(hooks)) continue;
    svc[k] = hooks.filter(isTree).map((h, i) => normalizeHook(h, [...p, k, i], ctx));
  }
  put(svc, 'pull_refresh_after', f.str('pull_refresh_after'));
  const kept = Object.keys(t).filter((k) => !k.startsWith('x-') && !MODELLED_SERVICE_KEYS.has(k));
  if (kept.length > 0) svc.unmodelled = Object.fromEntries(kept.map((k) => [k, plain(t[k])]));
  const ext = extensionsOf(t);
  if (ext) svc.extensions = ext;
  return svc;
}

/** A service hook (post_start, pre_stop, develop.watch[].exec): command words, user, privileges, directory, environment. */
function normalizeHook(h: Tree, p: PathSeg[], ctx: NormalizeContext): LifecycleHook {
  const hf = new Fields(h, p, ctx.diags);
  const cmd = h.command;
  const hook: LifecycleHook = {
    // Like `command:`, a string is split into words (compose-go's ShellCommand), not run by a shell.
    command: typeof cmd === 'string' ? shellSplit(cmd) : Array.isArray(cmd) ? cmd.map(String) : [],
  };
  put(hook, 'image', hf.str('image'));
  put(hook, 'per_replica', hf.bool('per_replica'));
  put(hook, 'user', hf.str('user'));
  put(hook, 'privileged', hf.bool('privileged'));
  put(hook, 'working_dir', hf.str('working_dir'));
  if (isTree(h.environment)) hook.environment = Object.fromEntries(Object.entries(h.environment).map(([ek, ev]) => [ek, ev === null ? null : String(ev)]));
  else if (Array.isArray(h.environment)) hook.environment = Object.fromEntries(h.environment.map((e) => String(e)).map((e) => (e.includes('=') ? [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)] : [e, null])));
  return hook;
}

/**
 * `develop`: each watch rule's path absolute against the project directory (as compose-go resolves
 * it; symbolic links are resolved when watching starts), ignore/include always lists, exec a hook.
 * A blank path is refused as compose-go does. What an action needs (a build section, a target, an
 * exec command) is checked when watching starts, as Compose does: `config` shows the rules as written.
 */
function normalizeDevelop(t: Tree, p: PathSeg[], ctx: NormalizeContext): DevelopConfig {
  const out: DevelopConfig = {};
  if (!Array.isArray(t.watch)) return out;
  out.watch = t.watch.filter(isTree).map((w, i) => {
    const wp: PathSeg[] = [...p, 'watch', i];
    const f = new Fields(w, wp, ctx.diags);
    const raw = f.str('path') ?? '';
    if (raw === '') ctx.diags.add(keyPos(w, 'path'), [...wp, 'path'], "value can't be blank", 'give the file or directory to watch, relative to the project directory');
    const trigger: WatchTrigger = { path: ctx.resolvePaths && raw !== '' ? resolveHostPath(raw, ctx) : raw, action: String(w.action) as WatchAction };
    put(trigger, 'target', f.str('target'));
    for (const k of ['ignore', 'include'] as const) {
      const v = w[k];
      if (typeof v === 'string') trigger[k] = [v];
      else put(trigger, k, f.strs(k));
    }
    if (isTree(w.exec)) trigger.exec = normalizeHook(w.exec, [...wp, 'exec'], ctx);
    put(trigger, 'initial_sync', f.bool('initial_sync'));
    return trigger;
  });
  return out;
}

/** The keys normalizeService reads: those of our zod schema (every other key the compose-spec allows is kept as written). */
const MODELLED_SERVICE_KEYS = new Set(SERVICE_KEYS);

function fileRefs(v: unknown, target: (s: string) => string): ServiceFileReference[] {
  if (!Array.isArray(v)) return [];
  return v.filter(isTree).map((r) => {
    const source = String(r.source);
    const o: ServiceFileReference = { source, target: target(r.target === undefined ? source : String(r.target)) };
    if (r.uid !== undefined) o.uid = String(r.uid);
    if (r.gid !== undefined) o.gid = String(r.gid);
    if (r.mode !== undefined) o.mode = typeof r.mode === 'number' ? r.mode : parseInt(String(r.mode), 8);
    return o;
  });
}

function ulimits(t: Tree, p: PathSeg[], d: Diagnostics): Record<string, { soft: number; hard: number }> {
  const out: Record<string, { soft: number; hard: number }> = {};
  for (const [k, v] of Object.entries(t)) {
    if (!isTree(v)) continue;
    const f = new Fields(v, [...p, k], d);
    const soft = f.int('soft');
    const hard = f.int('hard');
    if (soft === undefined || hard === undefined) continue;
    if (soft > hard) d.add(keyPos(t, k), [...p, k], `soft limit ${soft} is above hard limit ${hard}`);
    out[k] = { soft, hard };
  }
  return out;
}

function isContextReference(v: string): boolean {
  return v.includes('://') || v.startsWith('service:') || isRemoteContext(v);
}

function normalizeBuild(b: Fields, ctx: NormalizeContext): BuildConfig {
  const context = b.str('context') ?? '.';
  const out: BuildConfig = { context: ctx.resolvePaths && !isRemoteContext(context) ? resolveHostPath(context, ctx) : context };
  if (ctx.resolvePaths) out.dockerfile = 'Dockerfile';
  put(out, 'dockerfile', b.str('dockerfile'));
  put(out, 'dockerfile_inline', b.str('dockerfile_inline'));
  if (out.dockerfile_inline !== undefined && b.t.dockerfile === undefined) delete out.dockerfile;
  if (isTree(b.t.args)) {
    out.args = {};
    for (const [k, v] of Object.entries(b.t.args)) out.args[k] = v === null ? (ctx.lookup(k) ?? null) : String(v);
  }
  put(out, 'ssh', b.strs('ssh'));
  put(out, 'labels', b.map('labels'));
  put(out, 'cache_from', b.strs('cache_from'));
  put(out, 'cache_to', b.strs('cache_to'));
  put(out, 'no_cache', b.bool('no_cache'));
  const extra = b.map('additional_contexts');
  // Like build.context: a relative local path is made absolute; `docker-image://`, `service:`, URLs stay.
  if (extra) out.additional_contexts = Object.fromEntries(Object.entries(extra).map(([k, v]) => [k, ctx.resolvePaths && !isContextReference(v) ? resolveHostPath(v, ctx) : v]));
  put(out, 'no_cache_filter', b.strs('no_cache_filter'));
  put(out, 'network', b.str('network'));
  put(out, 'pull', b.bool('pull'));
  put(out, 'target', b.str('target'));
  put(out, 'shm_size', b.bytes('shm_size'));
  put(out, 'isolation', b.str('isolation'));
  put(out, 'privileged', b.bool('privileged'));
  put(out, 'tags', b.strs('tags'));
  put(out, 'platforms', b.strs('platforms'));
  put(out, 'entitlements', b.strs('entitlements'));
  put(out, 'provenance', b.str('provenance'));
  put(out, 'sbom', b.str('sbom'));
  if (isTree(b.t.extra_hosts)) {
    out.extra_hosts = {};
    for (const [h, ips] of Object.entries(b.t.extra_hosts)) out.extra_hosts[h] = Array.isArray(ips) ? ips.map(String) : [String(ips)];
  }
  if (Array.isArray(b.t.secrets)) out.secrets = fileRefs(b.t.secrets, (s) => (s.startsWith('/') ? s : `/run/secrets/${s}`));
  if (isTree(b.t.ulimits)) out.ulimits = ulimits(b.t.ulimits, [...b.path, 'ulimits'], b.d);
  return out;
}

function normalizeDeploy(d: Fields): DeployConfig {
  const out: DeployConfig = {};
  put(out, 'mode', d.str('mode') as DeployConfig['mode']);
  put(out, 'replicas', d.int('replicas'));
  put(out, 'labels', d.map('labels'));
  put(out, 'endpoint_mode', d.str('endpoint_mode') as DeployConfig['endpoint_mode']);
  for (const k of ['update_config', 'rollback_config'] as const) {
    const u = d.sub(k);
    if (!u) continue;
    const o: NonNullable<DeployConfig['update_config']> = {};
    put(o, 'parallelism', u.int('parallelism'));
    put(o, 'delay', u.dur('delay'));
    put(o, 'failure_action', u.str('failure_action') as never);
    put(o, 'monitor', u.dur('monitor'));
    put(o, 'max_failure_ratio', u.num('max_failure_ratio'));
    put(o, 'order', u.str('order') as never);
    out[k] = o;
  }
  const r = d.sub('resources');
  if (r) {
    out.resources = {};
    for (const k of ['limits', 'reservations'] as const) {
      const l = r.sub(k);
      if (!l) continue;
      const o: NonNullable<NonNullable<DeployConfig['resources']>['limits']> = {};
      put(o, 'cpus', l.num('cpus'));
      put(o, 'memory', l.bytes('memory'));
      put(o, 'pids', l.int('pids'));
      if (Array.isArray(l.t.devices)) o.devices = deviceRequests(l.t.devices, [...l.path, 'devices'], l.t, l.d) as never;
      if (Array.isArray(l.t.generic_resources)) o.generic_resources = plain(l.t.generic_resources) as never;
      out.resources[k] = o;
    }
  }
  const rp = d.sub('restart_policy');
  if (rp) {
    out.restart_policy = {};
    put(out.restart_policy, 'condition', rp.str('condition') as never);
    put(out.restart_policy, 'delay', rp.dur('delay'));
    put(out.restart_policy, 'max_attempts', rp.int('max_attempts'));
    put(out.restart_policy, 'window', rp.dur('window'));
  }
  const pl = d.sub('placement');
  if (pl) {
    out.placement = {};
    put(out.placement, 'constraints', pl.strs('constraints'));
    if (Array.isArray(pl.t.preferences)) out.placement.preferences = pl.t.preferences.filter(isTree).map((x) => ({ spread: String(x.spread) }));
    put(out.placement, 'max_replicas_per_node', pl.int('max_replicas_per_node'));
  }
  return out;
}

function normalizeVolume(v: Tree, p: PathSeg[], ctx: NormalizeContext, pos: ReturnType<typeof keyPos>): ServiceVolumeConfig | undefined {
  const f = new Fields(v, p, ctx.diags);
  const type = (f.str('type') ?? 'volume') as ServiceVolumeConfig['type'];
  const target = f.str('target');
  if (target === undefined || target === '') {
    ctx.diags.add(pos, p, 'volume has no target path');
    return undefined;
  }
  if (!target.startsWith('/') && !/^[A-Za-z]:[\\/]/.test(target) && type !== 'npipe') {
    ctx.diags.add(pos, p, `volume target "${target}" must be an absolute path`);
    return undefined;
  }
  const out: ServiceVolumeConfig = { type, target };
  let source = f.str('source');
  if (type === 'bind') {
    if (!source) {
      ctx.diags.add(pos, p, 'bind mount needs a source path');
      return undefined;
    }
    if (ctx.resolvePaths) source = resolveHostPath(source, ctx);
  }
  if (type === 'tmpfs' && source) ctx.diags.add(pos, p, 'tmpfs mounts take no source');
  put(out, 'source', source);
  put(out, 'read_only', f.bool('read_only'));
  put(out, 'consistency', f.str('consistency'));
  const b = f.sub('bind');
  if (b) {
    out.bind = {};
    put(out.bind, 'propagation', b.str('propagation'));
    put(out.bind, 'create_host_path', b.bool('create_host_path'));
    put(out.bind, 'selinux', b.str('selinux') as 'z' | 'Z' | undefined);
    put(out.bind, 'recursive', b.str('recursive'));
  }
  // Compose's long bind syntax creates a missing host path unless told not to, like the short one.
  if (type === 'bind') out.bind = { ...out.bind, create_host_path: out.bind?.create_host_path ?? true };
  const vo = f.sub('volume');
  if (vo) {
    out.volume = {};
    put(out.volume, 'nocopy', vo.bool('nocopy'));
    put(out.volume, 'subpath', vo.str('subpath'));
    const labels = vo.t.labels;
    // list_or_dict, as everywhere in the spec: `[a=b]` or `{a: b}`.
    if (Array.isArray(labels)) out.volume.labels = Object.fromEntries(labels.map((l) => String(l)).map((l) => [l.split('=')[0]!, l.includes('=') ? l.slice(l.indexOf('=') + 1) : '']));
    else put(out.volume, 'labels', vo.map('labels'));
  }
  const tm = f.sub('tmpfs');
  if (tm) {
    out.tmpfs = {};
    put(out.tmpfs, 'size', tm.bytes('size'));
    const mode = tm.t.mode;
    if (mode !== undefined) out.tmpfs.mode = typeof mode === 'number' ? mode : parseInt(String(mode), 8);
  }
  const im = f.sub('image');
  if (im) {
    out.image = {};
    put(out.image, 'subpath', im.str('subpath'));
  }
  return out;
}

export function resolveHostPath(p: string, ctx: Pick<NormalizeContext, 'workingDir' | 'lookup'>): string {
  if (p === '~' || p.startsWith('~/')) {
    const home = ctx.lookup('HOME') ?? '/root';
    return path.join(home, p.slice(1));
  }
  return path.resolve(ctx.workingDir, p);
}

export function normalizeNetwork(key: string, t: Tree, ctx: NormalizeContext): NetworkConfig {
  const f = new Fields(t, ['networks', key], ctx.diags);
  const external = f.bool('external');
  const out: NetworkConfig = { name: f.str('name') ?? (external ? key : `${ctx.projectName}_${key}`) };
  put(out, 'driver', f.str('driver'));
  put(out, 'driver_opts', f.map('driver_opts'));
  if (isTree(t.ipam)) out.ipam = plain(t.ipam) as NetworkConfig['ipam'];
  put(out, 'external', external);
  put(out, 'internal', f.bool('internal'));
  put(out, 'attachable', f.bool('attachable'));
  put(out, 'enable_ipv4', f.bool('enable_ipv4'));
  put(out, 'enable_ipv6', f.bool('enable_ipv6'));
  put(out, 'labels', f.map('labels'));
  const ext = extensionsOf(t);
  if (ext) out.extensions = ext;
  return out;
}

export function normalizeVolumeTop(key: string, t: Tree, ctx: NormalizeContext): VolumeConfig {
  const f = new Fields(t, ['volumes', key], ctx.diags);
  const external = f.bool('external');
  const out: VolumeConfig = { name: f.str('name') ?? (external ? key : `${ctx.projectName}_${key}`) };
  put(out, 'driver', f.str('driver'));
  put(out, 'driver_opts', f.map('driver_opts'));
  put(out, 'external', external);
  put(out, 'labels', f.map('labels'));
  const ext = extensionsOf(t);
  if (ext) out.extensions = ext;
  return out;
}

// eslint-disable-next-line @typescript-eslint/no-duplicate-type-constituents -- one type under two names: the union says which two kinds this builds
export function normalizeSecret(kind: 'secrets' | 'configs', key: string, t: Tree, ctx: NormalizeContext): SecretConfig | ConfigObjConfig {
  const f = new Fields(t, [kind, key], ctx.diags);
  const external = f.bool('external');
  const out: SecretConfig = { name: f.str('name') ?? (external ? key : `${ctx.projectName}_${key}`) };
  const file = f.str('file');
  if (file !== undefined) out.file = ctx.resolvePaths ? resolveHostPath(file, ctx) : file;
  put(out, 'environment', f.str('environment'));
  put(out, 'content', f.str('content'));
  put(out, 'external', external);
  put(out, 'labels', f.map('labels'));
  put(out, 'driver', f.str('driver'));
  put(out, 'driver_opts', f.map('driver_opts'));
  put(out, 'template_driver', f.str('template_driver'));
  const sources = ['file', 'environment', 'content', 'external'].filter((k) => t[k] !== undefined && t[k] !== false);
  if (sources.length !== 1 && !(kind === 'secrets' && t.driver !== undefined)) {
    ctx.diags.add(keyPos(t, sources[1] ?? 'name') , [kind, key], sources.length === 0 ? 'needs one of file, environment, content or external' : `set only one of ${sources.join(', ')}`);
  }
  const ext = extensionsOf(t);
  if (ext) out.extensions = ext;
  return out;
}

export function extensionsOf(t: Tree): Record<string, unknown> | undefined {
  const keys = Object.keys(t).filter((k) => k.startsWith('x-'));
  if (keys.length === 0) return undefined;
  return Object.fromEntries(keys.map((k) => [k, plain(t[k])]));
}

/** Plain (prototype-ful) deep copy for values handed out as-is. */
export function plain(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(plain);
  if (isTree(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  return v;
}

/**
 * Device reservations and `gpus`: Compose reserves every matching device when neither `count`
 * nor `device_ids` is given (`count: all`, written -1), and refuses both at once.
 */
function deviceRequests(list: unknown[], p: PathSeg[], parent: Tree, diags: Diagnostics): unknown[] {
  return list.map((entry, i) => {
    if (!isTree(entry)) return plain(entry);
    const out = plain(entry) as Record<string, unknown>;
    const pos = keyPos(list, i) ?? keyPos(parent, p[p.length - 1] as string);
    const hasIds = Array.isArray(out.device_ids) && out.device_ids.length > 0;
    if (out.count === undefined || out.count === 'all') {
      if (!hasIds) out.count = -1;
      else delete out.count;
    } else {
      const n = typeof out.count === 'number' ? out.count : Number(out.count);
      if (!Number.isInteger(n) || n < -1) diags.add(pos, [...p, i, 'count'], `invalid count "${String(out.count)}"`, 'use a whole number or "all"');
      else out.count = n;
      if (hasIds) diags.add(pos, [...p, i], '"count" and "device_ids" are mutually exclusive', 'reserve devices by number or by ID, not both');
    }
    return out;
  });
}

/** Labels from `label_file` (env-file syntax, later files win); the service's `labels` go over them, as in Compose. */
async function labelFiles(files: string[], list: unknown[], p: PathSeg[], ctx: NormalizeContext): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const [i, file] of files.entries()) {
    let text: string;
    try {
      text = await ctx.reader.readFile(file);
    } catch (e) {
      if (!isMissingFile(e)) throw e;
      ctx.diags.add(keyPos(list, i), [...p, i], `label file ${file} not found`, 'create it or remove it from label_file');
      continue;
    }
    try {
      Object.assign(out, parseDotenv(text, file, () => undefined, false));
    } catch (err) {
      for (const d of (err as { diagnostics?: Diagnostics['list'] }).diagnostics ?? []) ctx.diags.list.push(d);
    }
  }
  return out;
}
