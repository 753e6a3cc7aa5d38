export const DEFAULT_RECONNECT_DELAY: 500;
export const DEFAULT_MAX_RECONNECT_DELAY: 10000;
export const DEFAULT_MAX_RECONNECT_ATTEMPTS: number;
export const DEFAULT_STABLE_AFTER: 5000;
export const DEFAULT_CONNECT_TIMEOUT: 10000;
export const DEFAULT_HEARTBEAT_TIMEOUT: 60000;
export const DEFAULT_QUEUE_LIMIT: 100;
/**
 * A WebSocket connection to a Switchboard gateway that stays up: it reconnects with exponential backoff and
 * jitter when the connection is lost, holds messages sent meanwhile (up to `queueLimit`) and sends them once
 * it is back, sends objects as JSON and parses JSON messages, and can answer the gateway's text heartbeat and
 * drop a connection that went silent. Runs in browsers as is, and in Node with the `ws` package.
 *
 * Messages sent from an `open` listener go out before the queued ones, so a listener can log in again first.
 * A message handed to a connection that then breaks may be lost: the gateway does not acknowledge messages.
 *
 * With `recover`, messages the app sent with `keep: true` are not lost across reconnects: the client remembers
 * the last position it got in each stream and tells the gateway when it connects again, and the gateway replays
 * what it missed when the app binds the uid or joins the group again; `notRecovered` says when it could not.
 *
 * @extends {TypedEmitter<ClientEvents>}
 * @example
 * const client = new SwitchboardClient('ws://127.0.0.1:7272');
 * client.on('open', () => client.send({ type: 'login', uid: 'alice' }));
 * client.on('message', (m) => console.log(m.json()));
 */
export class SwitchboardClient extends TypedEmitter<ClientEvents> {
    /**
     * Starts connecting at once.
     * @param {string | URL} url the gateway's WebSocket address, `ws://` or `wss://`
     * @param {ClientOptions} [options]
     */
    constructor(url: string | URL, options?: ClientOptions);
    /** The gateway's address, as given (normalised). @readonly */
    readonly url: string;
    /** `connecting` (before the first open), `open`, `reconnecting` (between connections) or `closed` (for good). */
    get state(): ClientState;
    /** Messages waiting for a connection. */
    get queued(): number;
    /**
     * With `recover`: the last position the client got in each stream (`uid:NAME`, `group:NAME`), the ones it
     * offers on its next connection; empty without `recover`.
     * @returns {Record<string, StreamPosition>}
     */
    get positions(): Record<string, StreamPosition>;
    /**
     * Sends a message: a string as a text frame, an ArrayBuffer, typed array or Blob as a binary frame, anything
     * else as JSON text. While no connection is open the message waits in the queue. Returns false, and emits
     * `error`, when it was dropped instead: the queue is full (`SB_ERR_QUEUE_FULL`) or the client is closed
     * (`SB_ERR_CLIENT_CLOSED`).
     * @param {unknown} data
     * @returns {boolean}
     */
    send(data: unknown): boolean;
    /**
     * Closes the connection for good: no reconnect follows, queued messages are dropped, `close` is emitted at once.
     * @param {number} [code] 1000, or 3000 to 4999 for the app's own codes
     * @param {string} [reason]
     */
    close(code?: number, reason?: string): void;
    #private;
}
import type { ClientEvents } from './client-types.js';
import { TypedEmitter } from './typed-emitter.js';
import type { ClientState } from './client-types.js';
import type { StreamPosition } from './client-types.js';
import type { ClientOptions } from './client-types.js';
