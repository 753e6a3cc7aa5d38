/** Exponential backoff with jitter for reconnects: 100 ms doubling to `max`, ±25 %. */
export class Backoff {
  private attempt = 0;

  constructor(
    private readonly base = 100,
    private readonly max = 5000,
  ) {}

  next(): number {
    const delay = Math.min(this.max, this.base * 2 ** this.attempt++);
    return Math.round(delay * (0.75 + Math.random() * 0.5));
  }

  reset(): void {
    this.attempt = 0;
  }
}
