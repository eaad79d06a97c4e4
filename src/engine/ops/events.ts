/** `events`: the project's container events as they happen, filtered to its (non one-off) services. */
import type { ContainerRuntime } from '../../runtime/runtime.js';
import { LABEL } from '../labels.js';
import type { Scope } from './scope.js';

export interface ComposeEvent {
  /** Nanoseconds since the epoch. */
  timeNano: number;
  service: string;
  id: string;
  action: string;
  /** Engine attributes without Compose's own labels (as Compose prints them). */
  attributes: Record<string, string>;
}

export interface EventsOptions {
  services: string[];
  /** Unix seconds. */
  since?: number;
  until?: number;
  signal?: AbortSignal;
}

export async function eventsCommand(runtime: ContainerRuntime, scope: Scope, opts: EventsOptions, emit: (e: ComposeEvent) => void): Promise<void> {
  const stream = runtime.events({
    labels: { [LABEL.project]: scope.name },
    types: ['container'],
    ...(opts.since !== undefined ? { since: Math.floor(opts.since) } : {}),
    ...(opts.until !== undefined ? { until: Math.ceil(opts.until) } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  for await (const e of stream) {
    if (e.type !== 'container' || e.attributes[LABEL.oneoff] === 'True') continue;
    const service = e.attributes[LABEL.service] ?? '';
    if (opts.services.length && !opts.services.includes(service)) continue;
    const attributes: Record<string, string> = {};
    for (const [k, v] of Object.entries(e.attributes)) if (!k.startsWith('com.docker.compose.')) attributes[k] = v;
    emit({ timeNano: e.timeNano, service, id: e.id, action: e.action, attributes });
  }
}

/** Compose's text line: "2006-01-02 15:04:05.000000 container ACTION ID (k=v, ...)" in local time. */
export function formatEvent(e: ComposeEvent): string {
  const d = new Date(Math.floor(e.timeNano / 1e6));
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  const micros = Math.floor((e.timeNano % 1e9) / 1e3);
  const t = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(micros, 6)}`;
  const attrs = Object.entries(e.attributes)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
  return `${t} container ${e.action} ${e.id} (${attrs})`;
}

/** Compose's --json object. */
export function eventJson(e: ComposeEvent): Record<string, unknown> {
  return { time: new Date(Math.floor(e.timeNano / 1e6)).toISOString(), type: 'container', service: e.service, id: e.id, action: e.action, attributes: e.attributes };
}
