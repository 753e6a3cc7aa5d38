/**
 * The Switchboard client library: a WebSocket connection to a gateway that reconnects by itself, queues what
 * is sent meanwhile and speaks JSON. Plain JavaScript modules with no dependencies: a browser imports them
 * as they are (every gateway serves them under /client/), Node imports `switchboard/client`.
 *
 * @example
 * import { SwitchboardClient } from 'switchboard/client';
 * const client = new SwitchboardClient('ws://127.0.0.1:7272');
 * client.on('message', (m) => console.log(m.json()));
 */
export {
  SwitchboardClient,
  DEFAULT_CONNECT_TIMEOUT,
  DEFAULT_HEARTBEAT_TIMEOUT,
  DEFAULT_MAX_RECONNECT_ATTEMPTS,
  DEFAULT_MAX_RECONNECT_DELAY,
  DEFAULT_QUEUE_LIMIT,
  DEFAULT_RECONNECT_DELAY,
  DEFAULT_STABLE_AFTER,
} from './switchboard-client.js';
export { ClientErrorCode, SwitchboardClientError } from './client-error.js';
export { ReconnectBackoff } from './reconnect-backoff.js';
export { SendQueue } from './send-queue.js';
export { IncomingMessage } from './incoming-message.js';
export { MAX_RECOVER_STREAMS, RECOVERY_PROTOCOL } from './kept-positions.js';
/**
 * @typedef {import('./client-types.js').ClientOptions} ClientOptions
 * @typedef {import('./client-types.js').ClientEvents} ClientEvents
 * @typedef {import('./client-types.js').ClientState} ClientState
 * @typedef {import('./client-types.js').ClientOpenEvent} ClientOpenEvent
 * @typedef {import('./client-types.js').ClientCloseEvent} ClientCloseEvent
 * @typedef {import('./client-types.js').ClientReconnectEvent} ClientReconnectEvent
 * @typedef {import('./client-types.js').ClientMessage} ClientMessage
 * @typedef {import('./client-types.js').CloseInfo} CloseInfo
 * @typedef {import('./client-types.js').WebSocketLike} WebSocketLike
 * @typedef {import('./client-types.js').WebSocketConstructor} WebSocketConstructor
 * @typedef {import('./client-types.js').RecoverOptions} RecoverOptions
 * @typedef {import('./client-types.js').StorageLike} StorageLike
 * @typedef {import('./client-types.js').StreamPosition} StreamPosition
 * @typedef {import('./client-types.js').ClientNotRecoveredEvent} ClientNotRecoveredEvent
 */
