/** @import { RecoverOptions, StorageLike, StreamPosition } from './client-types.js' */
/** The WebSocket subprotocol that asks the gateway for kept messages with their positions, and for replays. */
export const RECOVERY_PROTOCOL: "switchboard.v1";
/**
 * Streams whose positions a client remembers and offers: the most recently moved ones. The positions travel in
 * the upgrade request's headers, which servers cap (Node at 16 KiB), so they are kept well below that.
 */
export const MAX_RECOVER_STREAMS: 64;
export function defaultPositionsKey(url: string): string;
/**
 * The last position a client was given in each stream (a uid's or a group's), in the order they last moved,
 * optionally kept in a `Storage` (e.g. `localStorage`) so that a page opened again starts from them.
 */
export class KeptPositions {
    /**
     * @param {RecoverOptions} options
     * @param {string} url
     */
    constructor(options: RecoverOptions, url: string);
    /** @returns {Record<string, StreamPosition>} */
    snapshot(): Record<string, StreamPosition>;
    /**
     * @param {string} stream
     * @param {string} epoch
     * @param {number} offset
     */
    set(stream: string, epoch: string, offset: number): void;
    /** @param {string} stream */
    forget(stream: string): void;
    /**
     * The subprotocols to offer: recovery, then the positions (when there are any), then the app's own.
     * @param {string | string[] | undefined} own
     * @returns {string[]}
     */
    protocols(own: string | string[] | undefined): string[];
    #private;
}
import type { StreamPosition } from './client-types.js';
import type { RecoverOptions } from './client-types.js';
