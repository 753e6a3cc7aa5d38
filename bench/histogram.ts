/** Bucket width ratio: each bucket is 2% wider than the one before, so percentiles are within about 1%. */
const GROWTH = 1.02;
const LOG_GROWTH = Math.log(GROWTH);
/** Enough buckets for 100 s in microseconds. */
const BUCKETS = Math.ceil(Math.log(1e8) / LOG_GROWTH) + 1;

/**
 * A latency histogram in microseconds with logarithmic buckets: fixed memory however many samples, cheap to
 * record on the hot path, and mergeable across load-generator processes (it travels as a plain array).
 */
export class Histogram {
  readonly counts: Float64Array;
  count = 0;
  max = 0;

  constructor() {
    this.counts = new Float64Array(BUCKETS);
  }

  record(micros: number): void {
    const v = micros < 1 ? 1 : micros;
    const i = Math.min(BUCKETS - 1, Math.floor(Math.log(v) / LOG_GROWTH));
    this.counts[i]!++;
    this.count++;
    if (v > this.max) this.max = v;
  }

  /** Adds another histogram's samples to this one. */
  merge(other: Histogram): void {
    for (let i = 0; i < BUCKETS; i++) this.counts[i]! += other.counts[i]!;
    this.count += other.count;
    if (other.max > this.max) this.max = other.max;
  }

  /** The value below which `p` (0..1) of the samples fall, in microseconds; NaN without samples. */
  percentile(p: number): number {
    if (this.count === 0) return NaN;
    const rank = Math.max(1, Math.ceil(p * this.count));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i]!;
      // The bucket's geometric middle (within 1% of any value in it), never above the largest value seen.
      if (seen >= rank) return Math.min(this.max, GROWTH ** (i + 0.5));
    }
    return this.max;
  }

  /** A compact form for IPC and JSON: only the non-empty buckets. */
  toJSON(): { buckets: [number, number][]; max: number } {
    const buckets: [number, number][] = [];
    this.counts.forEach((c, i) => c > 0 && buckets.push([i, c]));
    return { buckets, max: this.max };
  }

  static fromJSON(data: { buckets: [number, number][]; max: number }): Histogram {
    const h = new Histogram();
    for (const [i, c] of data.buckets) {
      h.counts[i]! += c;
      h.count += c;
    }
    h.max = data.max;
    return h;
  }
}

/** A histogram as it travels over IPC and into the JSON. */
export type HistogramData = ReturnType<Histogram['toJSON']>;
