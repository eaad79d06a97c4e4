import type { LoadOptions, Project } from './types.js';

/** Loads, interpolates, merges, validates and normalizes a compose project. */
export async function loadProject(options: LoadOptions): Promise<Project> {
  void options;
  throw new Error('loadProject: being implemented');
}
