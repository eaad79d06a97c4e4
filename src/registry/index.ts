/** Registry client-side concepts: references, credentials as the Docker CLI stores them, failure messages. */
export { authConfigKey, DOCKER_HUB, DOCKER_HUB_AUTH_KEY, familiarName, formatReference, parseReference, withDigest, type ImageReference } from './reference.js';
export { dockerConfigPath, loadRegistryAuth, readDockerConfig, type LoadAuthOptions, type RegistryAuth, type RegistryAuthLookup } from './credentials.js';
export { describeRegistryError, registryFailureKind, type RegistryFailureKind, type RegistryOp } from './errors.js';
