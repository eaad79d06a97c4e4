/**
 * Layering one canonical tree over another (later files, later YAML documents, extends), by the
 * compose-spec merge rules. The rule table is keyed by path pattern (`services.*.ports`); the
 * default is "mappings merge key by key, lists append, scalars replace". `!reset` removes the
 * inherited value, `!override` replaces it whole. Mutates and returns `base`; positions of the
 * values taken from `over` come along, so diagnostics still name the file that contributed them.
 */
import { isTree, keyPos, markersOf, setKeyPos, setMarker, type Tree } from './tree.js';

type ListRule = { kind: 'replace' } | { kind: 'unique' } | { kind: 'by'; key: (item: unknown) => string };

const byField = (...fields: string[]) => (item: unknown) =>
  isTree(item) ? fields.map((f) => String(item[f] ?? '')).join('|') : JSON.stringify(item);

const LIST_RULES: Record<string, ListRule> = {
  'services.*.command': { kind: 'replace' },
  'services.*.entrypoint': { kind: 'replace' },
  'services.*.healthcheck.test': { kind: 'replace' },
  'services.*.ports': { kind: 'by', key: byField('host_ip', 'published', 'target', 'protocol') },
  'services.*.volumes': { kind: 'by', key: byField('target') },
  'services.*.secrets': { kind: 'by', key: (i) => (isTree(i) ? String(i.target ?? i.source) : String(i)) },
  'services.*.configs': { kind: 'by', key: (i) => (isTree(i) ? String(i.target ?? i.source) : String(i)) },
  'services.*.build.secrets': { kind: 'by', key: (i) => (isTree(i) ? String(i.target ?? i.source) : String(i)) },
  'services.*.env_file': { kind: 'by', key: byField('path') },
  'services.*.devices': { kind: 'by', key: byField('target') },
  'services.*.extra_hosts.*': { kind: 'unique' },
  'services.*.build.extra_hosts.*': { kind: 'unique' },
  'services.*.profiles': { kind: 'unique' },
  'services.*.dns': { kind: 'unique' },
  'services.*.dns_opt': { kind: 'unique' },
  'services.*.dns_search': { kind: 'unique' },
  'services.*.cap_add': { kind: 'unique' },
  'services.*.cap_drop': { kind: 'unique' },
  'services.*.security_opt': { kind: 'unique' },
  'services.*.expose': { kind: 'unique' },
  'services.*.tmpfs': { kind: 'unique' },
  'services.*.links': { kind: 'unique' },
  'services.*.external_links': { kind: 'unique' },
  'services.*.volumes_from': { kind: 'unique' },
  'services.*.group_add': { kind: 'unique' },
  'services.*.networks.*.aliases': { kind: 'unique' },
  'services.*.deploy.placement.constraints': { kind: 'unique' },
  'services.*.build.cache_from': { kind: 'unique' },
  'services.*.build.tags': { kind: 'unique' },
  'networks.*.ipam.config': { kind: 'by', key: byField('subnet') },
};

/** Segments right under these are user names (service, network...), matched by `*`. */
const NAMED = new Set(['services', 'networks', 'volumes', 'secrets', 'configs', 'extra_hosts', 'depends_on', 'ulimits']);

export function mergeTrees(base: Tree, over: Tree, pattern = ''): Tree {
  const marks = markersOf(over);
  if (marks) {
    for (const [k, kind] of marks) {
      if (kind === 'reset') delete base[k];
      // The result stands for `over` when it is merged again (a service that extends another,
      // merged over an earlier file): its `!override` / `!reset` must still apply there.
      setMarker(base, k, kind);
    }
  }
  for (const k of Object.keys(over)) {
    const ov = over[k];
    const bv = base[k];
    const here = fixPattern(pattern, k);
    setKeyPos(base, k, keyPos(over, k));
    if (marks?.get(k) === 'override' || bv === undefined) {
      base[k] = ov;
      continue;
    }
    if (isTree(bv) && isTree(ov)) {
      base[k] = mergeTrees(bv, ov, here);
    } else if (Array.isArray(bv) && Array.isArray(ov)) {
      base[k] = mergeLists(bv, ov, LIST_RULES[here] ?? { kind: 'unique' });
    } else if (ov === null && isTree(bv) && /^services\.\*\.networks\.\*$/.test(here)) {
      // `networks: {front: }` in an override keeps the aliases etc. set earlier.
    } else {
      base[k] = ov;
    }
  }
  return base;
}

/** Pattern of `pattern.k`, with user-chosen names replaced by `*`. */
function fixPattern(pattern: string, k: string): string {
  if (pattern === '') return k;
  const segs = pattern.split('.');
  const last = segs[segs.length - 1]!;
  const parentOfLast = segs[segs.length - 2];
  // services.web -> services.*; services.*.networks.front -> services.*.networks.*
  if (NAMED.has(last) && (segs.length === 1 || (parentOfLast === '*' && segs[0] === 'services') || segs[segs.length - 2] === 'build')) return `${pattern}.*`;
  return `${pattern}.${k}`;
}

function mergeLists(base: unknown[], over: unknown[], rule: ListRule): unknown[] {
  if (rule.kind === 'replace') return over;
  const keyOf = rule.kind === 'by' ? rule.key : (i: unknown) => JSON.stringify(i);
  const index = new Map<string, number>();
  base.forEach((item, i) => index.set(keyOf(item), i));
  over.forEach((item, i) => {
    const key = keyOf(item);
    const at = index.get(key);
    if (at !== undefined) {
      base[at] = rule.kind === 'by' && isTree(base[at]) && isTree(item) ? mergeTrees(base[at], item) : item;
      setKeyPos(base, at, keyPos(over, i));
    } else {
      index.set(key, base.length);
      setKeyPos(base, base.length, keyPos(over, i));
      base.push(item);
    }
  });
  return base;
}
