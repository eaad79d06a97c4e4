/** `commit`: an image made from a service container's changes, as `docker compose commit`. */
import type { ContainerRuntime } from '../../runtime/runtime.js';
import type { CommitSpec } from '../../runtime/types.js';
import { parseReference } from '../../registry/reference.js';
import { UserError } from '../../util/errors.js';
import type { ProgressSink } from '../progress.js';
import type { Scope } from './scope.js';
import { selectOne } from './select-containers.js';

export interface CommitOptions {
  service: string;
  /** `REPOSITORY[:TAG]`; none makes an untagged image. */
  reference?: string;
  index?: number;
  author?: string;
  message?: string;
  /** Dockerfile instructions (`-c/--change`, repeatable). */
  changes?: readonly string[];
  pause: boolean;
}

/**
 * Splits `REPOSITORY[:TAG]` for the engine after checking it as the engine would (a digest is
 * refused: an image is committed under a tag). The repository is kept as the user wrote it.
 */
export function commitReference(ref: string): { repo: string; tag?: string } {
  const parsed = parseReference(ref);
  if (parsed.digest !== undefined) {
    throw new UserError(`invalid reference "${ref}": commit tags the new image, it cannot name a digest`, { code: 'invalid', hint: 'give REPOSITORY[:TAG], e.g. myapp/web:debug' });
  }
  if (parsed.tag === undefined) return { repo: ref };
  return { repo: ref.slice(0, ref.length - parsed.tag.length - 1), tag: parsed.tag };
}

/**
 * Commits the service's container (the lowest-numbered one, or `--index`; stopped ones too, as
 * the engine allows) and resolves with the new image id. One-off containers are left out.
 */
export async function commitCommand(runtime: ContainerRuntime, scope: Scope, opts: CommitOptions, progress: ProgressSink): Promise<string> {
  const ref = opts.reference !== undefined ? commitReference(opts.reference) : undefined;
  const c = await selectOne(runtime, scope, opts.service, { ...(opts.index !== undefined ? { index: opts.index } : {}) });
  const spec: CommitSpec = {
    ...(ref ? { repo: ref.repo, ...(ref.tag !== undefined ? { tag: ref.tag } : {}) } : {}),
    ...(opts.author !== undefined ? { author: opts.author } : {}),
    ...(opts.message !== undefined ? { comment: opts.message } : {}),
    ...(opts.changes?.length ? { changes: [...opts.changes] } : {}),
    pause: opts.pause,
  };
  const resource = `Container ${c.name}`;
  progress({ resource, text: 'Committing', status: 'working' });
  try {
    const id = await runtime.commitContainer(c.id, spec);
    progress({ resource, text: 'Committed', status: 'done', detail: id });
    return id;
  } catch (e) {
    progress({ resource, text: 'Error', status: 'error', detail: e instanceof Error ? e.message : String(e) });
    throw e;
  }
}
