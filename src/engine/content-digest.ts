/**
 * Digests of the content behind the secrets and configs services mount: the file (or directory
 * tree), the environment value, or the inline content. They are folded into each service's config
 * hash so `up` recreates exactly the services whose secret or config changed. Only digests leave
 * this module, never content.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Project, ServiceConfig } from '../compose/types.js';

/** `secrets/<name>` or `configs/<name>` -> sha256 hex of what the service would see. */
export type ContentDigests = Record<string, string>;

/** The digests for every secret and config the given services reference. Unreadable files digest as `missing`. */
export async function contentDigests(project: Project, services: string[], env: Record<string, string | undefined>): Promise<ContentDigests> {
  const out: ContentDigests = {};
  const jobs: Array<Promise<void>> = [];
  for (const name of services) {
    const svc = project.services[name];
    if (!svc) continue;
    for (const [kind, refs] of [['secrets', svc.secrets], ['configs', svc.configs]] as const) {
      for (const ref of refs) {
        const key = `${kind}/${ref.source}`;
        const def = (kind === 'secrets' ? project.secrets : project.configs)[ref.source];
        if (key in out || !def || def.external) continue;
        if (def.file) {
          out[key] = 'missing';
          jobs.push(digestPath(def.file).then((d) => { out[key] = d; }, () => undefined));
        } else if (def.content !== undefined) {
          out[key] = sha256(def.content);
        } else if (def.environment) {
          out[key] = sha256(project.environment[def.environment] ?? env[def.environment] ?? '');
        }
      }
    }
  }
  await Promise.all(jobs);
  return out;
}

/** The digests one service's config hash folds in, from the project-wide map. */
export function serviceDigests(svc: ServiceConfig, all: ContentDigests | undefined): ContentDigests {
  const out: ContentDigests = {};
  if (!all) return out;
  for (const ref of svc.secrets) if (all[`secrets/${ref.source}`] !== undefined) out[`secrets/${ref.source}`] = all[`secrets/${ref.source}`]!;
  for (const ref of svc.configs) if (all[`configs/${ref.source}`] !== undefined) out[`configs/${ref.source}`] = all[`configs/${ref.source}`]!;
  return out;
}

export function sha256(s: string | Buffer): string {
  return createHash('sha256').update(s).digest('hex');
}

/** A file's digest, or a directory's: names and contents of its tree, sorted. */
export async function digestPath(path: string): Promise<string> {
  const st = await stat(path);
  // A FIFO or device (a secret `file:` pointing at one) is bind-mounted as it is; reading it to
  // hash it would wait forever (a FIFO) or never end (/dev/zero): its identity stands for it.
  if (!st.isDirectory() && !st.isFile()) return sha256(`special:${st.dev}:${st.ino}:${st.mode}`);
  if (!st.isDirectory()) return sha256(await readFile(path));
  const h = createHash('sha256');
  const walk = async (dir: string, rel: string): Promise<void> => {
    const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name));
    for (const e of entries) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        h.update(`d:${r}\0`);
        await walk(join(dir, e.name), r);
      } else {
        h.update(`f:${r}\0`);
        h.update(e.isFile() ? await readFile(join(dir, e.name)).catch(() => Buffer.from('unreadable')) : Buffer.from(`special:${e.name}`));
        h.update('\0');
      }
    }
  };
  await walk(path, '');
  return h.digest('hex');
}
