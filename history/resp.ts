/**
 * RESP2, the protocol of Redis, as far as the history needs it: commands out as arrays of bulk strings, replies
 * in as simple strings, errors, integers, bulk strings (as Buffers, since kept data may be binary) and arrays.
 * No I/O here: RespReader takes bytes as they come and hands out whole replies.
 */

export type RespValue = string | number | Buffer | null | RespError | RespValue[];

/** An error reply (`-ERR ...`). */
export class RespError {
  constructor(readonly message: string) {}
}

/** One command as RESP bytes. */
export function encodeCommand(args: (string | number | Uint8Array)[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const arg of args) {
    const bytes = typeof arg === 'string' || typeof arg === 'number' ? Buffer.from(String(arg)) : Buffer.from(arg);
    parts.push(Buffer.from(`$${bytes.length}\r\n`), bytes, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

/** Marks "the buffer ends inside this reply": wait for more bytes. */
const INCOMPLETE = Symbol('incomplete');

/** Parses replies from a byte stream, whatever the chunking. */
export class RespReader {
  private buffer: Buffer = Buffer.alloc(0);

  /** Adds bytes and returns every reply they complete, in order. Throws on bytes that are not RESP. */
  push(chunk: Buffer): RespValue[] {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    const out: RespValue[] = [];
    for (;;) {
      const parsed = this.parse(0);
      if (parsed === INCOMPLETE) break;
      out.push(parsed[0]);
      this.buffer = this.buffer.subarray(parsed[1]);
    }
    return out;
  }

  private parse(at: number): [RespValue, number] | typeof INCOMPLETE {
    const end = this.buffer.indexOf('\r\n', at);
    if (end < 0) return INCOMPLETE;
    const line = this.buffer.toString('latin1', at + 1, end);
    const next = end + 2;
    switch (this.buffer[at]) {
      case 0x2b: // +
        return [line, next];
      case 0x2d: // -
        return [new RespError(line), next];
      case 0x3a: // :
        return [Number(line), next];
      case 0x24: {
        // $
        const length = Number(line);
        if (length < 0) return [null, next];
        if (this.buffer.length < next + length + 2) return INCOMPLETE;
        return [Buffer.from(this.buffer.subarray(next, next + length)), next + length + 2];
      }
      case 0x2a: {
        // *
        const count = Number(line);
        if (count < 0) return [null, next];
        const items: RespValue[] = [];
        let pos = next;
        for (let i = 0; i < count; i++) {
          const item = this.parse(pos);
          if (item === INCOMPLETE) return INCOMPLETE;
          items.push(item[0]);
          pos = item[1];
        }
        return [items, pos];
      }
      default:
        throw new Error(`not a RESP reply: byte ${this.buffer[at]}`);
    }
  }
}
