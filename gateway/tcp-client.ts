import type { Socket } from 'node:net';
import { OPEN, type ClientConnection } from './client-connection.ts';
import type { ClientState } from './client-registry.ts';
import type { ProtocolCodec } from './protocols/codec.ts';
import { MessageReader, type MessageSink } from './protocols/message-reader.ts';

const CLOSING = 2;
const CLOSED = 3;
/** How long a closed connection may take to send what is queued before it is cut. */
const CLOSE_TIMEOUT_MS = 2000;

/**
 * One client on a TCP gateway: its socket, the reader that cuts its bytes into messages, and the members of a
 * `ClientConnection`. `close` sends what is queued, then the end of the stream (there is no close code on plain
 * TCP: the reason is only logged); a peer that does not close its side within 2 s is cut.
 */
export class TcpClient implements ClientConnection {
  readyState = OPEN;
  /** Set once the gateway admitted the connection. */
  client: ClientState | null = null;
  readonly reader: MessageReader<TcpClient>;
  private closeTimer: NodeJS.Timeout | null = null;

  constructor(
    readonly socket: Socket,
    codec: ProtocolCodec,
    maxMessageSize: number,
    sink: MessageSink<TcpClient>,
  ) {
    this.reader = new MessageReader<TcpClient>(codec, maxMessageSize, sink, this as TcpClient);
  }

  get bufferedAmount(): number {
    return this.socket.writableLength;
  }

  /** Writes bytes already encoded for the wire (a prepared message). */
  write(bytes: Buffer): void {
    if (this.readyState === OPEN) this.socket.write(bytes);
  }

  close(): void {
    if (this.readyState !== OPEN) return;
    this.readyState = CLOSING;
    this.reader.stop();
    this.socket.end();
    this.closeTimer = setTimeout(() => this.socket.destroy(), CLOSE_TIMEOUT_MS).unref();
  }

  terminate(): void {
    this.readyState = CLOSED;
    this.reader.stop();
    this.socket.destroy();
  }

  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  /** The socket is gone. */
  closed(): void {
    this.readyState = CLOSED;
    if (this.closeTimer) clearTimeout(this.closeTimer);
  }
}
