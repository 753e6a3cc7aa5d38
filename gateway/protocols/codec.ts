/**
 * How a TCP gateway turns a byte stream into messages and messages into bytes. A codec does no I/O and keeps no
 * state: the gateway buffers what a client sent, asks `input` where the next message ends, cuts it out, hands it
 * to `decode`, and enforces `--max-message-size` and every error. Built in: `text` and `frame` (Workerman's
 * Text and Frame protocols); an app gives its own as a module path to `--protocol` (docs/devices-over-tcp.md).
 */
export interface ProtocolCodec {
  /** Shown in logs and metrics and given to handlers as `ctx.request.protocol`; letters, digits, `-`, `_`. */
  readonly name: string;
  /**
   * The length in bytes of the first message in `buffer`, framing included: a positive number once enough of it
   * is in, `NEED_MORE` (0) while its length is not known yet, `INVALID` (-1) when the bytes can never be a
   * message (the client is cut off). Called again with more bytes after `NEED_MORE`, so it must not consume
   * anything. The gateway closes the client when the length (or, while it needs more, the bytes so far) reaches
   * above `--max-message-size`, before buffering the rest.
   */
  input(buffer: Buffer): number;
  /** The message handlers get (`data` of onMessage) from its bytes on the wire, exactly `input`'s length. */
  decode(message: Buffer): string | Buffer;
  /** The bytes on the wire for a message sent to the client (a string is sent as UTF-8). */
  encode(data: string | Buffer): Buffer;
}

/** `input`'s answer while the next message's length is not known yet. */
export const NEED_MORE = 0;
/** `input`'s answer for bytes that cannot be a message: the client is cut off. */
export const INVALID = -1;
