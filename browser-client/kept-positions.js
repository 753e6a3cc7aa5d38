/** @import { RecoverOptions, StorageLike, StreamPosition } from './client-types.js' */

/** The WebSocket subprotocol that asks the gateway for kept messages with their positions, and for replays. */
export const RECOVERY_PROTOCOL = 'switchboard.v1';
/** Prefix of the subprotocol that tells the gateway the last position per stream. */
const POSITIONS_PREFIX = 'switchboard.pos.';
/**
 * Streams whose positions a client remembers and offers: the most recently moved ones. The positions travel in
 * the upgrade request's headers, which servers cap (Node at 16 KiB), so they are kept well below that.
 */
export const MAX_RECOVER_STREAMS = 64;
/** The storage key positions are kept under when `recover.key` is not given: one per gateway address. */
export const defaultPositionsKey = (/** @type {string} */ url) => `switchboard.positions ${url}`;

/**
 * The last position a client was given in each stream (a uid's or a group's), in the order they last moved,
 * optionally kept in a `Storage` (e.g. `localStorage`) so that a page opened again starts from them.
 */
export class KeptPositions {
  /** @type {Map<string, [string, number]>} */
  #positions = new Map();
  /** @type {StorageLike | null} */
  #storage;
  #key;

  /**
   * @param {RecoverOptions} options
   * @param {string} url
   */
  constructor(options, url) {
    this.#storage = options.storage ?? null;
    this.#key = options.key ?? defaultPositionsKey(url);
    this.#load();
  }

  /** @returns {Record<string, StreamPosition>} */
  snapshot() {
    /** @type {Record<string, StreamPosition>} */
    const out = {};
    for (const [stream, [epoch, offset]] of this.#positions) out[stream] = { stream, epoch, offset };
    return out;
  }

  /**
   * @param {string} stream
   * @param {string} epoch
   * @param {number} offset
   */
  set(stream, epoch, offset) {
    const positions = this.#positions;
    positions.delete(stream);
    positions.set(stream, [epoch, offset]);
    if (positions.size > MAX_RECOVER_STREAMS) {
      for (const oldest of positions.keys()) {
        positions.delete(oldest);
        break;
      }
    }
    this.#save();
  }

  /** @param {string} stream */
  forget(stream) {
    if (this.#positions.delete(stream)) this.#save();
  }

  /**
   * The subprotocols to offer: recovery, then the positions (when there are any), then the app's own.
   * @param {string | string[] | undefined} own
   * @returns {string[]}
   */
  protocols(own) {
    const out = [RECOVERY_PROTOCOL];
    if (this.#positions.size > 0) {
      out.push(POSITIONS_PREFIX + base64url(JSON.stringify(Object.fromEntries(this.#positions))));
    }
    if (typeof own === 'string') out.push(own);
    else if (own) out.push(...own);
    return out;
  }

  #load() {
    if (!this.#storage) return;
    /** @type {unknown} */
    let value;
    try {
      value = JSON.parse(this.#storage.getItem(this.#key) ?? 'null');
    } catch {
      return; // Unreadable (or storage refused): start with none, as a new page would.
    }
    if (typeof value !== 'object' || value === null) return;
    for (const [stream, p] of Object.entries(value)) {
      if (Array.isArray(p) && typeof p[0] === 'string' && Number.isSafeInteger(p[1]) && p[1] >= 0) {
        this.#positions.set(stream, [p[0], p[1]]);
      }
    }
  }

  #save() {
    if (!this.#storage) return;
    try {
      this.#storage.setItem(this.#key, JSON.stringify(Object.fromEntries(this.#positions)));
    } catch {
      // Full or refused (private browsing): positions still hold for this page's reconnects.
    }
  }
}

/** @param {string} text */
function base64url(text) {
  let binary = '';
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}
