/**
 * The runtime core: the only code that speaks to a container engine. Free of compose concepts so the
 * tsswarm agent can share it.
 */
export type * from './types.js';
export type { ContainerRuntime } from './runtime.js';
export { RuntimeError, isRuntimeError, isEngineNotFound, isEngineConflict, isUnreachable, isEngineTimeout, isPortAllocated, type RuntimeErrorKind } from './errors.js';
export { DockerRuntime } from './docker/docker-runtime.js';
export { resolveEndpoint, type EngineEndpoint } from './docker/connection.js';
