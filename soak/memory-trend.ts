/**
 * When does a process's memory "keep growing"? A test on its RSS samples, made to ignore the warm-up and the
 * steps of a garbage-collected heap: the first third of its samples is left out; it grows when the median of
 * the last third is more than `growthPercent` above the median of the middle third AND a least-squares line
 * through the last two thirds still rises. A process sampled for less than `minSpan` ms is not judged.
 */

export interface RssSample {
  /** ms since the load started. */
  at: number;
  /** bytes */
  rss: number;
}

export interface TrendOptions {
  growthPercent: number;
  minSpan: number;
  /** Fewer samples than this are not judged either. */
  minSamples: number;
}

export const DEFAULT_TREND: TrendOptions = { growthPercent: 10, minSpan: 60_000, minSamples: 15 };

export type TrendVerdict =
  | { judged: false; reason: string }
  | {
      judged: true;
      growing: boolean;
      middleMedian: number;
      lastMedian: number;
      /** bytes per minute over the last two thirds */
      slope: number;
    };

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The least-squares slope of rss over time, in bytes per minute. */
export function slopePerMinute(samples: readonly RssSample[]): number {
  const n = samples.length;
  if (n < 2) return 0;
  let sx = 0;
  let sy = 0;
  for (const s of samples) {
    sx += s.at;
    sy += s.rss;
  }
  const mx = sx / n;
  const my = sy / n;
  let num = 0;
  let den = 0;
  for (const s of samples) {
    num += (s.at - mx) * (s.rss - my);
    den += (s.at - mx) ** 2;
  }
  return den === 0 ? 0 : (num / den) * 60_000;
}

export function memoryTrend(samples: readonly RssSample[], options: TrendOptions = DEFAULT_TREND): TrendVerdict {
  if (samples.length < options.minSamples) {
    return { judged: false, reason: `${samples.length} samples (needs ${options.minSamples})` };
  }
  const span = samples.at(-1)!.at - samples[0]!.at;
  if (span < options.minSpan) {
    return { judged: false, reason: `sampled for ${Math.round(span / 1000)} s (needs ${options.minSpan / 1000})` };
  }
  const start = samples[0]!.at;
  const third = span / 3;
  const middle = samples.filter((s) => s.at - start >= third && s.at - start < 2 * third);
  const last = samples.filter((s) => s.at - start >= 2 * third);
  const middleMedian = median(middle.map((s) => s.rss));
  const lastMedian = median(last.map((s) => s.rss));
  const slope = slopePerMinute([...middle, ...last]);
  const growing = lastMedian > middleMedian * (1 + options.growthPercent / 100) && slope > 0;
  return { judged: true, growing, middleMedian, lastMedian, slope };
}
