/**
 * Docker Compose's labels and object names, spelled exactly as Compose v2 spells them, so `docker
 * compose ps`, `docker ps --filter label=...` and tscompose all see the same project.
 */
export const LABEL = {
  project: 'com.docker.compose.project',
  service: 'com.docker.compose.service',
  number: 'com.docker.compose.container-number',
  oneoff: 'com.docker.compose.oneoff',
  configHash: 'com.docker.compose.config-hash',
  workingDir: 'com.docker.compose.project.working_dir',
  configFiles: 'com.docker.compose.project.config_files',
  environmentFile: 'com.docker.compose.project.environment_file',
  dependsOn: 'com.docker.compose.depends_on',
  image: 'com.docker.compose.image',
  version: 'com.docker.compose.version',
  network: 'com.docker.compose.network',
  volume: 'com.docker.compose.volume',
  replace: 'com.docker.compose.replace',
  /** On a pre_start hook's container (value `pre_start`): not a service container; `down` removes it. */
  hook: 'com.docker.compose.hook',
  /**
   * Ours, not Compose's: a JSON object of short hashes per service key (config-hash.ts), so a plan
   * can say which keys changed. Containers without it (older ones, other tools') say only that the
   * config hash changed.
   */
  configHashFields: 'dev.tscompose.config-hash-fields',
} as const;

/** The Compose version we write into labels: the API-compatible Compose v2 release we follow. */
export const COMPOSE_VERSION = '2.24.0';

/** `<project>-<service>-<n>` (Compose v2's separator). */
export function containerName(project: string, service: string, n: number): string {
  return `${project}-${service}-${n}`;
}

/** `<project>-<service>-run-<id>` for one-off containers. */
export function oneOffName(project: string, service: string, id: string): string {
  return `${project}-${service}-run-${id}`;
}

export function projectFilter(project: string): Record<string, string> {
  return { [LABEL.project]: project };
}
