/**
 * Checks that need the whole merged project: references between services and to top-level
 * resources, depends_on cycles, a container_name on a scaled service, image-or-build, external
 * resources that say how to create them.
 * Reported together, each at the position of the referring value.
 */
import type { Diagnostics } from './diagnostics.js';
import { didYouMean } from './did-you-mean.js';
import { isTree, keyPos, type Tree } from './tree.js';

// eslint-disable-next-line complexity -- 36: one check per cross-reference kind; to be split
export function checkProject(root: Tree, diags: Diagnostics): void {
  const services = isTree(root.services) ? root.services : {};
  const names = Object.keys(services);
  const top = (k: string) => (isTree(root[k]) ? Object.keys(root[k]) : []);
  const networks = top('networks');
  const volumes = top('volumes');
  const secrets = top('secrets');
  const configs = top('configs');
  const unknown = (what: string, name: string, known: string[]) => {
    const g = didYouMean(name, known);
    return { message: `refers to undefined ${what} "${name}"`, hint: g ? `did you mean "${g}"?` : `declare it under top-level ${what === 'service' ? 'services' : what + 's'}` };
  };

  for (const name of names) {
    const svc = services[name];
    if (!isTree(svc)) continue;
    const at = (k: string) => keyPos(svc, k);
    if (!/^[a-zA-Z0-9._-]+$/.test(name)) {
      diags.add(keyPos(services, name), ['services', name], `invalid service name "${name}"`, 'use letters, digits, ".", "_" and "-"');
    }
    if (svc.image === undefined && svc.build === undefined && svc.provider === undefined) {
      diags.add(keyPos(services, name), ['services', name], 'has neither an image nor a build context', 'add `image:` or `build:`');
    }
    if (isTree(svc.depends_on)) {
      for (const dep of Object.keys(svc.depends_on)) {
        if (!(dep in services)) {
          const u = unknown('service', dep, names);
          diags.add(keyPos(svc.depends_on, dep), ['services', name, 'depends_on', dep], u.message, u.hint);
        }
      }
    }
    for (const k of ['links', 'volumes_from'] as const) {
      const list = svc[k];
      if (!Array.isArray(list)) continue;
      list.forEach((l, i) => {
        let target = String(l).split(':')[0]!;
        if (k === 'volumes_from') {
          if (String(l).startsWith('container:')) return;
          if (String(l).startsWith('service:')) target = String(l).split(':')[1]!;
        }
        if (!(target in services)) {
          const u = unknown('service', target, names);
          diags.add(keyPos(list, i), ['services', name, k, i], u.message, u.hint);
        }
      });
    }
    for (const k of ['network_mode', 'ipc', 'pid'] as const) {
      const v = svc[k];
      if (typeof v === 'string' && v.startsWith('service:')) {
        const target = v.slice(8);
        if (!(target in services)) {
          const u = unknown('service', target, names);
          diags.add(at(k), ['services', name, k], u.message, u.hint);
        }
      }
    }
    if (isTree(svc.networks)) {
      if (svc.network_mode !== undefined) diags.add(at('network_mode'), ['services', name, 'network_mode'], 'network_mode and networks cannot be combined');
      for (const n of Object.keys(svc.networks)) {
        if (n !== 'default' && !networks.includes(n)) {
          const u = unknown('network', n, networks);
          diags.add(keyPos(svc.networks, n), ['services', name, 'networks', n], u.message, u.hint);
        }
      }
    }
    if (Array.isArray(svc.volumes)) {
      svc.volumes.forEach((v, i) => {
        if (isTree(v) && v.type === 'volume' && typeof v.source === 'string' && v.source !== '' && !volumes.includes(v.source)) {
          const u = unknown('volume', v.source, volumes);
          diags.add(keyPos(svc.volumes as unknown[], i), ['services', name, 'volumes', i], u.message, u.hint);
        }
      });
    }
    for (const [k, known] of [['secrets', secrets], ['configs', configs]] as const) {
      const list = svc[k];
      if (!Array.isArray(list)) continue;
      list.forEach((r, i) => {
        if (isTree(r) && !known.includes(String(r.source))) {
          const u = unknown(k.slice(0, -1), String(r.source), known);
          diags.add(keyPos(list, i), ['services', name, k, i], u.message, u.hint);
        }
      });
    }
    const scale = Number(svc.scale ?? (isTree(svc.deploy) ? svc.deploy.replicas : undefined) ?? 1);
    if (svc.container_name !== undefined && scale > 1) {
      diags.add(at('container_name'), ['services', name, 'container_name'], `container_name "${String(svc.container_name)}" cannot be used with scale ${scale}`, 'container names are unique; remove container_name or scale to 1');
    }
  }
  for (const cycle of dependencyCycles(services)) {
    const first = cycle[0]!;
    const svc = services[first] as Tree;
    diags.add(isTree(svc.depends_on) ? keyPos(svc.depends_on, cycle[1]!) : undefined, ['services', first, 'depends_on'], `dependency cycle: ${cycle.join(' -> ')}`);
  }
  checkExternal(root, diags);
}

/**
 * An external resource is only looked up, never created: anything said about how to create it
 * (driver, options, labels, ipam...) cannot hold, and Compose refuses it.
 */
function checkExternal(root: Tree, diags: Diagnostics): void {
  for (const kind of ['networks', 'volumes', 'secrets', 'configs'] as const) {
    const top = root[kind];
    if (!isTree(top)) continue;
    for (const [name, res] of Object.entries(top)) {
      if (!isTree(res) || (res.external !== true && res.external !== 'true')) continue;
      for (const k of Object.keys(res)) {
        if (k === 'name' || k === 'external' || k.startsWith('x-')) continue;
        diags.add(keyPos(res, k), [kind, name, k], `conflicting parameters "external" and "${k}" specified`, `an external ${kind.slice(0, -1)} is used as it is: remove "${k}" or "external"`);
      }
    }
  }
}

/** Each elementary cycle found by DFS, as a closed path (`a -> b -> a`), reported once. */
export function dependencyCycles(services: Tree): string[][] {
  const state = new Map<string, 1 | 2>();
  const cycles: string[][] = [];
  const stack: string[] = [];
  const visit = (n: string) => {
    state.set(n, 1);
    stack.push(n);
    const svc = services[n];
    const deps = isTree(svc) && isTree(svc.depends_on) ? Object.keys(svc.depends_on) : [];
    for (const d of deps) {
      if (!(d in services)) continue;
      const s = state.get(d);
      if (s === 1) cycles.push([...stack.slice(stack.indexOf(d)), d]);
      else if (s === undefined) visit(d);
    }
    stack.pop();
    state.set(n, 2);
  };
  for (const n of Object.keys(services).sort()) if (!state.has(n)) visit(n);
  return cycles;
}
