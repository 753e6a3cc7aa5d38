/**
 * A small seeded pseudo-random generator (mulberry32): the same seed gives the same numbers on every machine,
 * so a soak's fault schedule and its clients' choice of targets can be run again exactly.
 */
export class SeededRandom {
  private state: number;

  constructor(readonly seed: number) {
    this.state = seed >>> 0;
  }

  /** A number in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** A number in [min, max). */
  between(min: number, max: number): number {
    return min + this.next() * (max - min);
  }

  /** The items in a random order (Fisher–Yates), as a new array. */
  shuffle<T>(items: readonly T[]): T[] {
    const out = [...items];
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
    return out;
  }

  /** A second generator whose numbers do not depend on how many this one has given out. */
  fork(salt: number): SeededRandom {
    return new SeededRandom((Math.imul(this.seed ^ salt, 0x9e3779b1) + salt) >>> 0);
  }
}

/** A seed for a run that was given none. */
export function randomSeed(): number {
  return Math.floor(Math.random() * 2 ** 31);
}
