import { FRAME_HEADER_BYTES, packr } from './codec.ts';
import { Cmd, isPlainObject, MAX_NAME_LENGTH, MAX_NESTING, nestsAtMost, type Message } from './commands.ts';
import { ErrorCode, SwitchboardError } from './errors.ts';

/**
 * A compact fixed layout for the commands on the hot path of every message: a client's events (EvMessage,
 * EvClose), the worker's "event done" (EventDone), and sends to clients and uids by name (SendToClients,
 * SendToUids without `kept`). The same fields as the msgpack map of the command table, without the map: no
 * field names, no per-field type tags, the payload as raw bytes at the end of the frame.
 *
 * A compact body starts with COMPACT_MARKER (0xc1), a byte msgpack never uses, so a reader tells the two
 * apart by the first byte and any frame may be either. A peer sends compact frames only when the other side
 * said in its handshake that it reads them (`compact` in Auth and AuthOk, see link.ts): a process of an
 * older version never gets one.
 *
 *   body = 0xc1 | cmd (u8) | fields of cmd
 *   EvMessage, EvClose: flags (u8) | client | uid? | ip? | port? (u16) | routeKey? | ahead? (u32)
 *                       | session? (u32 length + msgpack map) | data (EvMessage: the rest of the body)
 *   EventDone:          client
 *   SendToClients, SendToUids: flags (u8) | count (u16) | count names | id? (u32) | data (the rest)
 *
 * A name is a u16 byte length and its UTF-8 bytes; numbers are big-endian; `?` fields are there when their
 * flag is set (absent or null otherwise; an empty session is left out). Whatever does not fit this layout (a
 * port above 65,535, a kept send, more than 65,535 names) is sent as a msgpack map instead.
 */
export const COMPACT_MARKER = 0xc1;

/** The layout version a peer announces in its handshake; this file reads and writes version 1. */
export const COMPACT_VERSION = 1;

const F_TEXT = 0x01;
const F_UID = 0x02;
const F_SESSION = 0x04;
const F_IP = 0x08;
const F_PORT = 0x10;
const F_ROUTE_KEY = 0x20;
const F_AHEAD = 0x40;
/** Sends: flag of the `id` field (the text flag is shared). */
const F_ID = 0x02;

const U16 = 0xffff;
const U32 = 0xffffffff;

const byteLength = (s: string) => Buffer.byteLength(s);

/** A session worth sending: a map with at least one key (the empty one is the default on both sides). */
function hasKeys(map: Record<string, unknown>): boolean {
  for (const _ in map) return true;
  return false;
}

const fitsU16 = (n: number) => Number.isInteger(n) && n >= 0 && n <= U16;
const fitsU32 = (n: number) => Number.isInteger(n) && n >= 0 && n <= U32;

/**
 * The whole frame (4-byte length header, then the compact body) for `msg`, or null when the command has no
 * compact layout or a field does not fit it: then send it as a msgpack map (encodeFrame).
 */
export function encodeCompact(msg: Message): Buffer | null {
  switch (msg.cmd) {
    case Cmd.EvMessage:
    case Cmd.EvClose:
      return encodeEvent(msg);
    case Cmd.EventDone: {
      const n = byteLength(msg.client);
      const frame = start(4 + n, msg.cmd);
      frame.writeUInt16BE(n, 6);
      frame.write(msg.client, 8);
      return frame;
    }
    case Cmd.SendToClients:
      return encodeSend(msg.cmd, msg.clients, msg.data, msg.id);
    case Cmd.SendToUids:
      return msg.kept == null ? encodeSend(msg.cmd, msg.uids, msg.data, msg.id) : null;
    default:
      return null;
  }
}

/** A frame of `body` bytes with the header, the marker and the command written. */
function start(body: number, cmd: number): Buffer {
  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + body);
  frame.writeUInt32BE(body, 0);
  frame[4] = COMPACT_MARKER;
  frame[5] = cmd;
  return frame;
}

/** Writes a name (u16 byte length, bytes) of `bytes` bytes at `offset`; returns the offset after it. */
function writeName(frame: Buffer, offset: number, name: string, bytes: number): number {
  frame.writeUInt16BE(bytes, offset);
  if (bytes > 0) frame.write(name, offset + 2, bytes);
  return offset + 2 + bytes;
}

type EventMessage = Extract<Message, { cmd: typeof Cmd.EvMessage | typeof Cmd.EvClose }>;

function encodeEvent(msg: EventMessage): Buffer | null {
  const { client, uid, ip, port, routeKey, ahead, session } = msg;
  const data = msg.cmd === Cmd.EvMessage ? msg.data : null;
  if (port != null && !fitsU16(port)) return null;
  if (ahead != null && !fitsU32(ahead)) return null;
  let flags = 0;
  const clientBytes = byteLength(client);
  let size = 2 + 1 + 2 + clientBytes;
  let uidBytes = 0;
  if (uid != null) {
    flags |= F_UID;
    size += 2 + (uidBytes = byteLength(uid));
  }
  let ipBytes = 0;
  if (ip != null) {
    flags |= F_IP;
    size += 2 + (ipBytes = byteLength(ip));
  }
  if (port != null) {
    flags |= F_PORT;
    size += 2;
  }
  let keyBytes = 0;
  if (routeKey != null) {
    flags |= F_ROUTE_KEY;
    size += 2 + (keyBytes = byteLength(routeKey));
  }
  if (ahead != null) {
    flags |= F_AHEAD;
    size += 4;
  }
  let packed: Buffer | null = null;
  if (hasKeys(session)) {
    flags |= F_SESSION;
    packed = packr.pack(session);
    size += 4 + packed.length;
  }
  let dataBytes = 0;
  if (typeof data === 'string') {
    flags |= F_TEXT;
    size += dataBytes = byteLength(data);
  } else if (data !== null) {
    size += dataBytes = data.length;
  }
  const frame = start(size, msg.cmd);
  frame[6] = flags;
  let o = writeName(frame, 7, client, clientBytes);
  if (uid != null) o = writeName(frame, o, uid, uidBytes);
  if (ip != null) o = writeName(frame, o, ip, ipBytes);
  if (port != null) o = frame.writeUInt16BE(port, o);
  if (routeKey != null) o = writeName(frame, o, routeKey, keyBytes);
  if (ahead != null) o = frame.writeUInt32BE(ahead, o);
  if (packed !== null) {
    o = frame.writeUInt32BE(packed.length, o);
    frame.set(packed, o);
    o += packed.length;
  }
  if (typeof data === 'string') frame.write(data, o, dataBytes);
  else if (data !== null) frame.set(data, o);
  return frame;
}

function encodeSend(cmd: number, names: string[], data: string | Uint8Array, id: number | null | undefined) {
  if (names.length > U16 || (id != null && !fitsU32(id))) return null;
  const lengths = names.length === 1 ? null : names.map(byteLength);
  const oneLength = lengths === null ? byteLength(names[0]!) : 0;
  let size = 2 + 1 + 2 + (lengths === null ? 2 + oneLength : 2 * names.length);
  if (lengths !== null) for (const n of lengths) size += n;
  let flags = 0;
  if (id != null) {
    flags |= F_ID;
    size += 4;
  }
  const text = typeof data === 'string';
  const dataBytes = text ? byteLength(data) : data.length;
  if (text) flags |= F_TEXT;
  size += dataBytes;
  const frame = start(size, cmd);
  frame[6] = flags;
  let o = frame.writeUInt16BE(names.length, 7);
  if (lengths === null) o = writeName(frame, o, names[0]!, oneLength);
  else for (let i = 0; i < names.length; i++) o = writeName(frame, o, names[i]!, lengths[i]!);
  if (id != null) o = frame.writeUInt32BE(id, o);
  if (text) frame.write(data, o, dataBytes);
  else frame.set(data, o);
  return frame;
}

function bad(what: string): never {
  throw new SwitchboardError(ErrorCode.BadFrame, `compact frame: ${what}`);
}

/**
 * Reads one compact body at `start..end` of `bytes` (its first byte is COMPACT_MARKER) into the same message
 * the msgpack map would give, checked as parseMessage checks it. Binary payloads are views of `bytes`, as
 * msgpackr's are. Throws SB_ERR_BAD_FRAME for anything malformed: an unknown command, a field running past
 * the end, bytes left over, a name too long, a session that is not a map.
 */
export function decodeCompact(bytes: Buffer, start: number, end: number): Message {
  if (end - start < 2) bad('no command');
  const reader = READER.reset(bytes, start + 2, end);
  const cmd = bytes[start + 1]!;
  switch (cmd) {
    case Cmd.EvMessage:
    case Cmd.EvClose: {
      const flags = reader.u8();
      const client = reader.name();
      const uid = flags & F_UID ? reader.name() : null;
      const ip = flags & F_IP ? reader.name() : null;
      const port = flags & F_PORT ? reader.u16() : null;
      const routeKey = flags & F_ROUTE_KEY ? reader.name() : null;
      const ahead = flags & F_AHEAD ? reader.u32() : null;
      const session = flags & F_SESSION ? reader.session() : {};
      if (cmd === Cmd.EvClose) {
        reader.end();
        return { cmd, client, uid, session, ip, port, routeKey, ahead };
      }
      const data = reader.rest(flags & F_TEXT);
      return { cmd, client, uid, session, data, ip, port, routeKey, ahead };
    }
    case Cmd.EventDone: {
      const client = reader.name();
      reader.end();
      return { cmd, client };
    }
    case Cmd.SendToClients:
    case Cmd.SendToUids: {
      const flags = reader.u8();
      const count = reader.u16();
      const names: string[] = new Array<string>(count);
      for (let i = 0; i < count; i++) names[i] = reader.name();
      const id = flags & F_ID ? reader.u32() : null;
      const data = reader.rest(flags & F_TEXT);
      return cmd === Cmd.SendToClients ? { cmd, clients: names, data, id } : { cmd, uids: names, data, id };
    }
    default:
      return bad(`no compact layout for command ${cmd}`);
  }
}

/** Reads fields in order, each checked against the end of the body. One for the module: decoding is synchronous. */
class CompactReader {
  private bytes: Buffer = EMPTY;
  private offset = 0;
  private limit = 0;

  reset(bytes: Buffer, offset: number, limit: number): this {
    this.bytes = bytes;
    this.offset = offset;
    this.limit = limit;
    return this;
  }

  private need(n: number): number {
    const at = this.offset;
    if (at + n > this.limit) bad('a field runs past the end of the frame');
    this.offset = at + n;
    return at;
  }

  u8(): number {
    return this.bytes[this.need(1)]!;
  }

  u16(): number {
    return this.bytes.readUInt16BE(this.need(2));
  }

  u32(): number {
    return this.bytes.readUInt32BE(this.need(4));
  }

  name(): string {
    const n = this.u16();
    const at = this.need(n);
    const name = n === 0 ? '' : this.bytes.toString('utf8', at, at + n);
    if (name.length > MAX_NAME_LENGTH) bad(`a name is longer than ${MAX_NAME_LENGTH} characters`);
    return name;
  }

  session(): Record<string, unknown> {
    const n = this.u32();
    const at = this.need(n);
    let value: unknown;
    try {
      value = packr.unpack(this.bytes, { start: at, end: at + n });
    } catch {
      bad('the session is not valid msgpack');
    }
    // msgpackr decodes the unused byte 0xc1 as an object of its own: only a real map will do.
    if (!isPlainObject(value) || Object.getPrototypeOf(value) !== Object.prototype || !nestsAtMost(value)) {
      bad(`the session must be a map nested at most ${MAX_NESTING} deep`);
    }
    return value;
  }

  /** The rest of the body: the payload, as text or bytes. */
  rest(text: number): string | Buffer {
    const at = this.offset;
    this.offset = this.limit;
    const { bytes } = this;
    // Let go of the chunk: the reader outlives the frame.
    this.bytes = EMPTY;
    return text ? bytes.toString('utf8', at, this.limit) : bytes.subarray(at, this.limit);
  }

  end(): void {
    this.bytes = EMPTY;
    if (this.offset !== this.limit) bad(`${this.limit - this.offset} byte(s) after the last field`);
  }
}

const EMPTY = Buffer.alloc(0);
const READER = new CompactReader();
