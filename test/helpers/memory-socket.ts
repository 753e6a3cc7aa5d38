import { EventEmitter } from 'node:events';
import type { LinkSocket } from '../../shared/link.ts';

/**
 * One end of an in-memory connection with what a Link needs of a socket: bytes written at one end arrive
 * at the other on a later tick, as on a real socket. For unit tests of the link's handshake and error
 * boundary; integration tests use real sockets.
 */
export class MemorySocket extends EventEmitter implements LinkSocket {
  peer!: MemorySocket;
  destroyed = false;
  readonly writableLength = 0;
  /** Every chunk written by this end, for assertions. */
  readonly written: Buffer[] = [];
  private ended = false;

  constructor(readonly remoteAddress: string) {
    super();
  }

  /** Two connected ends: `[client, server]`. */
  static pair(): [MemorySocket, MemorySocket] {
    const a = new MemorySocket('10.0.0.1');
    const b = new MemorySocket('10.0.0.2');
    a.peer = b;
    b.peer = a;
    return [a, b];
  }

  get remotePort(): number {
    return 1000;
  }

  setNoDelay(): this {
    return this;
  }

  write(data: Buffer): boolean {
    if (this.destroyed || this.ended) return false;
    const copy = Buffer.from(data);
    this.written.push(copy);
    setImmediate(() => {
      if (!this.peer.destroyed) this.peer.emit('data', copy);
    });
    return true;
  }

  end(): this {
    if (this.ended) return this;
    this.ended = true;
    // What was written before end() arrives first; then both ends are closed.
    setImmediate(() => {
      this.destroy();
      this.peer.destroy();
    });
    return this;
  }

  destroy(): this {
    if (this.destroyed) return this;
    this.destroyed = true;
    setImmediate(() => this.emit('close'));
    return this;
  }
}
