/** Project names as Compose accepts them: lowercase letters, digits, `_` and `-`, starting with a letter or digit. */

const VALID = /^[a-z0-9][a-z0-9_-]*$/;

export function isValidProjectName(name: string): boolean {
  return VALID.test(name);
}

/** Derives a name from a directory name: lowercased, other characters dropped (like Compose). */
export function normalizeProjectName(raw: string): string {
  return raw
    .toLowerCase()
    .replace(/[^a-z0-9_-]/g, '')
    .replace(/^[^a-z0-9]+/, '');
}
