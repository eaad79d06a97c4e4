/** What `up` (and `create`, `run`) asks the planner for, beyond the project and what the engine holds. */
import type { ContentDigests } from '../content-digest.js';

export interface UpPlanOptions {
  /** Services to converge (already including dependencies unless --no-deps). Default: all. */
  services?: string[];
  /**
   * The services named on the command line (without the dependencies `up` added). The others in
   * `services` are dependencies, which `--always-recreate-deps` recreates. Default: all are named.
   */
  targets?: string[];
  scale?: Record<string, number>;
  forceRecreate?: boolean;
  noRecreate?: boolean;
  /** --always-recreate-deps: the dependencies of the named services are recreated even if unchanged. */
  recreateDependencies?: boolean;
  /**
   * -V, --renew-anon-volumes: the named services are recreated, and every container this plan
   * recreates gets new anonymous volumes instead of the replaced container's (which are kept,
   * labelled, for `down -v`).
   */
  renewAnonVolumes?: boolean;
  noStart?: boolean;
  removeOrphans?: boolean;
  /** Seconds for stop during recreate/scale-down. */
  timeout?: number;
  /** Current image id per service (from the image store), to recreate containers on a new image. */
  imageIds?: Record<string, string>;
  /** Environment for secrets/configs from `environment:`. */
  env?: Record<string, string | undefined>;
  /** Project state directory: content/environment secrets are written there and bind-mounted. */
  stateDir?: string;
  /** Digests of the secrets' and configs' content (content-digest.ts), folded into config hashes. */
  contentDigests?: ContentDigests;
  /** Paths each service's image declares as VOLUME: mounted as labelled anonymous volumes. */
  imageVolumes?: Record<string, string[]>;
}
