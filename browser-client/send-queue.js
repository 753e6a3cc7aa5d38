/**
 * Messages waiting for a connection, oldest first, at most `limit` of them: a full queue refuses new
 * messages rather than dropping old ones, so what does get through keeps its order with no gaps before it.
 *
 * @template T
 */
export class SendQueue {
  /** @type {T[]} */
  #items = [];

  /** @param {number} limit most messages held; 0 holds none */
  constructor(limit) {
    /** @readonly */
    this.limit = limit;
  }

  /** Messages waiting. */
  get length() {
    return this.#items.length;
  }

  /**
   * Appends a message; false when the queue is full.
   * @param {T} item
   */
  push(item) {
    if (this.#items.length >= this.limit) return false;
    this.#items.push(item);
    return true;
  }

  /** Removes and returns every waiting message, oldest first. */
  drain() {
    const items = this.#items;
    this.#items = [];
    return items;
  }
}
