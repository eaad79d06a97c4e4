/**
 * The canonical Project as `docker compose config` shows it: project name first, long syntax,
 * absolute paths, durations as Go strings (`1m30s`), maps sorted for stable output.
 */
import { stringify } from 'yaml';
import type { Project, ServiceConfig } from './types.js';
import { formatDuration } from './units.js';

/** Keys whose numbers are nanoseconds, at any depth. */
const DURATION_KEYS = new Set(['interval', 'timeout', 'start_period', 'start_interval', 'stop_grace_period', 'delay', 'monitor', 'window']);

export function projectToDocument(p: Project): Record<string, unknown> {
  const doc: Record<string, unknown> = { name: p.name };
  doc.services = Object.fromEntries(Object.keys(p.services).sort().map((k) => [k, serviceDoc(p.services[k]!)]));
  for (const kind of ['networks', 'volumes', 'secrets', 'configs'] as const) {
    const m = p[kind];
    if (Object.keys(m).length === 0) continue;
    doc[kind] = Object.fromEntries(Object.keys(m).sort().map((k) => [k, resourceDoc(m[k] as unknown as Record<string, unknown>)]));
  }
  if (p.models && Object.keys(p.models).length) doc.models = Object.fromEntries(Object.keys(p.models).sort().map((k) => [k, resourceDoc(p.models![k]!)]));
  for (const [k, v] of Object.entries(p.extensions)) doc[k] = v;
  return doc;
}

function serviceDoc(s: ServiceConfig): Record<string, unknown> {
  const { name: _name, extensions, unmodelled, ...rest } = s;
  // A port's `x-` keys are written inline after its own keys, as compose-go does.
  const out = clean({ ...rest, ports: rest.ports.map(({ extensions: _x, ...p }) => p) }) as Record<string, unknown>;
  if (Array.isArray(out.ports)) out.ports = (out.ports as Record<string, unknown>[]).map((p, i) => ({ ...p, ...(rest.ports[i]?.extensions ?? {}) }));
  // Keys we do not model are printed as written, among the others in key order.
  return { ...sortKeys({ ...out, ...(unmodelled ?? {}) }), ...(extensions ?? {}) };
}

function resourceDoc(r: Record<string, unknown>): Record<string, unknown> {
  const { extensions, ...rest } = r as { extensions?: Record<string, unknown> };
  return { ...sortKeys(clean(rest) as Record<string, unknown>), ...(extensions ?? {}) };
}

/** Drops empty lists/maps (except environment values), renders durations, sorts map keys. */
function clean(v: unknown, key = ''): unknown {
  if (typeof v === 'number' && DURATION_KEYS.has(key)) return formatDuration(v);
  if (Array.isArray(v)) return v.map((x) => clean(x));
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) {
      const x = (v as Record<string, unknown>)[k];
      if (x === undefined) continue;
      if (Array.isArray(x) && x.length === 0 && k !== 'command' && k !== 'entrypoint') continue;
      if (x !== null && typeof x === 'object' && !Array.isArray(x) && Object.keys(x).length === 0 && !['default'].includes(k) && key !== 'networks') continue;
      out[k] = clean(x, k);
    }
    return out;
  }
  return v;
}

function sortKeys(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.keys(o).sort().map((k) => [k, o[k]]));
}

export function renderYaml(p: Project): string {
  // YAML 1.1 quoting ("no", "on", "1:2") so readers with 1.1 habits (Compose v1, PyYAML) read back strings.
  return stringify(projectToDocument(p), { lineWidth: 0, aliasDuplicateObjects: false, version: '1.1' });
}

/**
 * The untyped model of `config --no-interpolate` (load.ts loadModel), printed as compose-go prints
 * a map: keys sorted at every level (the project `name` first), empty top-level sections left out.
 */
export function renderModel(model: Record<string, unknown>, format: 'yaml' | 'json'): string {
  const top: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(sortedKeys(model) as Record<string, unknown>)) {
    if (v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0 && k !== 'services') continue;
    top[k] = v;
  }
  const doc = { name: top.name, ...top };
  if (format === 'json') return JSON.stringify(doc, null, 2) + '\n';
  return stringify(doc, { lineWidth: 0, aliasDuplicateObjects: false, version: '1.1' });
}

function sortedKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortedKeys);
  if (v === null || typeof v !== 'object') return v;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v).sort()) out[k] = sortedKeys((v as Record<string, unknown>)[k]);
  return out;
}

export function renderJson(p: Project): string {
  return JSON.stringify(projectToDocument(p), null, 2) + '\n';
}

/** Image of each service: its `image`, else the name Compose gives a built image. */
export function serviceImages(p: Project): string[] {
  return Object.values(p.services).map((s) => s.image ?? `${p.name}-${s.name}`);
}

/** Every profile named by any service, enabled or not, sorted. */
export function allProfiles(p: Project): string[] {
  const set = new Set<string>();
  for (const s of [...Object.values(p.services), ...Object.values(p.disabledServices)]) for (const x of s.profiles) set.add(x);
  return [...set].sort();
}
