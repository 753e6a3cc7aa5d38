import type { Socket } from 'node:net';

/** @default 64 KiB: pending bytes at which a FrameWriter flushes without waiting for the end of the tick. */
export const DEFAULT_FLUSH_BYTES = 64 * 1024;

/** @default 64 MiB: bytes waiting for a peer that does not read, past which its link is closed. */
export const DEFAULT_MAX_LINK_BACKLOG = 64 * 1024 * 1024;

/** What a FrameWriter needs of its socket. */
export type WritableSocket = Pick<Socket, 'write' | 'writableLength' | 'destroyed'>;

/**
 * Coalesces frames (already encoded, see encodeFrame) written to one socket: everything sent during a tick
 * leaves in a single `write` (one syscall), or earlier once `flushBytes` are pending. When more than
 * `maxBacklog` bytes wait in the socket (a peer that stopped reading but whose silence the heartbeat has not
 * caught yet), `onBacklog` is called once, so memory stays bounded.
 */
export class FrameWriter {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private scheduled = false;
  private readonly flushNow = () => this.flush();

  private overflowed = false;

  constructor(
    private readonly socket: WritableSocket,
    private readonly maxBacklog = DEFAULT_MAX_LINK_BACKLOG,
    private readonly onBacklog: (bytes: number) => void = () => {},
    private readonly flushBytes = DEFAULT_FLUSH_BYTES,
  ) {}

  /** Queues one encoded frame, e.g. one written to several peers. */
  sendFrame(frame: Buffer): void {
    this.pending.push(frame);
    this.pendingBytes += frame.length;
    if (this.pendingBytes >= this.flushBytes) this.flush();
    else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flushNow);
    }
  }

  /** Writes everything pending now, as one buffer. */
  flush(): void {
    this.scheduled = false;
    if (this.pendingBytes === 0) return;
    const data = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    if (this.socket.destroyed) return;
    this.socket.write(data);
    const waiting = this.socket.writableLength;
    if (waiting > this.maxBacklog && !this.overflowed) {
      this.overflowed = true;
      this.onBacklog(waiting);
    }
  }
}
