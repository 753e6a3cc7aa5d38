/** @import { ClientMessage } from './client-types.js' */
/**
 * One message from the gateway, as `message` listeners get it: the raw data, and a JSON view parsed at most
 * once and only when asked for.
 *
 * @implements {ClientMessage}
 */
export class IncomingMessage implements ClientMessage {
    /** @param {string | ArrayBuffer} data */
    constructor(data: string | ArrayBuffer);
    /** @readonly */
    readonly data: string | ArrayBuffer;
    /**
     * The message parsed as JSON; undefined for binary data or text that is not JSON.
     * @template [T=unknown]
     * @returns {T | undefined}
     */
    json<T = unknown>(): T | undefined;
    #private;
}
import type { ClientMessage } from './client-types.js';
