/**
 * @typedef {{ kind: 'data', data: string | ArrayBuffer }
 *   | { kind: 'kept', stream: string, epoch: string, offset: number, data: string | ArrayBuffer }
 *   | { kind: 'event', t: string, stream: string, epoch: string | null, offset: number | null }
 *   | { kind: 'invalid' }} KeptFrame
 */

const decoder = new TextDecoder();

/**
 * Reads one message of the recovery subprotocol: a tag (a character in text frames, a byte in binary ones) says
 * whether the rest is the data of an ordinary send (0), a kept message after its `[stream, epoch, offset]`
 * header (1), or an event of the gateway's as JSON (2).
 * @param {string | ArrayBuffer} frame
 * @returns {KeptFrame}
 */
export function readKeptFrame(frame) {
  try {
    if (typeof frame === 'string') {
      const tag = frame.charCodeAt(0) - 48;
      if (tag === 0) return { kind: 'data', data: frame.slice(1) };
      if (tag === 1) {
        const newline = frame.indexOf('\n');
        if (newline < 0) return { kind: 'invalid' };
        return kept(JSON.parse(frame.slice(1, newline)), frame.slice(newline + 1));
      }
      if (tag === 2) {
        const event = JSON.parse(frame.slice(1));
        if (typeof event?.t !== 'string' || typeof event.stream !== 'string') return { kind: 'invalid' };
        return {
          kind: 'event',
          t: event.t,
          stream: event.stream,
          epoch: typeof event.epoch === 'string' ? event.epoch : null,
          offset: Number.isSafeInteger(event.offset) ? event.offset : null,
        };
      }
      return { kind: 'invalid' };
    }
    const bytes = new Uint8Array(frame);
    if (bytes[0] === 0) return { kind: 'data', data: frame.slice(1) };
    if (bytes[0] === 1 && bytes.length >= 3) {
      const length = ((bytes[1] ?? 0) << 8) | (bytes[2] ?? 0);
      const header = JSON.parse(decoder.decode(bytes.subarray(3, 3 + length)));
      return kept(header, frame.slice(3 + length));
    }
  } catch {
    // A header that is not JSON.
  }
  return { kind: 'invalid' };
}

/**
 * @param {unknown} header
 * @param {string | ArrayBuffer} data
 * @returns {KeptFrame}
 */
function kept(header, data) {
  if (!Array.isArray(header)) return { kind: 'invalid' };
  const [stream, epoch, offset] = header;
  if (typeof stream !== 'string' || typeof epoch !== 'string' || !Number.isSafeInteger(offset)) {
    return { kind: 'invalid' };
  }
  return { kind: 'kept', stream, epoch, offset, data };
}
