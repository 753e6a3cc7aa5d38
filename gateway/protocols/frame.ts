import { INVALID, NEED_MORE, type ProtocolCodec } from './codec.ts';

/** Bytes of the length header. */
const HEADER = 4;

/**
 * Workerman's Frame protocol: a 4-byte big-endian length that counts itself (4 + payload bytes), then the
 * payload. Received payloads reach handlers as a Buffer. A length below 4 is invalid (it cannot count its own
 * header), and cuts the client off.
 */
export const frameCodec: ProtocolCodec = {
  name: 'frame',
  input(buffer) {
    if (buffer.length < HEADER) return NEED_MORE;
    const total = buffer.readUInt32BE(0);
    return total < HEADER ? INVALID : total;
  },
  decode(message) {
    return message.subarray(HEADER);
  },
  encode(data) {
    const length = typeof data === 'string' ? Buffer.byteLength(data) : data.length;
    const out = Buffer.allocUnsafe(HEADER + length);
    out.writeUInt32BE(HEADER + length, 0);
    if (typeof data === 'string') out.write(data, HEADER);
    else out.set(data, HEADER);
    return out;
  },
};
