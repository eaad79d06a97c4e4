/**
 * Per-file rewrite of short syntaxes into long ones, before files are merged, so merge rules can
 * match entries by identity (a port by its published/target, a volume by its target, ...).
 * Values stay raw otherwise (durations, sizes, relative paths are the normalizer's job).
 * Input is a file tree that passed schema validation.
 */
import type { Diagnostics } from './diagnostics.js';
import { parsePortSpec } from './ports.js';
import { shellSplit } from './shell-split.js';
import { isTree, keyPos, newTree, setKeyPos, setSelfPos, selfPos, markersOf, setMarker, type PathSeg, type Tree } from './tree.js';
import { parseVolumeSpec } from './volumes.js';

/**
 * `lenient` is for a model read without interpolation (`config --no-interpolate`): as compose-go,
 * a port list with an entry that does not parse (`"${PORT}:80"`) is kept as written, and so is a
 * volume string, instead of being an error.
 */
export function canonicalizeFile(root: Tree, diags: Diagnostics, lenient = false): void {
  const services = root.services;
  if (services === null) root.services = newTree();
  if (isTree(services)) {
    for (const name of Object.keys(services)) {
      if (services[name] === null) services[name] = newTree();
      const svc = services[name];
      if (isTree(svc)) canonicalizeService(svc, ['services', name], diags, lenient);
    }
  }
  for (const kind of ['networks', 'volumes', 'secrets', 'configs'] as const) {
    const top = root[kind];
    if (top === null) root[kind] = newTree();
    if (!isTree(top)) continue;
    for (const name of Object.keys(top)) {
      if (top[name] === null) top[name] = newTree();
      const res = top[name];
      if (!isTree(res)) continue;
      if (isTree(res.external)) {
        // Legacy `external: {name: x}` means external with that engine name.
        const n = res.external.name;
        if (typeof n === 'string' && typeof res.name === 'string' && res.name !== n) {
          diags.add(keyPos(res, 'name'), [kind, name, 'name'], `external.name "${n}" and name "${res.name}" conflict`, 'only use name');
        }
        res.external = true;
        if (typeof n === 'string') res.name = n;
      }
      if (res.labels !== undefined) res.labels = toMap(res.labels, '=', false);
    }
  }
}

// eslint-disable-next-line complexity -- 49: one short-to-long-form rewrite per key; to be split by key group
function canonicalizeService(svc: Tree, path: PathSeg[], diags: Diagnostics, lenient: boolean): void {
  const at = (k: string) => keyPos(svc, k);
  if (svc.environment !== undefined) svc.environment = environmentMap(svc.environment, [...path, 'environment'], diags);
  for (const k of ['labels', 'annotations', 'sysctls'] as const) if (svc[k] !== undefined) svc[k] = toMap(svc[k], '=', false);
  if (svc.extra_hosts !== undefined) svc.extra_hosts = hostsMap(svc.extra_hosts);
  for (const k of ['command', 'entrypoint'] as const) {
    const v = svc[k];
    if (typeof v === 'string') {
      try {
        svc[k] = keep(shellSplit(v), svc, k);
      } catch (e) {
        diags.add(at(k), [...path, k], (e as Error).message);
      }
    } else if (Array.isArray(v)) svc[k] = keep(v.map(String), v);
  }
  for (const k of ['dns', 'dns_search', 'tmpfs', 'label_file'] as const) if (typeof svc[k] === 'string') svc[k] = keep([svc[k]], svc, k);
  for (const k of ['expose', 'group_add'] as const) if (Array.isArray(svc[k])) svc[k] = keep((svc[k] as unknown[]).map(String), svc[k] as unknown[]);
  if (typeof svc.user === 'number') svc.user = String(svc.user);
  if (typeof svc.extends === 'string') svc.extends = mk({ service: svc.extends }, svc, 'extends');
  if (typeof svc.build === 'string') svc.build = mk({ context: svc.build }, svc, 'build');
  if (isTree(svc.build)) canonicalizeBuild(svc.build);
  if (isTree(svc.healthcheck) && typeof svc.healthcheck.test === 'string') {
    svc.healthcheck.test = keep(['CMD-SHELL', svc.healthcheck.test], svc.healthcheck, 'test');
  }
  if (svc.ulimits !== undefined) svc.ulimits = ulimits(svc.ulimits);
  if (isTree(svc.deploy)) {
    if (svc.deploy.labels !== undefined) svc.deploy.labels = toMap(svc.deploy.labels, '=', false);
  }
  if (isTree(svc.logging) && isTree(svc.logging.options)) {
    const o = svc.logging.options;
    for (const k of Object.keys(o)) if (typeof o[k] === 'number') o[k] = String(o[k]);
  }
  if (svc.gpus === 'all') svc.gpus = [mk({ count: 'all', capabilities: ['gpu'] }, svc, 'gpus')];

  if (Array.isArray(svc.depends_on)) {
    const m = newTree();
    setSelfPos(m, at('depends_on'));
    svc.depends_on.forEach((name, i) => {
      m[String(name)] = mk({ condition: 'service_started', required: true }, svc.depends_on as unknown[], i);
      setKeyPos(m, String(name), keyPos(svc.depends_on as unknown[], i));
    });
    svc.depends_on = m;
  } else if (isTree(svc.depends_on)) {
    for (const d of Object.values(svc.depends_on)) {
      if (!isTree(d)) continue;
      d.condition ??= 'service_started';
      d.required ??= true;
    }
  }

  if (Array.isArray(svc.networks)) {
    const m = newTree();
    setSelfPos(m, at('networks'));
    svc.networks.forEach((n, i) => {
      m[String(n)] = null;
      setKeyPos(m, String(n), keyPos(svc.networks as unknown[], i));
    });
    svc.networks = m;
  }

  for (const k of ['secrets', 'configs'] as const) if (Array.isArray(svc[k])) svc[k] = fileRefs(svc[k] as unknown[]);

  if (svc.env_file !== undefined) {
    const list = typeof svc.env_file === 'string' ? keep([svc.env_file], svc, 'env_file') : (svc.env_file as unknown[]);
    svc.env_file = mapList(list, (e) => (typeof e === 'string' ? { path: e, required: true } : null));
  }

  if (Array.isArray(svc.devices)) {
    svc.devices = mapList(svc.devices, (d) => {
      if (typeof d !== 'string') return null;
      const [source = '', target, permissions] = d.split(':');
      const o: Record<string, unknown> = { source, target: target ?? source };
      if (permissions !== undefined) o.permissions = permissions;
      return o;
    });
  }

  if (Array.isArray(svc.ports) && !(lenient && svc.ports.some((p) => !isTree(p) && !parses(() => parsePortSpec(String(p)))))) {
    const ports = svc.ports;
    const out: unknown[] = [];
    setSelfPos(out, selfPos(ports));
    ports.forEach((p, i) => {
      const pos = keyPos(ports, i);
      const push = (v: unknown) => {
        setKeyPos(out, out.length, pos);
        out.push(v);
      };
      if (isTree(p)) {
        if (typeof p.published === 'number') p.published = String(p.published);
        p.protocol ??= 'tcp';
        p.mode ??= 'ingress';
        push(p);
        return;
      }
      try {
        for (const raw of parsePortSpec(String(p))) push(mk({ ...raw, mode: 'ingress' }, ports, i));
      } catch (e) {
        const msg = (e as Error).message;
        const hint = msg.startsWith("port ranges don't match")
          ? 'a published range needs as many ports as the target range ("8000-8002:80-82"), or a single target port ("9000-9001:53")'
          : 'ports look like "8080:80", "127.0.0.1:8080:80/udp" or "3000-3005"';
        diags.add(pos, [...path, 'ports', i], msg, hint);
      }
    });
    svc.ports = out;
  }

  if (Array.isArray(svc.volumes)) {
    const vols = svc.volumes;
    svc.volumes = mapList(vols, (v, i) => {
      if (isTree(v) || (lenient && !parses(() => parseVolumeSpec(String(v))))) return null;
      try {
        return parseVolumeSpec(String(v));
      } catch (e) {
        diags.add(keyPos(vols, i), [...path, 'volumes', i], (e as Error).message, 'volumes look like "data:/var/lib/data", "./src:/app:ro" or "/tmp/cache"');
        return undefined;
      }
    });
  }
}

function canonicalizeBuild(b: Tree): void {
  // No default context here: an override's `build:` without context must not replace the base's.
  for (const k of ['args', 'labels', 'additional_contexts'] as const) if (b[k] !== undefined) b[k] = toMap(b[k], '=', k === 'args');
  if (typeof b.no_cache_filter === 'string') b.no_cache_filter = keep([b.no_cache_filter], b, 'no_cache_filter');
  if (b.ssh !== undefined) b.ssh = Array.isArray(b.ssh) ? b.ssh.map(String) : Object.entries(b.ssh as Tree).map(([k, v]) => (v === null ? k : `${k}=${String(v)}`));
  if (b.extra_hosts !== undefined) b.extra_hosts = hostsMap(b.extra_hosts);
  if (Array.isArray(b.secrets)) b.secrets = fileRefs(b.secrets);
  if (b.ulimits !== undefined) b.ulimits = ulimits(b.ulimits);
}

function environmentMap(v: unknown, p: PathSeg[], diags: Diagnostics): Tree {
  const env = toMap(v, '=', true);
  // `FOO =bar` defines "FOO " in Compose's reading too, which no program looks up: refused there and here.
  for (const k of Object.keys(env)) {
    if (/\s/.test(k)) diags.add(keyPos(env, k), [...p, k], `environment variable "${k}" is declared with a space in its name`, `write ${k.trim()}=value`);
  }
  return env;
}

/** list `KEY=VALUE` / `KEY` or mapping -> mapping of strings; bare keys become null (environment) or "". */
function toMap(v: unknown, sep: string, bareIsNull: boolean): Tree {
  const out = newTree();
  if (typeof v === 'object' && v !== null) setSelfPos(out, selfPos(v));
  if (Array.isArray(v)) {
    v.forEach((item, i) => {
      const s = String(item);
      const at = s.indexOf(sep);
      const k = at < 0 ? s : s.slice(0, at);
      out[k] = at < 0 ? (bareIsNull ? null : '') : s.slice(at + 1);
      setKeyPos(out, k, keyPos(v, i));
    });
  } else if (isTree(v)) {
    for (const [k, val] of Object.entries(v)) {
      out[k] = val === null ? (bareIsNull ? null : '') : String(val);
      setKeyPos(out, k, keyPos(v, k));
    }
    const marks = markersOf(v);
    if (marks) for (const [k, kind] of marks) setMarker(out, k, kind);
  }
  return out;
}

/** extra_hosts: `host:ip`, `host=ip` or mapping (value string or list) -> host -> [ip...]. */
function hostsMap(v: unknown): Tree {
  const out = newTree();
  if (typeof v === 'object' && v !== null) setSelfPos(out, selfPos(v));
  const add = (host: string, ip: string, pos: ReturnType<typeof keyPos>) => {
    const list = (out[host] as string[] | undefined) ?? [];
    list.push(ip);
    out[host] = list;
    setKeyPos(out, host, pos);
  };
  if (Array.isArray(v)) {
    v.forEach((item, i) => {
      const s = String(item);
      const eq = s.indexOf('=');
      const at = eq >= 0 ? eq : s.indexOf(':');
      if (at < 0) add(s, '', keyPos(v, i));
      // `host=ip1,ip2`: one host, several addresses.
      else for (const ip of s.slice(at + 1).split(',')) add(s.slice(0, at), ip.trim().replace(/^\[(.*)\]$/, '$1'), keyPos(v, i));
    });
  } else if (isTree(v)) {
    for (const [k, val] of Object.entries(v)) {
      for (const ip of Array.isArray(val) ? val : [val]) add(k, String(ip), keyPos(v, k));
    }
  }
  return out;
}

function ulimits(v: unknown): Tree {
  const out = newTree();
  if (!isTree(v)) return out;
  setSelfPos(out, selfPos(v));
  for (const [k, val] of Object.entries(v)) {
    out[k] = isTree(val) ? val : mk({ soft: val, hard: val }, v, k);
    setKeyPos(out, k, keyPos(v, k));
  }
  return out;
}

function fileRefs(list: unknown[]): unknown[] {
  return mapList(list, (e) => (typeof e === 'string' ? { source: e } : null));
}

/** Maps list items (null result = keep the item, undefined = drop it), keeping item positions. */
function parses(f: () => unknown): boolean {
  try {
    f();
    return true;
  } catch {
    return false;
  }
}

function mapList(list: unknown[], f: (item: unknown, i: number) => Record<string, unknown> | null | undefined): unknown[] {
  const out: unknown[] = [];
  setSelfPos(out, selfPos(list));
  list.forEach((item, i) => {
    const r = f(item, i);
    if (r === undefined) return;
    setKeyPos(out, out.length, keyPos(list, i));
    out.push(r === null ? item : mk(r, list, i));
  });
  return out;
}

/** New tree from a plain object, positioned where `container[key]` was. */
function mk(o: Record<string, unknown>, container: object, key: PathSeg): Tree {
  const t = newTree();
  const p = keyPos(container, key);
  setSelfPos(t, p);
  for (const [k, v] of Object.entries(o)) {
    if (v === undefined) continue;
    t[k] = v;
    setKeyPos(t, k, p);
  }
  return t;
}

/** Array positioned at `container[key]` (or with the positions of `from`). */
function keep<T>(arr: T[], container: object, key?: PathSeg): T[] {
  const p = key === undefined ? selfPos(container) : keyPos(container, key);
  setSelfPos(arr, p);
  arr.forEach((_, i) => setKeyPos(arr, i, key === undefined ? keyPos(container, i) : p));
  return arr;
}
