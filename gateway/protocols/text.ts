import { NEED_MORE, type ProtocolCodec } from './codec.ts';

const LF = 0x0a;
const CR = 0x0d;

/**
 * Workerman's Text protocol: each message ends with `\n`. A received message loses its `\n` and every `\r`
 * right before it (PHP's `rtrim($buffer, "\r\n")`, so `abc\r\n` and `abc\n` are both `abc`) and reaches
 * handlers as a string; a sent one gets `\n` appended.
 */
export const textCodec: ProtocolCodec = {
  name: 'text',
  input(buffer) {
    const end = buffer.indexOf(LF);
    return end === -1 ? NEED_MORE : end + 1;
  },
  decode(message) {
    let end = message.length;
    while (end > 0 && (message[end - 1] === LF || message[end - 1] === CR)) end--;
    return message.toString('utf8', 0, end);
  },
  encode(data) {
    if (typeof data !== 'string') {
      const out = Buffer.allocUnsafe(data.length + 1);
      out.set(data, 0);
      out[data.length] = LF;
      return out;
    }
    const length = Buffer.byteLength(data);
    const out = Buffer.allocUnsafe(length + 1);
    out.write(data, 0);
    out[length] = LF;
    return out;
  },
};
