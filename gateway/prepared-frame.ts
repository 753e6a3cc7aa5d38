import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';
import type { Payload } from '../shared/commands.ts';

/**
 * A server-to-client WebSocket message as the bytes of one complete frame, built once and written as is to
 * every client it goes to. Frames from a server are not masked, so the bytes are the same for every
 * recipient: a broadcast to 10,000 clients encodes once and makes 10,000 single-buffer writes, where
 * `ws.send` would frame the data again for each client and write header and payload separately.
 */
export interface PreparedFrame {
  frame: Buffer;
  /** Payload bytes, for the bytes-out counter. */
  payloadBytes: number;
}

const OPCODE_TEXT = 0x1;
const OPCODE_BINARY = 0x2;
const FIN = 0x80;

/** Frames a payload (RFC 6455 §5.2): a string as a text frame, bytes as a binary frame. */
export function prepareFrame(data: Payload): PreparedFrame {
  const text = typeof data === 'string';
  const length = text ? Buffer.byteLength(data) : data.length;
  const header = length < 126 ? 2 : length < 65536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(header + length);
  frame[0] = FIN | (text ? OPCODE_TEXT : OPCODE_BINARY);
  if (header === 2) frame[1] = length;
  else if (header === 4) {
    frame[1] = 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 127;
    frame.writeBigUInt64BE(BigInt(length), 2);
  }
  if (text) frame.write(data, header);
  else frame.set(data, header);
  return { frame, payloadBytes: length };
}

/**
 * Writes a prepared frame to an open client connection, as `ws.send` would. The gateway's WebSocket server
 * runs without permessage-deflate, so ws never queues frames of its own ahead of ours (it only does so while
 * compressing); `ws.bufferedAmount` counts what is waiting on the socket, ours included.
 */
export function writeFrame(ws: WebSocket, prepared: PreparedFrame): void {
  (ws as unknown as { _socket: Socket })._socket.write(prepared.frame);
}
