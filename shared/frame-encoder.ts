import type { Socket } from 'node:net';
import { FRAME_HEADER_BYTES, packr } from './codec.ts';

/** One frame as bytes: 4-byte big-endian body length, then the msgpack body. */
export function encodeFrame(value: unknown): Buffer {
  const body = packr.pack(value);
  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + body.length);
  frame.writeUInt32BE(body.length, 0);
  body.copy(frame, FRAME_HEADER_BYTES);
  return frame;
}

/** @default 64 KiB: pending bytes at which a FrameWriter flushes without waiting for the end of the tick. */
export const DEFAULT_FLUSH_BYTES = 64 * 1024;

/**
 * Coalesces frames written to one socket: everything sent during a tick leaves in a single `write`
 * (one syscall), or earlier once `flushBytes` are pending.
 */
export class FrameWriter {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private scheduled = false;
  private readonly flushNow = () => this.flush();

  constructor(
    private readonly socket: Socket,
    private readonly flushBytes = DEFAULT_FLUSH_BYTES,
  ) {}

  send(value: unknown): void {
    const body = packr.pack(value);
    const header = Buffer.allocUnsafe(FRAME_HEADER_BYTES);
    header.writeUInt32BE(body.length, 0);
    this.pending.push(header, body);
    this.pendingBytes += FRAME_HEADER_BYTES + body.length;
    if (this.pendingBytes >= this.flushBytes) this.flush();
    else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flushNow);
    }
  }

  /** Writes everything pending now. */
  flush(): void {
    this.scheduled = false;
    if (this.pendingBytes === 0) return;
    const data = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    if (!this.socket.destroyed) this.socket.write(data);
  }
}
