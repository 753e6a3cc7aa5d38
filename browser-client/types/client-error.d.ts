export namespace ClientErrorCode {
    let InvalidOption: "SB_ERR_INVALID_OPTION";
    let InvalidArgument: "SB_ERR_INVALID_ARGUMENT";
    let QueueFull: "SB_ERR_QUEUE_FULL";
    let ClientClosed: "SB_ERR_CLIENT_CLOSED";
}
/** @typedef {(typeof ClientErrorCode)[keyof typeof ClientErrorCode]} ClientErrorCodeValue */
/** The one error class of the client library: `code` tells what went wrong, the message tells what to do. */
export class SwitchboardClientError extends Error {
    /**
     * @param {ClientErrorCodeValue} code
     * @param {string} message
     * @param {ErrorOptions} [options]
     */
    constructor(code: ClientErrorCodeValue, message: string, options?: ErrorOptions);
    /** @readonly */
    readonly code: ClientErrorCodeValue;
}
export type ClientErrorCodeValue = (typeof ClientErrorCode)[keyof typeof ClientErrorCode];
