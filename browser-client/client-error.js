/**
 * Error codes of the client library. Like the server's, they are stable: match on `err.code`, never on the
 * message text.
 */
export const ClientErrorCode = /** @type {const} */ ({
  /** An option or the URL given to the constructor is malformed. Thrown by the constructor. */
  InvalidOption: 'SB_ERR_INVALID_OPTION',
  /** `send()` got a value it cannot send (`undefined`, a function, a cyclic object…). Thrown by `send()`. */
  InvalidArgument: 'SB_ERR_INVALID_ARGUMENT',
  /** A message was dropped because the send queue was full while no connection was open. */
  QueueFull: 'SB_ERR_QUEUE_FULL',
  /** A message was dropped because the client was closed, by `close()` or after the last reconnect attempt. */
  ClientClosed: 'SB_ERR_CLIENT_CLOSED',
});

/** @typedef {(typeof ClientErrorCode)[keyof typeof ClientErrorCode]} ClientErrorCodeValue */

/** The one error class of the client library: `code` tells what went wrong, the message tells what to do. */
export class SwitchboardClientError extends Error {
  /**
   * @param {ClientErrorCodeValue} code
   * @param {string} message
   * @param {ErrorOptions} [options]
   */
  constructor(code, message, options) {
    super(message, options);
    this.name = 'SwitchboardClientError';
    /** @readonly */
    this.code = code;
  }
}
