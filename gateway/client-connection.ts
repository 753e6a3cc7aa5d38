import type { WebSocket } from 'ws';
import type { Payload } from '../shared/commands.ts';
import type { Logger } from '../shared/logger.ts';
import { ClientLogCode } from '../shared/errors.ts';
import type { ProtocolCodec } from './protocols/codec.ts';
import { prepareFrame, writeFrame, type PreparedFrame } from './prepared-frame.ts';
import type { TcpClient } from './tcp-client.ts';

/**
 * What the gateway needs of one client connection, whatever its protocol: a `ws` WebSocket has all of it as
 * it is, a TCP client (`TcpClient`) has the same members. Registry, commands, heartbeats and limits use only
 * this, and writes go through the gateway's `ClientWire`.
 */
export interface ClientConnection {
  /** 1 (open) while messages may be sent; 2 closing, 3 closed (the WebSocket numbers). */
  readonly readyState: number;
  /** Bytes written and not yet handed to the kernel: what the slow-consumer policy looks at. */
  readonly bufferedAmount: number;
  /** Closes after what is already written is sent; the code and reason reach WebSocket clients only. */
  close(code?: number, reason?: string): void;
  /** Cuts the connection at once. */
  terminate(): void;
  /** Stops reading the client (TCP then slows it down); `resume` reads again. */
  pause(): void;
  resume(): void;
}

/** `readyState` of an open connection. */
export const OPEN = 1;

/**
 * How the messages of one gateway reach its clients: a message is encoded once for the gateway's protocol
 * (`prepare`) and the same bytes are written to every recipient (`write`). One per gateway: a gateway speaks
 * one protocol.
 */
export interface ClientWire {
  /** `websocket`, `text`, `frame` or a codec's name. */
  readonly protocol: string;
  /** The bytes of a message on this wire, or null when the codec failed on it (logged; nobody gets it). */
  prepare(data: Payload): PreparedFrame | null;
  write(conn: ClientConnection, out: PreparedFrame): void;
  /**
   * What a heartbeat sends to a client, or null when there is no heartbeat: a WebSocket ping (or `pingData` as
   * a text message), `pingData` encoded by the codec, and nothing for TCP without `pingData` (plain TCP has no
   * ping of its own, so silence is no sign of a dead device).
   */
  heartbeat(pingData: string): ((conn: ClientConnection) => void) | null;
}

/** The WebSocket wire: prepared frames written straight to the socket. */
export const websocketWire: ClientWire = {
  protocol: 'websocket',
  prepare: prepareFrame,
  write(conn, out) {
    writeFrame(conn as WebSocket, out);
  },
  heartbeat(pingData) {
    if (!pingData) return (conn) => (conn as WebSocket).ping();
    const text = Buffer.from(pingData);
    return (conn) => (conn as WebSocket).send(text, { binary: false });
  },
};

/** A TCP wire: messages encoded by the codec, once per send. */
export function codecWire(codec: ProtocolCodec, log: Logger): ClientWire {
  const prepare = (data: Payload): PreparedFrame | null => {
    let frame: unknown;
    try {
      frame = codec.encode(typeof data === 'string' ? data : Buffer.from(data.buffer, data.byteOffset, data.length));
    } catch (err) {
      log.error(`the ${codec.name} protocol could not encode a message, which nobody gets: ${(err as Error).message}`, {
        code: ClientLogCode.CodecFailed,
        error: err,
      });
      return null;
    }
    if (!(frame instanceof Uint8Array)) {
      log.error(`the ${codec.name} protocol's encode() returned no bytes; the message is not sent`, {
        code: ClientLogCode.CodecFailed,
      });
      return null;
    }
    const payloadBytes = typeof data === 'string' ? Buffer.byteLength(data) : data.length;
    return {
      frame: Buffer.isBuffer(frame) ? frame : Buffer.from(frame.buffer, frame.byteOffset, frame.length),
      payloadBytes,
    };
  };
  return {
    protocol: codec.name,
    prepare,
    write(conn, out) {
      (conn as TcpClient).write(out.frame);
    },
    heartbeat(pingData) {
      if (!pingData) return null;
      const ping = prepare(pingData);
      return ping ? (conn) => (conn as TcpClient).write(ping.frame) : null;
    },
  };
}
