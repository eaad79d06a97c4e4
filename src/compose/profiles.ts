/**
 * Which services are active: those without profiles, those with an enabled profile (`*` enables
 * all), and, when services are named on the command line, exactly those plus everything they
 * depend on (whatever their profiles), as `docker compose up web` does.
 */
import type { Diagnostics } from './diagnostics.js';
import { didYouMean } from './did-you-mean.js';
import { isTree, keyPos, type Tree } from './tree.js';

export function activeServices(services: Tree, profiles: string[], named: string[] | undefined, diags: Diagnostics): Set<string> {
  const all = Object.keys(services);
  const depsOf = (n: string): string[] => {
    const s = services[n];
    if (!isTree(s)) return [];
    const deps = isTree(s.depends_on) ? Object.keys(s.depends_on) : [];
    for (const k of ['network_mode', 'ipc', 'pid'] as const) {
      const v = s[k];
      if (typeof v === 'string' && v.startsWith('service:')) deps.push(v.slice(8));
    }
    if (Array.isArray(s.volumes_from)) for (const v of s.volumes_from) if (!String(v).startsWith('container:')) deps.push(String(v).replace(/^service:/, '').split(':')[0]!);
    if (Array.isArray(s.links)) for (const l of s.links) deps.push(String(l).split(':')[0]!);
    return deps.filter((d) => d in services);
  };
  const profileOf = (n: string): string[] => {
    const s = services[n];
    return isTree(s) && Array.isArray(s.profiles) ? s.profiles.map(String) : [];
  };
  const enabledByProfile = (n: string) => {
    const p = profileOf(n);
    return p.length === 0 || profiles.includes('*') || p.some((x) => profiles.includes(x));
  };

  if (named && named.length > 0) {
    const active = new Set<string>();
    const add = (n: string) => {
      if (active.has(n)) return;
      active.add(n);
      for (const d of depsOf(n)) add(d);
    };
    for (const n of named) {
      if (!(n in services)) {
        const g = didYouMean(n, all);
        diags.add(undefined, undefined, `no such service: ${n}`, g ? `did you mean "${g}"?` : undefined);
        continue;
      }
      add(n);
    }
    return active;
  }

  const active = new Set(all.filter(enabledByProfile));
  for (const n of active) {
    const s = services[n] as Tree;
    if (!isTree(s.depends_on)) continue;
    for (const d of Object.keys(s.depends_on)) {
      if (!(d in services) || active.has(d)) continue;
      const spec = s.depends_on[d];
      const required = !isTree(spec) || (spec.required !== false && spec.required !== 'false');
      if (required) {
        diags.add(keyPos(s.depends_on, d), ['services', n, 'depends_on', d], `depends on service "${d}", which is disabled by its profiles [${profileOf(d).join(', ')}]`, `enable it with --profile ${profileOf(d)[0] ?? ''} or name it on the command line`);
      } else delete s.depends_on[d];
    }
  }
  return active;
}
