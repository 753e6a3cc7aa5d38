import { ClientLogCode } from '../../shared/errors.ts';
import type { ProtocolCodec } from './codec.ts';

/** Why a reader stopped: the client is cut off with this code, and the reason is logged. */
export interface ReadFailure {
  code: ClientLogCode;
  reason: string;
  /** What the codec threw, for SB_CLOSE_CODEC_FAILED. */
  cause?: unknown;
}

/** Called with each whole message, and the `target` the reader was made for (no closure per connection). */
export type MessageSink<T> = (target: T, data: string | Buffer, bytes: number) => void;

/** The smallest buffer kept for a partial message whose length is not known yet. */
const MIN_CAPACITY = 1024;

/**
 * Cuts the bytes of one TCP connection into messages with a codec, whatever the chunks: a message split over many
 * chunks, or many messages in one. It buffers only the bytes of an unfinished message, in a buffer that grows by
 * doubling (so a message trickling in one byte at a time is copied O(n) times, not O(n²)), and none at all
 * between messages. A message longer than `maxMessageSize` is refused as soon as its length is known (or, while
 * the codec needs more, as soon as that many bytes wait), before it is buffered whole. No I/O.
 *
 * Messages handed to the sink may share memory with the chunks written: nothing is ever written over bytes
 * that were handed out (a buffer that has handed out messages is replaced, not reused).
 */
export class MessageReader<T> {
  /** Bytes of an unfinished message: `pending[0, length)`, with room after it. */
  private pending: Buffer | null = null;
  private length = 0;
  /** The unfinished message's whole length once the codec has said it, else 0. */
  private need = 0;
  private failure: ReadFailure | null = null;

  constructor(
    private readonly codec: ProtocolCodec,
    private readonly maxMessageSize: number,
    private readonly sink: MessageSink<T>,
    private readonly target: T,
  ) {}

  /** Bytes waiting for the rest of their message. */
  get buffered(): number {
    return this.length;
  }

  /** Why the reader stopped, or null while it reads. */
  get failed(): ReadFailure | null {
    return this.failure;
  }

  /** Stops reading: later writes are ignored (the connection is closing). */
  stop(): void {
    this.failure ??= { code: ClientLogCode.BadMessage, reason: 'stopped' };
    this.release();
  }

  /**
   * Reads a chunk: every message it completes goes to the sink, in order. Returns null, or the failure that ends
   * the connection (then and on every later write).
   */
  write(chunk: Buffer): ReadFailure | null {
    if (this.failure) return this.failure;
    if (chunk.length === 0) return null;
    let bytes: Buffer;
    const fromPending = this.length !== 0;
    if (!fromPending) {
      bytes = chunk;
    } else {
      this.append(chunk);
      if (this.need > this.length) return null;
      bytes = this.pending!.subarray(0, this.length);
    }
    const { codec, maxMessageSize } = this;
    let offset = 0;
    while (offset < bytes.length) {
      const rest = offset === 0 ? bytes : bytes.subarray(offset);
      let size: number;
      try {
        size = codec.input(rest);
      } catch (cause) {
        return this.fail(ClientLogCode.CodecFailed, `${codec.name} input() threw: ${describe(cause)}`, cause);
      }
      if (size === 0) {
        if (rest.length >= maxMessageSize) {
          return this.fail(
            ClientLogCode.MessageTooLarge,
            `${rest.length} bytes without the end of a message (--max-message-size ${maxMessageSize})`,
          );
        }
        break;
      }
      if (typeof size !== 'number' || !Number.isInteger(size)) {
        return this.fail(ClientLogCode.CodecFailed, `${codec.name} input() returned ${describe(size)}, not a length`);
      }
      if (size < 0) return this.fail(ClientLogCode.BadMessage, `not a ${codec.name} message`);
      if (size > maxMessageSize) {
        return this.fail(
          ClientLogCode.MessageTooLarge,
          `a message of ${size} bytes (--max-message-size ${maxMessageSize})`,
        );
      }
      if (size > rest.length) {
        this.need = size;
        break;
      }
      let decoded: unknown;
      try {
        decoded = codec.decode(size === rest.length ? rest : rest.subarray(0, size));
      } catch (cause) {
        return this.fail(ClientLogCode.CodecFailed, `${codec.name} decode() threw: ${describe(cause)}`, cause);
      }
      let data: string | Buffer;
      if (typeof decoded === 'string' || Buffer.isBuffer(decoded)) data = decoded;
      else if (decoded instanceof Uint8Array) data = Buffer.from(decoded.buffer, decoded.byteOffset, decoded.length);
      else {
        return this.fail(
          ClientLogCode.CodecFailed,
          `${codec.name} decode() returned ${describe(decoded)}, not a string or bytes`,
        );
      }
      offset += size;
      this.need = 0;
      this.sink(this.target, data, size);
      // The sink may have closed the connection.
      if (this.failure) return this.failure;
    }
    this.keep(bytes, offset, fromPending);
    return null;
  }

  /** Keeps `bytes[offset..]`, the start of the next message, in a buffer of our own. */
  private keep(bytes: Buffer, offset: number, fromPending: boolean): void {
    const left = bytes.length - offset;
    if (left === 0) return this.release();
    // Still the same unfinished message in our own buffer: keep it where it is.
    if (offset === 0 && fromPending) return;
    const capacity = Math.max(MIN_CAPACITY, this.need, 2 * left);
    const fresh = Buffer.allocUnsafe(Math.min(capacity, Math.max(left, this.maxMessageSize)));
    bytes.copy(fresh, 0, offset);
    this.pending = fresh;
    this.length = left;
  }

  private append(chunk: Buffer): void {
    const pending = this.pending!;
    const total = this.length + chunk.length;
    if (total > pending.length) {
      const capacity = Math.max(total, this.need, Math.min(2 * pending.length, this.maxMessageSize));
      const grown = Buffer.allocUnsafe(capacity);
      pending.copy(grown, 0, 0, this.length);
      this.pending = grown;
    }
    chunk.copy(this.pending!, this.length);
    this.length = total;
  }

  private release(): void {
    this.pending = null;
    this.length = 0;
    this.need = 0;
  }

  private fail(code: ClientLogCode, reason: string, cause?: unknown): ReadFailure {
    this.failure = cause === undefined ? { code, reason } : { code, reason, cause };
    this.release();
    return this.failure;
  }
}

function describe(value: unknown): string {
  if (value instanceof Error) return value.message;
  if (typeof value === 'string') return JSON.stringify(value.slice(0, 40));
  if (value === null || typeof value !== 'object') return String(value);
  return Object.prototype.toString.call(value);
}
