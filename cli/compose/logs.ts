import { projectContainers } from '../../src/engine/containers.js';
import { streamLogs } from '../../src/engine/logs.js';
import { UserError } from '../../src/util/errors.js';
import type { GlobalOptions } from './global-options.js';
import { commandContext, prefixer } from './context.js';

/** RFC3339, unix seconds, or a relative duration (10s, 5m, 2h) -> unix seconds. */
export function parseTime(v: string, now = Date.now()): number {
  const rel = /^(\d+(?:\.\d+)?)(s|m|h)$/.exec(v);
  if (rel) return Math.floor((now - Number(rel[1]) * { s: 1e3, m: 6e4, h: 36e5 }[rel[2] as 's']) / 1000);
  if (/^\d+(\.\d+)?$/.test(v)) return Math.floor(Number(v));
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw new UserError(`invalid time ${v}: use RFC3339, unix seconds or a duration like 10m`);
  return Math.floor(t / 1000);
}

export async function logsCommand(services: string[], flags: GlobalOptions & { follow?: boolean; tail?: string; since?: string; until?: string; timestamps?: boolean; logPrefix?: boolean; color?: boolean; index?: string }): Promise<number> {
  const { project, runtime } = await commandContext(flags);
  let list = await projectContainers(runtime, project.name, { services, all: true });
  if (flags.index) list = list.filter((c) => c.number === Number(flags.index));
  const names = list.map((c) => `${c.service}-${c.number}`);
  const prefix = prefixer(names, process.stdout.isTTY === true && flags.color !== false);
  const abort = new AbortController();
  process.once('SIGINT', () => abort.abort());
  await streamLogs(
    runtime,
    list.map((c, i) => ({ id: c.id, name: names[i]! })),
    {
      follow: flags.follow ?? false,
      tail: flags.tail === undefined || flags.tail === 'all' ? 'all' : Number(flags.tail),
      ...(flags.since ? { since: parseTime(flags.since) } : {}),
      ...(flags.until ? { until: parseTime(flags.until) } : {}),
      ...(flags.timestamps ? { timestamps: true } : {}),
      signal: abort.signal,
    },
    (src, line) => {
      const out = line.stream === 'stderr' ? process.stderr : process.stdout;
      out.write(`${flags.logPrefix === false ? '' : prefix(src.name)}${line.text}\n`);
    },
  );
  return 0;
}
