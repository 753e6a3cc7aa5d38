/**
 * Delays between reconnect attempts: exponential from `initial`, never above `max`, with jitter so that
 * clients dropped together (a gateway restart) do not all come back in the same instant.
 *
 * Attempt n (from 0) waits a random time in [d/2, d], where d = min(max, initial * 2^n).
 */
export class ReconnectBackoff {
    /**
     * @param {number} initial ms before the first attempt's upper bound
     * @param {number} max ms no delay exceeds
     * @param {() => number} [random] a source of numbers in [0, 1)
     */
    constructor(initial: number, max: number, random?: () => number);
    /** Attempts since the last `reset()`. */
    attempts: number;
    /** @private @readonly */
    private readonly initial;
    /** @private @readonly */
    private readonly max;
    /** @private @readonly */
    private readonly random;
    /** The delay before the next attempt, in ms; counts the attempt. */
    next(): number;
    /** Starts again from the shortest delay (after a connection proved stable). */
    reset(): void;
}
