const performanceNow = () => performance.now();

/**
 * Seconds of its budget a rate-limited client may owe before it is closed: messages that reached the gateway
 * after it stopped reading the client (they were already in the chunk it read). A client that TCP slows down
 * owes at most one read's worth; only one that keeps a flood in flight past the pause gets this far.
 */
export const RATE_LIMIT_ABUSE_SECONDS = 10;

/**
 * A token bucket per client: `perSecond` messages on average, bursts up to `burst`. Refilled lazily on use,
 * so idle clients cost no timer. The bucket may go below zero: a message over the budget is still handled
 * (it has been read), the gateway stops reading the client until the debt is paid (`take` says how long),
 * and a debt of more than `RATE_LIMIT_ABUSE_SECONDS` of budget marks the client `abusive`.
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

  /** Takes one token; 0 when the client is within its rate, else the ms until it is back within it. */
  take(): number {
    this.refill();
    this.tokens--;
    return this.tokens >= 0 ? 0 : this.waitMs();
  }

  /** Ms until the client is back within its rate; 0 when it is. */
  wait(): number {
    this.refill();
    return this.tokens >= 0 ? 0 : this.waitMs();
  }

  /** The client owes more than `RATE_LIMIT_ABUSE_SECONDS` of its budget. */
  get abusive(): boolean {
    return -this.tokens > RATE_LIMIT_ABUSE_SECONDS * this.perSecond;
  }

  private refill(): void {
    const now = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.perSecond);
    this.last = now;
  }

  private waitMs(): number {
    return Math.max(1, Math.ceil((-this.tokens / this.perSecond) * 1000));
  }
}
