import type { FileObjectView } from '../../src/swarm/api/views.js';
import { parseFileRefFlag } from '../../src/swarm/service-flags.js';
import type { TaskSpec } from '../../src/swarm/store/index.js';
import { UserError } from '../../src/util/errors.js';
import { readBoundedFile } from '../../src/util/read-bounded-file.js';
import { MAX_CONFIG_BYTES } from '../../src/swarm/store/index.js';
import { local, type SwarmGlobals } from './local.js';
import { printTable } from './table.js';

/** `tsswarm secret|config create|ls|inspect|rm`, and resolving `--secret`/`--config` flags. */

type Kind = 'secret' | 'config';

/**
 * A secret's or config's payload: a regular file or `-`, at most what the managers store
 * (MAX_CONFIG_BYTES, 500 KiB as Docker), checked here so nothing is sent that would be refused.
 */
export function readPayload(kind: Kind, file: string): Promise<Buffer> {
  return readBoundedFile(file, { what: `${kind} file`, maxBytes: MAX_CONFIG_BYTES, stdin: true, hint: 'give a file, or - to read standard input' });
}

/** The cluster's secrets or configs (never their data). */
export async function listFileObjects(g: SwarmGlobals, kind: Kind): Promise<FileObjectView[]> {
  return (await local<Record<string, FileObjectView[]>>(g, `/v1/${kind}s`))[`${kind}s`] ?? [];
}

export async function fileCreateCommand(g: SwarmGlobals, kind: Kind, name: string, file: string, o: { label: string[] }): Promise<void> {
  const data = await readPayload(kind, file);
  if (data.length === 0) throw new UserError(`${kind} ${name}: the data is empty`);
  const labels = Object.fromEntries(o.label.map((l) => [l.split('=')[0]!, l.slice(l.indexOf('=') + 1)]));
  const { id } = await local<{ id: string }>(g, `/v1/${kind}s`, { body: { name, labels, data: data.toString('base64') } });
  process.stdout.write(`${id}\n`);
}

export async function fileLsCommand(g: SwarmGlobals, kind: Kind, o: { quiet?: boolean; format?: string }): Promise<void> {
  const list = await listFileObjects(g, kind);
  if (o.format === 'json') return void process.stdout.write(JSON.stringify(list, null, 2) + '\n');
  if (o.quiet) return void process.stdout.write(list.map((s) => s.id + '\n').join(''));
  printTable([['ID', 'NAME', 'CREATED', 'USED BY'], ...list.map((s) => [s.id.slice(0, 12), s.name, new Date(s.createdAt).toISOString(), s.usedBy.join(', ')])]);
}

export async function fileInspectCommand(g: SwarmGlobals, kind: Kind, refs: string[]): Promise<void> {
  const out = [];
  for (const ref of refs) out.push((await local<Record<string, FileObjectView>>(g, `/v1/${kind}s/${encodeURIComponent(ref)}`))[kind]);
  process.stdout.write(JSON.stringify(out, null, 2) + '\n');
}

export async function fileRmCommand(g: SwarmGlobals, kind: Kind, refs: string[]): Promise<void> {
  for (const ref of refs) {
    await local(g, `/v1/${kind}s/${encodeURIComponent(ref)}`, { method: 'DELETE' });
    process.stdout.write(`${ref}\n`);
  }
}

/** `--secret`/`--config` flags -> references with ids, checked against the cluster's objects. */
export async function resolveFileRefs(g: SwarmGlobals, kind: Kind, flags: string[], flag: '--secret' | '--config' | '--secret-add' | '--config-add' = kind === 'secret' ? '--secret' : '--config'): Promise<TaskSpec['container']['secrets']> {
  if (flags.length === 0) return [];
  const parsed = flags.map((f) => parseFileRefFlag(flag, f));
  const list = await listFileObjects(g, kind);
  return parsed.map((p) => {
    const o = list.find((x) => x.name === p.source || x.id === p.source);
    if (!o) throw new UserError(`${flag} ${p.source}: no ${kind} of that name`, { hint: `create it with \`tsswarm ${kind} create ${p.source} FILE\`` });
    return { id: o.id, name: o.name, target: { name: p.target, uid: p.uid, gid: p.gid, mode: p.mode } };
  });
}
