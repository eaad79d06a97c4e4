/** `tscompose cp SERVICE:SRC DEST` and `cp SRC SERVICE:DEST`, as tar streams through the engine. */
import { createReadStream, statSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { extract, pack } from 'tar-fs';
import { pipeline } from 'node:stream/promises';
import { serviceContainer } from '../../src/engine/containers.js';
import { UserError } from '../../src/util/errors.js';
import type { GlobalOptions } from './global-options.js';
import { commandContext } from './context.js';

export async function cpCommand(src: string, dest: string, flags: GlobalOptions & { index?: string }): Promise<number> {
  const { project, runtime } = await commandContext(flags);
  const remote = (s: string): [string, string] | undefined => {
    const m = /^([a-zA-Z0-9][a-zA-Z0-9_.-]*):(.*)$/.exec(s);
    return m && !s.startsWith('/') && !s.startsWith('.') ? [m[1]!, m[2]!] : undefined;
  };
  const from = remote(src);
  const to = remote(dest);
  if (!!from === !!to) throw new UserError('cp: exactly one of SRC and DEST must be SERVICE:PATH');
  if (from) {
    const c = await serviceContainer(runtime, project.name, from[0], Number(flags.index ?? 1));
    const tar = await runtime.getArchive(c.id, from[1]);
    let target = resolve(dest);
    let rename: string | undefined;
    try {
      if (!statSync(target).isDirectory()) throw new Error();
    } catch {
      rename = basename(target);
      target = dirname(target);
    }
    const srcBase = basename(from[1]);
    await pipeline(tar, extract(target, rename ? { map: (h) => ({ ...h, name: h.name.replace(new RegExp(`^${srcBase.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`), rename!) }) } : {}));
  } else {
    const c = await serviceContainer(runtime, project.name, to![0], Number(flags.index ?? 1));
    const local = resolve(src);
    statSync(local);
    const tar = pack(dirname(local), { entries: [basename(local)] });
    await runtime.putArchive(c.id, to![1], tar as unknown as NodeJS.ReadableStream);
    void createReadStream;
  }
  return 0;
}
