/** @import { ClientMessage, StreamPosition } from './client-types.js' */
/**
 * One message from the gateway, as `message` listeners get it: the raw data, and a JSON view parsed at most
 * once and only when asked for.
 *
 * @implements {ClientMessage}
 */
export class IncomingMessage implements ClientMessage {
    /**
     * @param {string | ArrayBuffer} data
     * @param {StreamPosition | null} [kept] the stream and position of a kept message (with `recover`)
     */
    constructor(data: string | ArrayBuffer, kept?: StreamPosition | null);
    /** @readonly */
    readonly data: string | ArrayBuffer;
    /** A kept message's stream and position, when the client recovers; null for every other message. @readonly */
    readonly kept: StreamPosition | null;
    /**
     * The message parsed as JSON; undefined for binary data or text that is not JSON.
     * @template [T=unknown]
     * @returns {T | undefined}
     */
    json<T = unknown>(): T | undefined;
    #private;
}
import type { ClientMessage } from './client-types.js';
import type { StreamPosition } from './client-types.js';
