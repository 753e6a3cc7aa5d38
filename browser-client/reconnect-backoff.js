/**
 * Delays between reconnect attempts: exponential from `initial`, never above `max`, with jitter so that
 * clients dropped together (a gateway restart) do not all come back in the same instant.
 *
 * Attempt n (from 0) waits a random time in [d/2, d], where d = min(max, initial * 2^n).
 */
export class ReconnectBackoff {
  /** Attempts since the last `reset()`. */
  attempts = 0;

  /**
   * @param {number} initial ms before the first attempt's upper bound
   * @param {number} max ms no delay exceeds
   * @param {() => number} [random] a source of numbers in [0, 1)
   */
  constructor(initial, max, random = Math.random) {
    /** @private @readonly */
    this.initial = initial;
    /** @private @readonly */
    this.max = max;
    /** @private @readonly */
    this.random = random;
  }

  /** The delay before the next attempt, in ms; counts the attempt. */
  next() {
    // Capping the exponent keeps 2 ** n finite however long the client keeps trying.
    const ceiling = Math.min(this.max, this.initial * 2 ** Math.min(this.attempts, 30));
    this.attempts++;
    return Math.round(ceiling / 2 + (this.random() * ceiling) / 2);
  }

  /** Starts again from the shortest delay (after a connection proved stable). */
  reset() {
    this.attempts = 0;
  }
}
