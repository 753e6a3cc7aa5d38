import { DEFAULT_MAX_FRAME_SIZE, FRAME_HEADER_BYTES, packr } from './codec.ts';
import { ErrorCode, SwitchboardError } from './errors.ts';
import { COMPACT_MARKER, decodeCompact } from './frame-compact.ts';

/**
 * Splits a byte stream into frames (4-byte big-endian length + msgpack body, or a compact body: see
 * frame-compact.ts) and hands each decoded body to `onFrame`. Only whole frames are decoded; a declared length
 * above `maxFrameSize` is refused before any of its body is buffered, so a peer can never make us hold more
 * than one maximal frame.
 *
 * After the first error `write` throws that error and the decoder ignores everything that follows: the
 * caller closes the connection.
 */
export class FrameDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** Body length of the frame being read, or -1 while waiting for a header. */
  private expected = -1;
  private failed = false;
  /** Where the next body lies in the chunk it is decoded from (reused: one per frame would be garbage). */
  private readonly range = { start: 0, end: 0 };

  constructor(
    /** `checked`: the value is a message already checked against the command table (a compact frame). */
    private readonly onFrame: (value: unknown, checked: boolean) => void,
    /** May be raised later (e.g. once a peer is authenticated). */
    public maxFrameSize = DEFAULT_MAX_FRAME_SIZE,
  ) {}

  /** Bytes held for an incomplete frame. */
  get pendingBytes(): number {
    return this.buffered;
  }

  write(chunk: Buffer): void {
    if (this.failed) return;
    if (chunk.length === 0) return;
    if (this.buffered === 0 && this.expected < 0) {
      // Nothing held back: decode the whole frames straight out of the chunk, without copying or slicing.
      let offset = 0;
      while (chunk.length - offset >= FRAME_HEADER_BYTES) {
        const start = offset + FRAME_HEADER_BYTES;
        const end = start + this.checkLength(chunk.readUInt32BE(offset));
        if (end > chunk.length) break;
        this.decode(chunk, start, end);
        offset = end;
      }
      if (offset === chunk.length) return;
      if (offset > 0) chunk = chunk.subarray(offset);
    }
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    for (;;) {
      if (this.expected < 0) {
        if (this.buffered < FRAME_HEADER_BYTES) return;
        this.expected = this.checkLength(this.take(FRAME_HEADER_BYTES).readUInt32BE(0));
      }
      if (this.buffered < this.expected) return;
      const body = this.take(this.expected);
      this.expected = -1;
      this.decode(body, 0, body.length);
    }
  }

  /** The declared body length, if it is within the limit. */
  private checkLength(length: number): number {
    if (length > this.maxFrameSize) {
      this.fail(
        new SwitchboardError(
          ErrorCode.FrameTooLarge,
          `frame of ${length} bytes is above the limit of ${this.maxFrameSize} bytes (maxFrameSize)`,
        ),
      );
    }
    return length;
  }

  /** Decodes the body at `start..end` of `bytes` and hands it on. */
  private decode(bytes: Buffer, start: number, end: number): void {
    const { range } = this;
    range.start = start;
    range.end = end;
    if (end > start && bytes[start] === COMPACT_MARKER) {
      let message: unknown;
      try {
        message = decodeCompact(bytes, start, end);
      } catch (err) {
        this.fail(
          err instanceof SwitchboardError
            ? err
            : new SwitchboardError(ErrorCode.BadFrame, 'compact frame does not decode', { cause: err }),
        );
      }
      return this.onFrame(message, true);
    }
    let value: unknown;
    try {
      // msgpackr succeeds only when the value ends exactly at `end`.
      value = packr.unpack(bytes, range);
    } catch (cause) {
      this.fail(new SwitchboardError(ErrorCode.BadFrame, 'frame body is not valid msgpack', { cause }));
    }
    this.onFrame(value, false);
  }

  private fail(err: SwitchboardError): never {
    this.failed = true;
    this.chunks = [];
    this.buffered = 0;
    throw err;
  }

  /** Removes and returns the next `n` buffered bytes (n <= buffered). */
  private take(n: number): Buffer {
    this.buffered -= n;
    const first = this.chunks[0]!;
    if (first.length === n) {
      this.chunks.shift();
      return first;
    }
    if (first.length > n) {
      this.chunks[0] = first.subarray(n);
      return first.subarray(0, n);
    }
    const out = Buffer.allocUnsafe(n);
    let offset = 0;
    while (offset < n) {
      const chunk = this.chunks[0]!;
      const need = n - offset;
      if (chunk.length <= need) {
        chunk.copy(out, offset);
        offset += chunk.length;
        this.chunks.shift();
      } else {
        chunk.copy(out, offset, 0, need);
        this.chunks[0] = chunk.subarray(need);
        offset = n;
      }
    }
    return out;
  }
}
