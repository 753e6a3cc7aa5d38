const performanceNow = () => performance.now();

/**
 * A token bucket per client: `perSecond` messages on average, bursts up to `burst`. Refilled lazily on use,
 * so idle clients cost no timer.
 */
export class RateLimit {
  private tokens: number;
  private last: number;

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
    /** Milliseconds from a monotonic clock; a test passes its own. */
    private readonly now: () => number = performanceNow,
  ) {
    this.tokens = burst;
    this.last = now();
  }

  /** Takes one token; false when the client is over its rate. */
  take(): boolean {
    const now = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.perSecond);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens--;
    return true;
  }
}
