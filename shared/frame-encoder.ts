import { RESERVE_START_SPACE } from 'msgpackr';
import { FRAME_HEADER_BYTES, packr } from './codec.ts';

/**
 * One frame as bytes: 4-byte big-endian body length, then the msgpack body. msgpackr leaves room for the
 * header in front of the body, so a frame is one buffer with no copy. It is a view of msgpackr's own buffer,
 * which later packs do not overwrite: safe to hold until it is written. No I/O here: sockets are written by
 * FrameWriter (frame-writer.ts).
 */
export function encodeFrame(value: unknown): Buffer {
  const frame = packr.pack(value, RESERVE_START_SPACE | FRAME_HEADER_BYTES);
  frame.writeUInt32BE(frame.length - FRAME_HEADER_BYTES, 0);
  return frame;
}
