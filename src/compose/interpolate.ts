/**
 * Interpolation over a whole file tree: every string value (never a key) goes through
 * {@link substitute}. All failures of a file are collected with the value's position.
 */
import { Diagnostics } from './diagnostics.js';
import { substitute, TemplateError, type Lookup } from './template.js';
import { isTree, keyPos, type PathSeg, type Tree } from './tree.js';

export function interpolateTree(root: Tree, lookup: Lookup, diags: Diagnostics, missing?: (name: string) => void): void {
  walk(root, [], lookup, diags, missing);
}

function walk(container: Tree | unknown[], path: PathSeg[], lookup: Lookup, diags: Diagnostics, missing?: (name: string) => void): void {
  // The path is only built for a diagnostic or a descent (one array per node was most of this walk).
  const keys: PathSeg[] = Array.isArray(container) ? Array.from(container.keys()) : Object.keys(container);
  const c = container as Record<PathSeg, unknown>;
  for (const k of keys) {
    const v = c[k];
    if (typeof v === 'string') {
      try {
        c[k] = substitute(v, lookup, missing);
      } catch (e) {
        if (!(e instanceof TemplateError)) throw e;
        diags.add(keyPos(container, k), [...path, k], e.message, e.kind === 'missing' ? `set ${e.variable} in the environment or in .env` : 'use $$ for a literal $');
      }
    } else if (Array.isArray(v) || isTree(v)) {
      walk(v, [...path, k], lookup, diags, missing);
    }
  }
}
