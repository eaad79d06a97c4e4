/**
 * Shape validation of one file, in two layers, every issue a diagnostic at the offending value's
 * position, all of them at once:
 *
 * 1. the compose-spec JSON schema (spec-schema.ts, generated from the copy docker compose
 *    validates with): which keys exist where (unknown keys with "did you mean"), JSON types,
 *    enums, patterns, required keys, unique list items. A document passes this layer exactly when
 *    it passes compose's schema validation.
 * 2. our zod schema (schema.ts): finer checks with better messages (integers and booleans spelt
 *    as strings, enums the schema leaves open). Its findings at or below a path the first layer
 *    already reported are the same mistake and are dropped.
 */
import type { z } from 'zod';
import type { Diagnostics } from './diagnostics.js';
import { didYouMean } from './did-you-mean.js';
import { composeFileSchema } from './schema.js';
import { validateSpec, type SpecOptions } from './spec-schema.js';
import { formatPath, locate, type PathSeg, type Tree } from './tree.js';

export function validateFile(root: Tree, diags: Diagnostics, opts: SpecOptions = { casts: true }): void {
  const reported: string[] = [];
  for (const issue of validateSpec(root, opts)) {
    const key = String(issue.path[issue.path.length - 1]);
    const guess = issue.known ? didYouMean(key, issue.known) : undefined;
    diags.add(locate(root, issue.path), issue.path, issue.message, guess ? `did you mean "${guess}"?` : issue.hint);
    reported.push(formatPath(issue.path));
  }
  const r = composeFileSchema.safeParse(root);
  if (r.success) return;
  for (const issue of flatten(r.error.issues, [], root)) {
    const p = formatPath(issue.path);
    if (reported.some((q) => related(p, q) || related(q, p))) continue;
    report(root, issue, diags);
  }
}

/** `inner` is `outer` or lies below it. */
function related(inner: string, outer: string): boolean {
  return outer === '' || inner === outer || inner.startsWith(`${outer}.`) || inner.startsWith(`${outer}[`);
}

interface Flat {
  path: PathSeg[];
  message: string;
  code: string;
  expected?: string;
}

/** Unions report every branch; keep the branch that got furthest (the one the user meant). */
function flatten(issues: readonly z.core.$ZodIssue[], prefix: PathSeg[], root: Tree): Flat[] {
  const out: Flat[] = [];
  for (const iss of issues) {
    const path = [...prefix, ...(iss.path as PathSeg[])];
    if (iss.code === 'invalid_union' && iss.errors.length > 0) {
      const branches = iss.errors.map((b) => flatten(b, path, root));
      const score = (b: Flat[]) =>
        Math.max(...b.map((f) => f.path.length)) * 10 - b.length - (b.some((f) => f.code === 'invalid_type' && f.path.length === path.length) ? 5 : 0);
      branches.sort((a, b) => score(b) - score(a));
      const best = branches[0]!;
      const deepest = Math.max(...best.map((f) => f.path.length));
      if (deepest === path.length) {
        const expected = [...new Set(branches.flat().filter((f) => f.code === 'invalid_type').map((f) => f.expected ?? ''))].filter(Boolean);
        out.push({ path, code: 'invalid_type', message: expected.length ? `must be ${expected.map(article).join(' or ')}` : best[0]!.message });
      } else out.push(...best);
      continue;
    }
    const f: Flat = { path, message: iss.message, code: iss.code };
    if (iss.code === 'invalid_type') f.expected = iss.expected;
    out.push(f);
  }
  return out;
}

function article(t: string): string {
  const names: Record<string, string> = {
    string: 'a string',
    number: 'a number',
    boolean: 'a boolean',
    object: 'a mapping',
    array: 'a list',
    null: 'null',
    record: 'a mapping',
  };
  return names[t] ?? t;
}

function report(root: Tree, f: Flat, diags: Diagnostics): void {
  const pos = locate(root, f.path);
  let message = f.message;
  if (f.code === 'invalid_type' && valueAt(root, f.path) === undefined) message = 'is required';
  else if (f.code === 'invalid_type' && f.expected) message = `must be ${article(f.expected)}`;
  else if (f.code === 'invalid_value') message = message.replace(/^Invalid option: expected one of/, 'must be one of');
  diags.add(pos, f.path, message);
}

function valueAt(root: unknown, path: readonly PathSeg[]): unknown {
  let cur = root;
  for (const seg of path) {
    if (typeof cur !== 'object' || cur === null) return undefined;
    cur = (cur as Record<PathSeg, unknown>)[seg];
  }
  return cur;
}
