/**
 * One debounced batch of changed host paths -> what to do (pure), as Compose's handleWatchBatch
 * decides it: every rule a path concerns adds its action; a service is rebuilt, synced, restarted
 * or exec'd at most once per batch, whatever the number of paths. Applied in this order: rebuilds,
 * syncs, restarts, execs (so a sync+restart restarts after its files are in place, and a sync+exec
 * runs its command on the synced files).
 */
import type { LifecycleHook } from '../../compose/types.js';
import type { PathMapping, WatchRule } from './rules.js';

export interface WatchPlan {
  /** Services to build and recreate, sorted. */
  rebuild: string[];
  /** Per service (sorted by name): the mappings to copy or delete, deduplicated by host path, sorted. */
  sync: Array<{ service: string; mappings: PathMapping[] }>;
  /** Services to restart after their sync, sorted. */
  restart: string[];
  /** Commands to run after the syncs: one per sync+exec rule that matched, in rule order. */
  exec: Array<{ service: string; index: number; hook: LifecycleHook }>;
}

export function planBatch(rules: readonly WatchRule[], paths: Iterable<string>): WatchPlan {
  const rebuild = new Set<string>();
  const restart = new Set<string>();
  const sync = new Map<string, Map<string, PathMapping>>();
  const exec = new Map<string, { service: string; index: number; hook: LifecycleHook }>();
  const addSync = (service: string, m: PathMapping): void => {
    let byPath = sync.get(service);
    if (!byPath) {
      byPath = new Map<string, PathMapping>();
      sync.set(service, byPath);
    }
    // Two rules of one service mapping the same file to two places both get it.
    byPath.set(`${m.hostPath}\0${m.containerPath ?? ''}`, m);
  };
  for (const p of new Set(paths)) {
    for (const rule of rules) {
      const m = rule.map(p);
      if (!m) continue;
      switch (rule.action) {
        case 'rebuild':
          rebuild.add(rule.service);
          break;
        case 'restart':
          restart.add(rule.service);
          break;
        case 'sync':
          addSync(rule.service, m);
          break;
        case 'sync+restart':
          addSync(rule.service, m);
          restart.add(rule.service);
          break;
        case 'sync+exec':
          addSync(rule.service, m);
          if (rule.exec) exec.set(`${rule.service}\0${rule.index}`, { service: rule.service, index: rule.index, hook: rule.exec });
          break;
      }
    }
  }
  return {
    rebuild: [...rebuild].sort(),
    sync: [...sync.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([service, byPath]) => ({ service, mappings: [...byPath.values()].sort((a, b) => a.hostPath.localeCompare(b.hostPath) || (a.containerPath ?? '').localeCompare(b.containerPath ?? '')) })),
    restart: [...restart].sort(),
    exec: [...exec.values()].sort((a, b) => a.service.localeCompare(b.service) || a.index - b.index),
  };
}

export function isEmptyPlan(p: WatchPlan): boolean {
  return !p.rebuild.length && !p.sync.length && !p.restart.length && !p.exec.length;
}

/** Go's %q of a string slice, as Compose prints service lists: ["a" "b"]. */
export function goQuoteList(xs: readonly string[]): string {
  return `[${xs.map((x) => JSON.stringify(x)).join(' ')}]`;
}

/** Compose's words for each step of a batch (pkg/compose/watch.go). */
export const WATCH_MESSAGES = {
  enabled: 'Watch enabled',
  disabled: 'Watch disabled',
  syncing: (service: string, n: number): string => `Syncing service ${JSON.stringify(service)} after ${n} changes were detected`,
  rebuilding: (services: readonly string[]): string => `Rebuilding service(s) ${goQuoteList(services)} after changes were detected...`,
  built: (services: readonly string[]): string => `service(s) ${goQuoteList(services)} successfully built`,
  restarted: (services: readonly string[]): string => `service(s) ${goQuoteList(services)} restarted`,
};
