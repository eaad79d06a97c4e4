/** `images`: the images the project's containers were created from. */
import type { ContainerRuntime } from '../../runtime/runtime.js';
import type { ImageInfo } from '../../runtime/types.js';
import type { Scope } from './scope.js';
import { selectContainers } from './select-containers.js';

export interface ContainerImage {
  container: string;
  repository: string;
  tag: string;
  /** Full id ("sha256:..."). */
  id: string;
  size: number;
  /** Unix seconds. */
  created: number;
}

export async function imagesCommand(runtime: ContainerRuntime, scope: Scope, services: string[]): Promise<ContainerImage[]> {
  const containers = await selectContainers(runtime, scope, { services });
  const cache = new Map<string, Promise<ImageInfo | undefined>>();
  const inspect = (id: string) => {
    if (!cache.has(id)) cache.set(id, runtime.inspectImage(id).catch(() => undefined));
    return cache.get(id)!;
  };
  const out: ContainerImage[] = [];
  for (const c of containers) {
    const img = await inspect(c.imageId);
    // The tag the container was created with, when the image still carries it; else its first.
    const ref = img?.tags.find((t) => t === c.image || t === `${c.image}:latest`) ?? img?.tags[0] ?? c.image;
    const { repository, tag } = splitRef(ref);
    out.push({ container: c.name, repository, tag, id: c.imageId, size: img?.size ?? 0, created: img?.created ?? 0 });
  }
  return out;
}

export function splitRef(ref: string): { repository: string; tag: string } {
  if (ref.startsWith('sha256:')) return { repository: '<none>', tag: '<none>' };
  const at = ref.indexOf('@');
  const base = at >= 0 ? ref.slice(0, at) : ref;
  const colon = base.lastIndexOf(':');
  if (colon > base.lastIndexOf('/')) return { repository: base.slice(0, colon), tag: base.slice(colon + 1) };
  return { repository: base, tag: at >= 0 ? '<none>' : 'latest' };
}

/** Docker's human sizes (decimal units, 3 significant digits): "1.98MB". */
export function humanSize(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let v = bytes;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${Number(v.toPrecision(3))}${units[i]}`;
}
