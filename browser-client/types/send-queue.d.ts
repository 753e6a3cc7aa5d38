/**
 * Messages waiting for a connection, oldest first, at most `limit` of them: a full queue refuses new
 * messages rather than dropping old ones, so what does get through keeps its order with no gaps before it.
 *
 * @template T
 */
export class SendQueue<T> {
    /** @param {number} limit most messages held; 0 holds none */
    constructor(limit: number);
    /** @readonly */
    readonly limit: number;
    /** Messages waiting. */
    get length(): number;
    /**
     * Appends a message; false when the queue is full.
     * @param {T} item
     */
    push(item: T): boolean;
    /** Removes and returns every waiting message, oldest first. */
    drain(): T[];
    #private;
}
