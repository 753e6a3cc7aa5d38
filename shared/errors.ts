/**
 * Every error Switchboard raises carries a stable `code`, and so does every log line about a connection it
 * closed: all of them are declared here and listed in docs/errors.md. Match on `err.code` (or a log line's
 * `code`), never on the message text: messages may be reworded, codes never change.
 */

export const ErrorCode = {
  /** A frame's declared length is above the configured maximum. */
  FrameTooLarge: 'SB_ERR_FRAME_TOO_LARGE',
  /** A frame body is not valid msgpack, or not a map with a known `cmd`, or a field has the wrong type. */
  BadFrame: 'SB_ERR_BAD_FRAME',
  /** The peer's proof of the shared secret was wrong. */
  AuthFailed: 'SB_ERR_AUTH_FAILED',
  /** The peer did not complete the handshake in time. */
  AuthTimeout: 'SB_ERR_AUTH_TIMEOUT',
  /** An internal connection could not be made, or broke. */
  ConnectionLost: 'SB_ERR_CONNECTION_LOST',
  /** An internal link stopped answering heartbeats. */
  LinkTimeout: 'SB_ERR_LINK_TIMEOUT',
  /** A peer stopped reading: more than `maxLinkBacklog` bytes were waiting to be sent to it. */
  LinkBacklog: 'SB_ERR_LINK_BACKLOG',
  /** Options that cannot work together, or a malformed value. */
  InvalidOption: 'SB_ERR_INVALID_OPTION',
  /** A secret is required here (non-loopback address) and none was given. */
  SecretRequired: 'SB_ERR_SECRET_REQUIRED',
  /** A client id that was not produced by a Switchboard gateway. */
  InvalidClientId: 'SB_ERR_INVALID_CLIENT_ID',
  /** A Gateway API call got an argument of the wrong type. */
  InvalidArgument: 'SB_ERR_INVALID_ARGUMENT',
  /** A query could not reach a gateway it needs (link down). */
  GatewayUnavailable: 'SB_ERR_GATEWAY_UNAVAILABLE',
  /** A gateway did not answer a query within `queryTimeout`. */
  QueryTimeout: 'SB_ERR_QUERY_TIMEOUT',
  /** A gateway answered a query with an error. */
  QueryFailed: 'SB_ERR_QUERY_FAILED',
  /** No gateway is known yet (no register reachable, or none registered). */
  NoGateway: 'SB_ERR_NO_GATEWAY',
  /** The Gateway API was used outside a running business worker. */
  NotInWorker: 'SB_ERR_NOT_IN_WORKER',
  /** A "current client" call was made outside an event handler. */
  NoCurrentClient: 'SB_ERR_NO_CURRENT_CLIENT',
  /** HTTP API: a missing or wrong bearer token. */
  Unauthorized: 'SB_ERR_UNAUTHORIZED',
  /** HTTP API: a token is required here (non-loopback address) and none was given. */
  TokenRequired: 'SB_ERR_TOKEN_REQUIRED',
  /** HTTP API: the request body is not valid JSON, or not a JSON object. */
  BadJson: 'SB_ERR_BAD_JSON',
  /** HTTP API: the request body is larger than the limit. */
  BodyTooLarge: 'SB_ERR_BODY_TOO_LARGE',
  /** HTTP API: no such endpoint, or the wrong method for it. */
  NotFound: 'SB_ERR_NOT_FOUND',
  /**
   * Switchboard's own code failed (a bug: please report it, with the logged stack). Logged at error level and
   * counted in `switchboard_*_internal_errors_total`; the connection it happened on stays open. From the HTTP
   * API: a 500.
   */
  Internal: 'SB_ERR_INTERNAL',
  /** The events module could not be loaded. */
  EventsModule: 'SB_ERR_EVENTS_MODULE',
  /**
   * A connection to a GatewayWorker-protocol port (`--gatewayworker-listen`, `--gatewayworker-port`) sent
   * something that is not GatewayWorker's protocol, or a command only a GatewayWorker process sends.
   */
  NotGatewayClient: 'SB_ERR_NOT_GATEWAYCLIENT',
  /**
   * A GatewayWorker-protocol port off loopback without `--gatewayworker-allow-plaintext-secret`: GatewayClient
   * sends the secret in clear text.
   */
  PlaintextSecret: 'SB_ERR_PLAINTEXT_SECRET',
  /**
   * The events module exports a name that reads like a handler but is none (`onMesage`: did you mean
   * onMessage?), so its events would never reach it. Other exports that are not handlers are only logged, with
   * this code, at warn level.
   */
  UnknownHandler: 'SB_ERR_UNKNOWN_HANDLER',
  /** The `--protocol` module could not be loaded, or does not export a codec (`input`, `decode`, `encode`). */
  ProtocolModule: 'SB_ERR_PROTOCOL_MODULE',
  /**
   * A kept send (`keep: true`) or a replay could not reach the history (Redis, or the first register, which
   * holds the embedded history: down, too slow, of an older version, or too many requests waiting for it). The kept send was not made: nothing was handed to any client. Ordinary sends are
   * not affected.
   */
  HistoryUnavailable: 'SB_ERR_HISTORY_UNAVAILABLE',
  /**
   * A handler ran longer than `--handler-timeout`: logged (warn) with the client, the event and its age while it
   * is still running, and counted in `switchboard_worker_handler_timeouts_total`; the client's next event goes
   * ahead. Thrown by every Gateway call that handler makes afterwards, so nothing it does late reaches a gateway.
   */
  HandlerTimeout: 'SB_ERR_HANDLER_TIMEOUT',
  /**
   * `switchboard start --dashboard HOST:PORT` on an address other hosts can reach, without
   * `--dashboard-token`: the dashboard shows the whole cluster, so off loopback it needs a token.
   */
  DashboardTokenRequired: 'SB_ERR_DASHBOARD_TOKEN_REQUIRED',
  /**
   * The dashboard could not listen on the address given with `--dashboard`: another process holds it, or it is
   * not an address of this host. (When the default address is taken, `start` warns and goes on without it.)
   */
  DashboardListen: 'SB_ERR_DASHBOARD_LISTEN',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/**
 * Codes of the gateway's log lines about a client it closed or throttled. They are not raised as errors: the
 * client sees the WebSocket close code named in each (docs/errors.md, "Close codes a client may see").
 */
export const ClientLogCode = {
  /** Closed with 1008: the client sent more than `--max-messages-per-second`. Raise it, or fix the client. */
  RateLimit: 'SB_CLOSE_RATE_LIMIT',
  /**
   * Closed with 1013: more than `--max-pending-events` of the client's events waited for a worker. Add workers,
   * or look for slow handlers (`switchboard_worker_slow_handlers_total`).
   */
  TryAgainLater: 'SB_CLOSE_TRY_AGAIN_LATER',
  /** Closed with 4008: the client stopped reading (`--max-send-buffer` bytes queued). `--slow-consumer drop` keeps it. */
  SlowConsumer: 'SB_CLOSE_SLOW_CONSUMER',
  /**
   * Not closed (`--slow-consumer drop`): the client stopped reading, so pushes to it are skipped until it catches
   * up. Logged once per episode; `switchboard_gateway_dropped_pushes_total` counts the pushes.
   */
  SlowConsumerDrop: 'SB_SLOW_CONSUMER_DROP',
  /**
   * A TCP client was cut off: its next message is longer than `--max-message-size` (framing included), found out
   * before the message was buffered whole. Send smaller messages, or raise the limit.
   */
  MessageTooLarge: 'SB_CLOSE_MESSAGE_TOO_LARGE',
  /** A TCP client was cut off: its bytes are not a message of the gateway's `--protocol` (the codec said invalid). */
  BadMessage: 'SB_CLOSE_BAD_MESSAGE',
  /**
   * A TCP client was cut off because the protocol module failed on its bytes: it threw, or returned something
   * that is not a length, a string or bytes. A bug in the module named by `--protocol`; the log has the error.
   */
  CodecFailed: 'SB_CLOSE_CODEC_FAILED',
} as const;

export type ClientLogCode = (typeof ClientLogCode)[keyof typeof ClientLogCode];

const knownCodes: ReadonlySet<string> = new Set(Object.values(ErrorCode));

/** True when `code` is one of the error codes above. */
export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && knownCodes.has(code);
}

/**
 * The code a peer sent (in an Error or QueryError frame) when it is one of ours, else `fallback`: a peer's
 * code is never passed on unchecked, so `err.code` is always one a caller can look up.
 */
export function peerErrorCode(code: string, fallback: ErrorCode): ErrorCode {
  return isErrorCode(code) ? code : fallback;
}

/** The one error class of Switchboard: `code` tells what went wrong, the message tells what to do. */
export class SwitchboardError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'SwitchboardError';
    this.code = code;
  }
}

/** True when `err` is a SwitchboardError with the given code. */
export function hasCode(err: unknown, code: ErrorCode): boolean {
  return err instanceof SwitchboardError && err.code === code;
}
