/**
 * Dependency order of the services that have containers, read from the model when it is loaded and
 * otherwise from the `com.docker.compose.depends_on` label ("svc:condition:restart,..."), so
 * start/stop/restart order services the same way with or without the compose file.
 */
import { LABEL } from '../labels.js';
import type { Scope } from './scope.js';
import type { ProjectContainer } from './select-containers.js';

export interface DependencyEdge {
  on: string;
  restart: boolean;
}

/** service -> the services it depends on. */
export function dependencyGraph(scope: Scope, containers: readonly ProjectContainer[]): Map<string, DependencyEdge[]> {
  const g = new Map<string, DependencyEdge[]>();
  if (scope.project) {
    for (const [name, svc] of Object.entries(scope.project.services)) {
      g.set(name, Object.entries(svc.depends_on).map(([on, d]) => ({ on, restart: d.restart })));
    }
  }
  for (const c of containers) {
    if (g.has(c.service)) continue;
    const label = c.labels[LABEL.dependsOn] ?? '';
    g.set(
      c.service,
      label
        .split(',')
        .filter(Boolean)
        .map((e) => {
          const [on, , restart] = e.split(':');
          return { on: on ?? '', restart: restart === 'true' };
        })
        .filter((e) => e.on),
    );
  }
  return g;
}

/** Groups of services in start order: each group depends only on earlier groups. */
export function startLayers(services: readonly string[], graph: Map<string, DependencyEdge[]>): string[][] {
  const remaining = new Set(services);
  const layers: string[][] = [];
  while (remaining.size) {
    const ready = [...remaining].filter((s) => !(graph.get(s) ?? []).some((d) => remaining.has(d.on) && d.on !== s)).sort();
    // A cycle (rejected by the loader, possible in hand-made labels) is broken by taking all.
    const layer = ready.length ? ready : [...remaining].sort();
    layer.forEach((s) => remaining.delete(s));
    layers.push(layer);
  }
  return layers;
}

/** Services that depend on any of `services` with `restart: true`, transitively, plus themselves. */
export function withRestartDependents(services: readonly string[], graph: Map<string, DependencyEdge[]>): string[] {
  const out = new Set(services);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [svc, deps] of graph) {
      if (!out.has(svc) && deps.some((d) => d.restart && out.has(d.on))) {
        out.add(svc);
        grew = true;
      }
    }
  }
  return [...out];
}
