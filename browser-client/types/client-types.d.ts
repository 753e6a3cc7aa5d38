/**
 * Types of the client library's options and events. The implementation is plain JavaScript (so a browser loads
 * it as is); these declarations are what TypeScript users, and the type check of that JavaScript, see.
 */

import type { SwitchboardClientError } from './client-error.js';

/**
 * The part of a WebSocket the client uses. The browser's `WebSocket` has it, and so has the `ws` package's
 * (pass it as the `WebSocket` option in Node versions without a global `WebSocket`).
 */
export interface WebSocketLike {
  readonly readyState: number;
  /** The subprotocol the server chose ('' for none); read to tell whether the gateway speaks recovery. */
  readonly protocol?: string;
  binaryType: string;
  onopen: ((event: any) => void) | null;
  onmessage: ((event: any) => void) | null;
  onclose: ((event: any) => void) | null;
  onerror: ((event: any) => void) | null;
  send(data: any): void;
  close(code?: number, reason?: string): void;
  /** Only in the `ws` package: drops the connection without a closing handshake. */
  terminate?(): void;
}

export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => WebSocketLike;

/** What a connection's end looks like to `shouldReconnect` and to `close` listeners. */
export interface CloseInfo {
  /** The WebSocket close code; 1006 when the connection broke, timed out or was never made. */
  code: number;
  /** The close reason the gateway gave, or why the client gave up on the connection. */
  reason: string;
}

export interface ClientOptions {
  /** The WebSocket class to use. Needed in Node 20 (pass `WebSocket` from the `ws` package). @default globalThis.WebSocket */
  WebSocket?: WebSocketConstructor;
  /** WebSocket subprotocols to ask for. @default none */
  protocols?: string | string[];
  /** Reconnect after a connection is lost (see `shouldReconnect`). @default true */
  reconnect?: boolean;
  /** Ms: the first reconnect waits a random time between half this and this; each later one twice as long. @default 500 */
  reconnectDelay?: number;
  /** Ms: no reconnect waits longer than this (before jitter halves it at most). @default 10000 */
  maxReconnectDelay?: number;
  /**
   * Reconnect attempts in a row (with no connection between them that stayed open `stableAfter` ms) after which
   * the client gives up and closes for good; 0 never reconnects. @default Infinity
   */
  maxReconnectAttempts?: number;
  /** Ms a connection must stay open before the next reconnect starts again from `reconnectDelay`. @default 5000 */
  stableAfter?: number;
  /**
   * Decides, when an open connection ends, whether to reconnect. The default reconnects after everything but a
   * normal close (1000), which the gateway sends only when the app called `closeClient`: the app meant it.
   * @default (info) => info.code !== 1000
   */
  shouldReconnect?: (info: CloseInfo) => boolean;
  /** Ms an attempt may take to open before it is abandoned and retried. @default 10000 */
  connectTimeout?: number;
  /**
   * The gateway's text heartbeat (its `--ping-data`). Messages equal to it are not passed to `message`
   * listeners; each one proves the connection alive and, with `pongData`, is answered. @default null
   */
  pingData?: string | null;
  /**
   * The answer to each `pingData` heartbeat; objects are sent as JSON. Needed when the gateway has a
   * `--ping-not-response-limit` above 0 and this client may stay silent longer than that; the answer reaches the
   * app's `onMessage` like any message, so pick one your handlers ignore. null never answers. @default null
   */
  pongData?: unknown;
  /**
   * Ms without any message after which the connection is taken for dead, dropped and reconnected; 0 never.
   * A browser cannot see protocol pings, so this is only useful when the gateway sends `pingData` (or the app
   * sends messages often): set it to a bit more than twice the gateway's `--ping-interval`.
   * @default 60000 when pingData is set, else 0
   */
  heartbeatTimeout?: number;
  /** Messages held while no connection is open; when full, `send` refuses more. 0 sends only while open. @default 100 */
  queueLimit?: number;
  /**
   * Recover kept messages (those the app sent with `keep: true`) across reconnects: the client offers the
   * `switchboard.v1` subprotocol, remembers the last position it got in each stream and tells the gateway when it
   * connects again; when the app binds the uid or joins the group again, the gateway first replays what was kept
   * meanwhile, once and in order. `notRecovered` says when a stream's history no longer covered the position.
   * `true` remembers positions for the life of this client; `{ storage: localStorage }` keeps them across page
   * loads too. Without it, the client offers no subprotocol of its own and the gateway sends what it always did.
   * @default false
   */
  recover?: boolean | RecoverOptions;
}

/** Where `recover` keeps positions: `localStorage` and `sessionStorage` fit. */
export interface StorageLike {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

export interface RecoverOptions {
  /** Keeps the positions there, so that a page closed and opened again tells the gateway where it was. @default none (in memory) */
  storage?: StorageLike | null;
  /** The storage key; give one per tab or per user when several share a storage. @default `switchboard.positions ${url}` */
  key?: string;
}

/** Where a kept message sits: its stream (`uid:NAME` or `group:NAME`), the stream's epoch, and its offset there. */
export interface StreamPosition {
  stream: string;
  epoch: string;
  offset: number;
}

/** `notRecovered`: a stream's history did not cover the position the client had; reload that state. */
export interface ClientNotRecoveredEvent {
  /** `uid:NAME` or `group:NAME`. */
  stream: string;
  /** The stream's position from now on; null when the history could not be read (the next message starts it). */
  epoch: string | null;
  offset: number | null;
}

/** `open`: a connection opened (the first one, or one after a reconnect). */
export interface ClientOpenEvent {
  /** False for the first connection, true for every later one. */
  reconnected: boolean;
}

/** `close`: an open connection ended, or the client stopped for good (then `willReconnect` is false). */
export interface ClientCloseEvent extends CloseInfo {
  /** True when a reconnect follows; false when the client is now closed for good. */
  willReconnect: boolean;
}

/** `reconnect`: the next connection attempt is scheduled. */
export interface ClientReconnectEvent {
  /** 1 for the first attempt after a loss, then 2, 3…; back to 1 once a connection proved stable. */
  attempt: number;
  /** Ms until the attempt starts. */
  delay: number;
}

/** `message`: a message from the gateway (heartbeats excluded). */
export interface ClientMessage {
  /** Text frames arrive as a string, binary frames as an ArrayBuffer. */
  readonly data: string | ArrayBuffer;
  /** The message parsed as JSON (parsed once, on first call); undefined for binary data or text that is not JSON. */
  json<T = unknown>(): T | undefined;
  /** With `recover`: a kept message's stream and position; null for every other message. */
  readonly kept?: StreamPosition | null;
}

/** Events a SwitchboardClient emits, and the argument each listener gets. */
export interface ClientEvents {
  open: ClientOpenEvent;
  close: ClientCloseEvent;
  reconnect: ClientReconnectEvent;
  message: ClientMessage;
  /** With `recover`: a stream was replayed up to its newest message after the app bound the uid or joined the group again. */
  recovered: StreamPosition;
  /** With `recover`: what was kept in a stream while away could not be replayed (trimmed, expired, history lost). */
  notRecovered: ClientNotRecoveredEvent;
  /** A message was dropped (`SB_ERR_QUEUE_FULL`, `SB_ERR_CLIENT_CLOSED`). */
  error: SwitchboardClientError;
}

/** Where a client is: before its first open, open, between connections, or closed for good. */
export type ClientState = 'connecting' | 'open' | 'reconnecting' | 'closed';
