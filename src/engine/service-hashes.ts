/** The config hash each service's containers carry (`config --hash`), computed exactly as `up` does. */
import type { Project } from '../compose/types.js';
import { serviceConfigHash } from './config-hash.js';
import { contentDigests, serviceDigests } from './content-digest.js';
import { withShareableIpc } from './container-spec.js';

export async function serviceHashes(project: Project, names: string[], env: Record<string, string | undefined>): Promise<Array<[string, string]>> {
  const digests = await contentDigests(project, names, env);
  return names.map((name) => {
    const svc = withShareableIpc(project, project.services[name]!);
    return [name, serviceConfigHash(svc, serviceDigests(svc, digests))];
  });
}
