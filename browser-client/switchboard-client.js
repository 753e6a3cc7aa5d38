/**
 * @import { ClientEvents, ClientOptions, ClientState, CloseInfo, StreamPosition, WebSocketConstructor, WebSocketLike } from './client-types.js'
 */
import { ClientErrorCode, SwitchboardClientError } from './client-error.js';
import { IncomingMessage } from './incoming-message.js';
import { readKeptFrame } from './kept-frames.js';
import { KeptPositions, RECOVERY_PROTOCOL } from './kept-positions.js';
import { ReconnectBackoff } from './reconnect-backoff.js';
import { SendQueue } from './send-queue.js';
import { TypedEmitter } from './typed-emitter.js';

export const DEFAULT_RECONNECT_DELAY = 500;
export const DEFAULT_MAX_RECONNECT_DELAY = 10_000;
export const DEFAULT_MAX_RECONNECT_ATTEMPTS = Infinity;
export const DEFAULT_STABLE_AFTER = 5_000;
export const DEFAULT_CONNECT_TIMEOUT = 10_000;
export const DEFAULT_HEARTBEAT_TIMEOUT = 60_000;
export const DEFAULT_QUEUE_LIMIT = 100;

/** `WebSocket.OPEN`: the same number in browsers and in the `ws` package. */
const OPEN = 1;
/** What browsers report for a connection that broke without a close frame; used for the client's own give-ups too. */
const ABNORMAL = 1006;
const NORMAL = 1000;
/** A gateway that drains (shuts down gracefully) closes its clients with this: reconnect at once, elsewhere. */
const SERVICE_RESTART = 1012;

const noop = () => {};

/** @param {CloseInfo} info */
const reconnectUnlessNormal = (info) => info.code !== NORMAL;

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
export class SwitchboardClient extends TypedEmitter {
  /** @type {WebSocketLike | null} */
  #ws = null;
  /** @type {ClientState} */
  #state = 'connecting';
  #opens = 0;
  #openedAt = 0;
  #lastMessageAt = 0;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  #connectTimer;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  #heartbeatTimer;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  #reconnectTimer;
  /** @type {SendQueue<unknown>} */
  #queue;
  #backoff;
  #WebSocket;
  /** @type {string | string[] | undefined} */
  #protocols;
  #reconnect;
  #maxReconnectAttempts;
  #stableAfter;
  #shouldReconnect;
  #connectTimeout;
  /** @type {string | null} */
  #pingData;
  /** @type {unknown} */
  #pong;
  #heartbeatTimeout;
  /** @type {KeptPositions | null} */
  #kept = null;
  /** The current connection speaks the recovery subprotocol. */
  #recovering = false;

  /**
   * Starts connecting at once.
   * @param {string | URL} url the gateway's WebSocket address, `ws://` or `wss://`
   * @param {ClientOptions} [options]
   */
  constructor(url, options = {}) {
    super();
    /** The gateway's address, as given (normalised). @readonly */
    this.url = checkUrl(url);
    const WebSocketClass = options.WebSocket ?? /** @type {WebSocketConstructor | undefined} */ (globalThis.WebSocket);
    if (typeof WebSocketClass !== 'function') {
      throw new SwitchboardClientError(
        ClientErrorCode.InvalidOption,
        'there is no global WebSocket here (Node 20): pass one, e.g. new SwitchboardClient(url, { WebSocket }) ' +
          "with import { WebSocket } from 'ws'",
      );
    }
    this.#WebSocket = WebSocketClass;
    this.#protocols = options.protocols;
    this.#reconnect = options.reconnect ?? true;
    const delay = checkNumber('reconnectDelay', options.reconnectDelay ?? DEFAULT_RECONNECT_DELAY, 1);
    const maxDelay = checkNumber(
      'maxReconnectDelay',
      options.maxReconnectDelay ?? Math.max(delay, DEFAULT_MAX_RECONNECT_DELAY),
      delay,
    );
    this.#backoff = new ReconnectBackoff(delay, maxDelay);
    this.#maxReconnectAttempts = checkNumber(
      'maxReconnectAttempts',
      options.maxReconnectAttempts ?? DEFAULT_MAX_RECONNECT_ATTEMPTS,
      0,
    );
    this.#stableAfter = checkNumber('stableAfter', options.stableAfter ?? DEFAULT_STABLE_AFTER, 0);
    this.#shouldReconnect = options.shouldReconnect ?? reconnectUnlessNormal;
    this.#connectTimeout = checkNumber('connectTimeout', options.connectTimeout ?? DEFAULT_CONNECT_TIMEOUT, 0);
    this.#pingData = options.pingData ?? null;
    this.#pong = options.pongData == null ? null : encode(options.pongData, 'pongData');
    this.#heartbeatTimeout = checkNumber(
      'heartbeatTimeout',
      options.heartbeatTimeout ?? (this.#pingData === null ? 0 : DEFAULT_HEARTBEAT_TIMEOUT),
      0,
    );
    this.#queue = new SendQueue(checkNumber('queueLimit', options.queueLimit ?? DEFAULT_QUEUE_LIMIT, 0));
    const { recover } = options;
    if (recover != null && recover !== false) {
      if (recover !== true && (typeof recover !== 'object' || !checkStorage(recover.storage))) {
        throw new SwitchboardClientError(
          ClientErrorCode.InvalidOption,
          'recover must be true or { storage?, key? } with a storage that has getItem and setItem, e.g. localStorage',
        );
      }
      this.#kept = new KeptPositions(recover === true ? {} : recover, this.url);
    }
    this.#connect(true);
  }

  /** `connecting` (before the first open), `open`, `reconnecting` (between connections) or `closed` (for good). */
  get state() {
    return this.#state;
  }

  /** Messages waiting for a connection. */
  get queued() {
    return this.#queue.length;
  }

  /**
   * With `recover`: the last position the client got in each stream (`uid:NAME`, `group:NAME`), the ones it
   * offers on its next connection; empty without `recover`.
   * @returns {Record<string, StreamPosition>}
   */
  get positions() {
    return this.#kept?.snapshot() ?? {};
  }

  /**
   * Sends a message: a string as a text frame, an ArrayBuffer, typed array or Blob as a binary frame, anything
   * else as JSON text. While no connection is open the message waits in the queue. Returns false, and emits
   * `error`, when it was dropped instead: the queue is full (`SB_ERR_QUEUE_FULL`) or the client is closed
   * (`SB_ERR_CLIENT_CLOSED`).
   * @param {unknown} data
   * @returns {boolean}
   */
  send(data) {
    const encoded = encode(data, 'send()');
    if (this.#state === 'closed') {
      this.#dropped(ClientErrorCode.ClientClosed, 'a message was dropped: the client is closed; create a new one');
      return false;
    }
    const ws = this.#ws;
    if (this.#state === 'open' && ws && ws.readyState === OPEN) {
      ws.send(encoded);
      return true;
    }
    if (this.#queue.push(encoded)) return true;
    this.#dropped(
      ClientErrorCode.QueueFull,
      `a message was dropped: ${this.#queue.limit} are already waiting for the connection; ` +
        'raise queueLimit or send less while the client is reconnecting',
    );
    return false;
  }

  /**
   * Closes the connection for good: no reconnect follows, queued messages are dropped, `close` is emitted at once.
   * @param {number} [code] 1000, or 3000 to 4999 for the app's own codes
   * @param {string} [reason]
   */
  close(code = NORMAL, reason = '') {
    if (code !== NORMAL && !(code >= 3000 && code <= 4999)) {
      throw new SwitchboardClientError(
        ClientErrorCode.InvalidArgument,
        `close code ${code} is not allowed: use 1000, or 3000 to 4999 for the app's own codes`,
      );
    }
    if (this.#state === 'closed') return;
    const ws = this.#ws;
    this.#release(false);
    if (ws) ws.close(code, reason);
    this.#finish({ code, reason });
  }

  /** @param {boolean} first */
  #connect(first) {
    /** @type {WebSocketLike} */
    let ws;
    try {
      const protocols = this.#kept ? this.#kept.protocols(this.#protocols) : this.#protocols;
      ws = new this.#WebSocket(this.url, protocols);
    } catch (err) {
      // A browser refuses some addresses outright (e.g. ws:// from an https:// page): tell the caller now.
      if (first) throw err;
      this.#lost({ code: ABNORMAL, reason: err instanceof Error ? err.message : String(err) }, false);
      return;
    }
    this.#ws = ws;
    ws.binaryType = 'arraybuffer';
    ws.onopen = () => this.#opened(ws);
    ws.onmessage = (event) => this.#received(ws, event.data);
    ws.onclose = (event) => this.#lost({ code: event.code || ABNORMAL, reason: event.reason || '' }, false);
    // An error event is always followed by a close event, which is where the client acts.
    ws.onerror = noop;
    if (this.#connectTimeout > 0) {
      this.#connectTimer = setTimeout(
        () => this.#lost({ code: ABNORMAL, reason: `not open within ${this.#connectTimeout} ms` }, true),
        this.#connectTimeout,
      );
    }
  }

  /** @param {WebSocketLike} ws */
  #opened(ws) {
    clearTimeout(this.#connectTimer);
    const reconnected = this.#opens++ > 0;
    // A gateway that does not know the subprotocol (or a proxy that strips it) sends untagged messages.
    this.#recovering = this.#kept !== null && ws.protocol === RECOVERY_PROTOCOL;
    this.#state = 'open';
    this.#openedAt = this.#lastMessageAt = Date.now();
    this.#watch();
    this.emit('open', { reconnected });
    // A listener may have closed the client, or the connection may be gone already.
    if (this.#ws !== ws || this.#state !== 'open' || ws.readyState !== OPEN) return;
    for (const data of this.#queue.drain()) ws.send(data);
  }

  /**
   * @param {WebSocketLike} ws
   * @param {string | ArrayBuffer} data
   */
  #received(ws, data) {
    this.#lastMessageAt = Date.now();
    if (this.#pingData !== null && data === this.#pingData) {
      if (this.#pong !== null) ws.send(this.#pong);
      return;
    }
    if (!this.#recovering) {
      this.emit('message', new IncomingMessage(data));
      return;
    }
    const kept = /** @type {KeptPositions} */ (this.#kept);
    const frame = readKeptFrame(data);
    switch (frame.kind) {
      case 'data':
        this.emit('message', new IncomingMessage(frame.data));
        return;
      case 'kept': {
        const { stream, epoch, offset } = frame;
        this.emit('message', new IncomingMessage(frame.data, { stream, epoch, offset }));
        // Remembered once the listeners had it: a page closed in between gets it again rather than never.
        kept.set(stream, epoch, offset);
        return;
      }
      case 'event': {
        const { t, stream, epoch, offset } = frame;
        if (epoch === null || offset === null) kept.forget(stream);
        else kept.set(stream, epoch, offset);
        if (t === 'recovered' && epoch !== null && offset !== null) this.emit('recovered', { stream, epoch, offset });
        else if (t === 'lost') this.emit('notRecovered', { stream, epoch, offset });
        return;
      }
      case 'invalid':
        // Not of the subprotocol (a gateway bug): handed on untouched rather than dropped.
        this.emit('message', new IncomingMessage(data));
        return;
    }
  }

  /** Takes the connection for dead when nothing arrived for `heartbeatTimeout` ms; one timer, re-armed lazily. */
  #watch() {
    const timeout = this.#heartbeatTimeout;
    if (timeout <= 0) return;
    const check = () => {
      const quiet = Date.now() - this.#lastMessageAt;
      if (quiet >= timeout) this.#lost({ code: ABNORMAL, reason: `no message for ${timeout} ms` }, true);
      else this.#heartbeatTimer = setTimeout(check, timeout - quiet);
    };
    this.#heartbeatTimer = setTimeout(check, timeout);
  }

  /**
   * The current connection (or attempt) is over: reconnect after a backoff delay, or close for good.
   * @param {CloseInfo} info
   * @param {boolean} drop the socket may still be alive (a timeout): cut it off
   */
  #lost(info, drop) {
    const wasOpen = this.#state === 'open';
    this.#release(drop);
    if (wasOpen && Date.now() - this.#openedAt >= this.#stableAfter) this.#backoff.reset();
    // A draining gateway is not a failure: start again from the shortest (jittered) delay.
    if (info.code === SERVICE_RESTART) this.#backoff.reset();
    const again = this.#reconnect && this.#backoff.attempts < this.#maxReconnectAttempts && this.#shouldReconnect(info);
    if (!again) return this.#finish(info);
    this.#state = this.#opens > 0 ? 'reconnecting' : 'connecting';
    if (wasOpen) this.emit('close', { ...info, willReconnect: true });
    // A `close` listener may have closed the client.
    if (this.#state !== 'reconnecting' && this.#state !== 'connecting') return;
    const delay = this.#backoff.next();
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = undefined;
      this.#connect(false);
    }, delay);
    this.emit('reconnect', { attempt: this.#backoff.attempts, delay });
  }

  /**
   * Detaches the current socket and stops its timers.
   * @param {boolean} drop also cut the socket off (it may still be alive)
   */
  #release(drop) {
    clearTimeout(this.#connectTimer);
    clearTimeout(this.#heartbeatTimer);
    const ws = this.#ws;
    this.#ws = null;
    if (!ws) return;
    ws.onopen = ws.onmessage = ws.onclose = noop;
    // Not null: the `ws` package throws an error event that has no listener.
    ws.onerror = noop;
    if (drop) {
      // `ws` has terminate(): a dead peer would keep close() waiting for its closing handshake.
      if (typeof ws.terminate === 'function') ws.terminate();
      else ws.close();
    }
  }

  /** @param {CloseInfo} info */
  #finish(info) {
    this.#state = 'closed';
    clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = undefined;
    const dropped = this.#queue.drain().length;
    this.emit('close', { ...info, willReconnect: false });
    if (dropped > 0) {
      this.#dropped(ClientErrorCode.ClientClosed, `${dropped} queued messages were dropped: the client closed`);
    }
  }

  /**
   * @param {typeof ClientErrorCode.QueueFull | typeof ClientErrorCode.ClientClosed} code
   * @param {string} message
   */
  #dropped(code, message) {
    this.emit('error', new SwitchboardClientError(code, message));
  }
}

/**
 * @param {string | URL} url
 * @returns {string}
 */
function checkUrl(url) {
  let parsed;
  try {
    parsed = new URL(String(url));
  } catch {
    parsed = null;
  }
  if (!parsed || (parsed.protocol !== 'ws:' && parsed.protocol !== 'wss:')) {
    throw new SwitchboardClientError(
      ClientErrorCode.InvalidOption,
      `"${String(url)}" is not a WebSocket address: write ws://HOST:PORT/ or wss://HOST/`,
    );
  }
  return parsed.href;
}

/**
 * @param {unknown} storage
 * @returns {boolean}
 */
function checkStorage(storage) {
  if (storage == null) return true;
  const s = /** @type {{ getItem?: unknown, setItem?: unknown }} */ (storage);
  return typeof s.getItem === 'function' && typeof s.setItem === 'function';
}

/**
 * @param {string} name
 * @param {number} value
 * @param {number} min
 * @returns {number}
 */
function checkNumber(name, value, min) {
  if (typeof value !== 'number' || Number.isNaN(value) || value < min) {
    throw new SwitchboardClientError(
      ClientErrorCode.InvalidOption,
      `${name} must be a number of at least ${min}, got ${String(value)}`,
    );
  }
  return value;
}

/**
 * What goes on the wire for `data`: strings and binary data as they are, anything else as JSON text.
 * @param {unknown} data
 * @param {string} what
 * @returns {unknown}
 */
function encode(data, what) {
  if (
    typeof data === 'string' ||
    data instanceof ArrayBuffer ||
    ArrayBuffer.isView(data) ||
    (typeof Blob !== 'undefined' && data instanceof Blob)
  ) {
    return data;
  }
  let text;
  try {
    text = JSON.stringify(data);
  } catch (cause) {
    throw new SwitchboardClientError(ClientErrorCode.InvalidArgument, `${what}: the value is not JSON-serialisable`, {
      cause,
    });
  }
  if (text === undefined) {
    throw new SwitchboardClientError(
      ClientErrorCode.InvalidArgument,
      `${what}: nothing to send for ${typeof data}: give a string, binary data or a JSON value`,
    );
  }
  return text;
}
