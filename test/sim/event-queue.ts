/** The simulator's agenda: events ordered by virtual time, ties broken by insertion order. */

interface Event {
  t: number;
  seq: number;
  fn: () => void;
}

/** Binary min-heap on (t, seq): deterministic order for simultaneous events. */
export class EventQueue {
  private h: Event[] = [];
  private seq = 0;
  push(t: number, fn: () => void): void {
    const e: Event = { t, seq: this.seq++, fn };
    const h = this.h;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (less(h[p]!, h[i]!)) break;
      [h[p], h[i]] = [h[i]!, h[p]!];
      i = p;
    }
  }
  /** Time of the next event (Infinity if none). */
  peekTime(): number {
    return this.h[0]?.t ?? Number.POSITIVE_INFINITY;
  }
  pop(): Event | undefined {
    const h = this.h;
    if (h.length === 0) return undefined;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && less(h[l]!, h[m]!)) m = l;
        if (r < h.length && less(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[m], h[i]] = [h[i]!, h[m]!];
        i = m;
      }
    }
    return top;
  }
  get size(): number {
    return this.h.length;
  }
}

function less(a: Event, b: Event): boolean {
  return a.t < b.t || (a.t === b.t && a.seq < b.seq);
}
