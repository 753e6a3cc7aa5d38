/** @import { ClientMessage, StreamPosition } from './client-types.js' */

/**
 * One message from the gateway, as `message` listeners get it: the raw data, and a JSON view parsed at most
 * once and only when asked for.
 *
 * @implements {ClientMessage}
 */
export class IncomingMessage {
  #parsed = false;
  /** @type {unknown} */
  #value = undefined;

  /**
   * @param {string | ArrayBuffer} data
   * @param {StreamPosition | null} [kept] the stream and position of a kept message (with `recover`)
   */
  constructor(data, kept = null) {
    /** @readonly */
    this.data = data;
    /** A kept message's stream and position, when the client recovers; null for every other message. @readonly */
    this.kept = kept;
  }

  /**
   * The message parsed as JSON; undefined for binary data or text that is not JSON.
   * @template [T=unknown]
   * @returns {T | undefined}
   */
  json() {
    if (!this.#parsed) {
      this.#parsed = true;
      if (typeof this.data === 'string') {
        try {
          this.#value = JSON.parse(this.data);
        } catch {
          // Not JSON: the app may send plain text too; `data` still has it.
        }
      }
    }
    return /** @type {T | undefined} */ (this.#value);
  }
}
