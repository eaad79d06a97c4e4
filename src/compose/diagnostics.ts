import { DiagnosticError, type Diagnostic } from '../util/errors.js';
import { formatPath, type PathSeg, type Pos } from './tree.js';

/** Collects every problem of a phase so the user sees them all at once. */
export class Diagnostics {
  readonly list: Diagnostic[] = [];

  add(pos: Pos | undefined, path: readonly PathSeg[] | string | undefined, message: string, hint?: string): void {
    const d: Diagnostic = { message };
    if (pos) {
      d.file = pos.file;
      d.line = pos.line;
      d.col = pos.col;
    }
    const p = typeof path === 'string' ? path : path ? formatPath(path) : '';
    if (p) d.path = p;
    if (hint) d.hint = hint;
    if (!this.list.some((x) => x.file === d.file && x.line === d.line && x.col === d.col && x.path === d.path && x.message === d.message)) {
      this.list.push(d);
    }
  }

  get empty(): boolean {
    return this.list.length === 0;
  }

  /** Throws when anything was collected; call at the end of a phase. */
  throwIfAny(): void {
    if (this.list.length === 0) return;
    const sorted = [...this.list].sort(
      (a, b) => (a.file ?? '').localeCompare(b.file ?? '') || (a.line ?? 0) - (b.line ?? 0) || (a.col ?? 0) - (b.col ?? 0),
    );
    throw new DiagnosticError(sorted);
  }
}

/** One-off error at a position. */
export function fail(pos: Pos | undefined, path: readonly PathSeg[] | string | undefined, message: string, hint?: string): never {
  const d = new Diagnostics();
  d.add(pos, path, message, hint);
  d.throwIfAny();
  throw new Error('unreachable');
}
