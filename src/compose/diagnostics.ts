import { DiagnosticError, type Diagnostic } from '../util/errors.js';
import { formatPath, type PathSeg, type Pos } from './tree.js';

/** Collects every problem of a phase so the user sees them all at once. */
export class Diagnostics {
  readonly list: Diagnostic[] = [];
  /** Notices that are no errors (the loader adds them to Project.warnings). */
  readonly warnings: string[] = [];

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

/** `inner` is `outer` or lies below it (`services.web` ~ `services.web.ports[0]`). */
function related(inner: string, outer: string): boolean {
  return inner === outer || inner.startsWith(`${outer}.`) || inner.startsWith(`${outer}[`);
}

/**
 * Diagnostics carried across phases, so one run reports every problem of a file: a phase that
 * finds problems does not stop the later ones. A later phase's finding at (or below) a path an
 * earlier phase already reported, or above it (services.b after services.b.extends), is dropped:
 * it is the same mistake seen again, or its consequence. A later phase that
 * trips over input an earlier phase already rejected (a crash on a broken subtree) ends the run
 * with what was found so far.
 */
export class CarriedDiagnostics {
  readonly list: Diagnostic[] = [];

  get empty(): boolean {
    return this.list.length === 0;
  }

  /** Takes over a phase's findings. */
  absorb(d: Diagnostics | readonly Diagnostic[]): void {
    const incoming = d instanceof Diagnostics ? d.list : d;
    const before = [...this.list];
    for (const x of incoming) {
      const seen = before.some((b) => b.path !== undefined && x.path !== undefined && (related(x.path, b.path) || related(b.path, x.path)));
      const dup = this.list.some((b) => b.file === x.file && b.line === x.line && b.col === x.col && b.path === x.path && b.message === x.message);
      if (!seen && !dup) this.list.push(x);
    }
  }

  /**
   * Runs a later phase. Its DiagnosticError is absorbed; any other failure is re-thrown only when
   * nothing was found before (then it is a bug, not a consequence of bad input). Returns false when
   * the phase crashed on input already reported, and the run cannot go on.
   */
  async phase(run: () => void | Promise<void>, pending?: Diagnostics): Promise<boolean> {
    try {
      await run();
      return true;
    } catch (e) {
      if (e instanceof DiagnosticError) {
        this.absorb(e.diagnostics);
        return true;
      }
      if (pending) this.absorb(pending);
      if (this.empty) throw e;
      return false;
    }
  }

  throwIfAny(): void {
    if (this.list.length === 0) return;
    const d = new Diagnostics();
    d.list.push(...this.list);
    d.throwIfAny();
  }
}
