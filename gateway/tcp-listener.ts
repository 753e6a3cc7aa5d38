import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import type { HostPort } from '../shared/address.ts';
import type { PublicTls } from './http-server.ts';
import type { ProtocolCodec } from './protocols/codec.ts';
import type { ReadFailure } from './protocols/message-reader.ts';
import { TcpClient } from './tcp-client.ts';

/** A TLS client that has not finished its handshake within this time is cut off. */
const TLS_HANDSHAKE_TIMEOUT_MS = 10_000;

/** What a TCP listener tells the gateway about its connections. */
export interface TcpClientEvents {
  /** A new connection: admit it (set `conn.client`) or refuse it (`conn.terminate()`). */
  connected(conn: TcpClient): void;
  message(conn: TcpClient, data: string | Buffer, bytes: number): void;
  /** The client sent bytes that are not a message of the protocol, or one too large: it is being cut off. */
  badInput(conn: TcpClient, failure: ReadFailure): void;
  error(conn: TcpClient, err: Error & { code?: string }): void;
  closed(conn: TcpClient): void;
}

/** Where a socket keeps its client, for the shared listeners. */
const CONN = Symbol('tcp client');
type ClientSocket = Socket & { [CONN]: TcpClient };

/**
 * The public port of a TCP gateway: plain TCP or TLS, each connection a `TcpClient` speaking the gateway's codec.
 * The socket listeners are made once per listener, not per connection.
 */
export class TcpListener {
  private closed: Promise<void> | null = null;
  private readonly server: Server | TlsServer;

  constructor(
    private readonly codec: ProtocolCodec,
    private readonly maxMessageSize: number,
    private readonly events: TcpClientEvents,
    tls?: PublicTls,
  ) {
    const accept = (socket: Socket) => this.accept(socket);
    this.server = tls
      ? createTlsServer({ ...tls, minVersion: 'TLSv1.2', handshakeTimeout: TLS_HANDSHAKE_TIMEOUT_MS }, accept)
      : createServer(accept);
    // A TLS handshake that fails concerns that connection only.
    this.server.on('tlsClientError', (_err: Error, socket: Socket) => socket.destroy());
  }

  /** Swaps the certificate for new connections (open ones keep theirs). */
  setTls(tls: PublicTls): void {
    if (!('setSecureContext' in this.server)) throw new Error('this port was started without TLS');
    this.server.setSecureContext({ ...tls, minVersion: 'TLSv1.2' });
  }

  async listen(at: HostPort): Promise<HostPort> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(at.port, at.host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    return { host: at.host, port: (this.server.address() as AddressInfo).port };
  }

  /** Stops accepting new connections; the open ones go on (a drain closes them one by one). */
  stopAccepting(): void {
    // Resolves once the last connection is gone, whoever stopped accepting first.
    this.closed ??= new Promise((resolve) => this.server.close(() => resolve()));
  }

  /** Stops accepting and resolves once every connection is gone: close the clients first. */
  close(): Promise<void> {
    if (!this.server.listening && !this.closed) return Promise.resolve();
    this.stopAccepting();
    return this.closed!;
  }

  private accept(socket: Socket): void {
    const conn = new TcpClient(socket, this.codec, this.maxMessageSize, this.onMessage);
    (socket as ClientSocket)[CONN] = conn;
    socket.setNoDelay(true);
    const on = this.listeners;
    socket.on('data', on.data);
    socket.on('error', on.error);
    socket.on('close', on.close);
    this.events.connected(conn);
  }

  private readonly onMessage = (conn: TcpClient, data: string | Buffer, bytes: number) =>
    this.events.message(conn, data, bytes);

  private readonly listeners = this.makeListeners();

  private makeListeners() {
    const listener = this;
    return {
      data(this: Socket, chunk: Buffer) {
        const conn = (this as ClientSocket)[CONN];
        if (conn.readyState !== 1) return;
        const failure = conn.reader.write(chunk);
        if (failure && conn.readyState === 1) {
          listener.events.badInput(conn, failure);
          conn.terminate();
        }
      },
      error(this: Socket, err: Error) {
        listener.events.error((this as ClientSocket)[CONN], err);
      },
      close(this: Socket) {
        const conn = (this as ClientSocket)[CONN];
        conn.closed();
        listener.events.closed(conn);
      },
    };
  }
}
