/**
 * A small seeded PRNG (mulberry32) so that one seed number reproduces a whole simulation. Every
 * random choice in the simulator, and the randomness injected into each core, comes from here.
 */
export class Prng {
  private s: number;
  constructor(seed: number) {
    this.s = (seed ^ 0x9e3779b9) >>> 0;
    // Warm up so that neighbouring seeds diverge immediately.
    for (let i = 0; i < 4; i++) this.next();
  }
  /** Uniform in [0, 1). */
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** Integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(xs: readonly T[]): T {
    if (xs.length === 0) throw new Error('prng: pick from empty list');
    return xs[Math.floor(this.next() * xs.length)]!;
  }
  /** A child generator: its stream does not depend on how much the parent is used later. */
  fork(): Prng {
    return new Prng(Math.floor(this.next() * 0xffffffff));
  }
}
