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
  warmUp: number;
  minSpan: number;
  /** Fewer samples than this are not judged either. */
  minSamples: number;
}

export const DEFAULT_TREND: TrendOptions = { growthPercent: 10, warmUp: 60_000, minSpan: 120_000, minSamples: 15 };

export type TrendVerdict =
  | { judged: false; reason: string }
  | {
      judged: true;
      growing: boolean;
      /** medians of the first and the second half after the warm-up */
      firstMedian: number;
      secondMedian: number;
      /** bytes per minute after the warm-up */
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

export function memoryTrend(all: readonly RssSample[], options: TrendOptions = DEFAULT_TREND): TrendVerdict {
  const born = all[0]?.at ?? 0;
  const samples = all.filter((s) => s.at - born >= options.warmUp);
  const span = samples.length ? samples.at(-1)!.at - samples[0]!.at : 0;
  if (span < options.minSpan) {
    const lived = all.length ? Math.round((all.at(-1)!.at - born) / 1000) : 0;
    return { judged: false, reason: `sampled for ${lived} s (needs ${(options.warmUp + options.minSpan) / 1000})` };
  }
  if (samples.length < options.minSamples) {
    return { judged: false, reason: `${samples.length} samples after warm-up (needs ${options.minSamples})` };
  }
  const middle = samples[0]!.at + span / 2;
  const firstMedian = median(samples.filter((s) => s.at < middle).map((s) => s.rss));
  const secondMedian = median(samples.filter((s) => s.at >= middle).map((s) => s.rss));
  const slope = slopePerMinute(samples);
  const growing = secondMedian > firstMedian * (1 + options.growthPercent / 100) && slope > 0;
  return { judged: true, growing, firstMedian, secondMedian, slope };
}
