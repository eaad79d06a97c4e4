/**
 * Compose model entry point: `loadProject` turns compose files into the canonical {@link Project}.
 * Pure apart from the injected reader; every user mistake is a DiagnosticError.
 */
export type * from './types.js';
export { loadProject } from './load.js';
export { loadProjectFromCli, type CliGlobals } from './cli-load.js';
export { NodeFileReader } from './node-reader.js';
export { RecordingFileReader, type ReaderAccess } from './recording-reader.js';
export { formatDuration, parseDuration, parseBytes } from './units.js';
