import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { ProtocolCodec } from '../../gateway/protocols/codec.ts';
import { MessageReader } from '../../gateway/protocols/message-reader.ts';
import { field, Inbox } from './inbox.ts';

/** A message from the gateway: the decoded data, parsed as JSON when it is JSON text. */
type Incoming = { data: unknown; raw: string | Buffer };

/**
 * A device on a TCP gateway, made with Node's `net` (or `tls`): it frames what it sends with `codec` and queues
 * what it receives, so tests await the next message as with the WebSocket TestClient.
 */
export class TcpTestClient {
  readonly socket: Socket;
  private readonly inbox = new Inbox<Incoming>((m) => m.data);
  readonly received = this.inbox.items;
  readonly closed: Promise<void>;
  readonly opened: Promise<void>;
  private nextId = 1;
  clientId = '';

  constructor(
    host: string,
    port: number,
    readonly codec: ProtocolCodec,
    tls?: { ca: Buffer },
    localAddress?: string,
  ) {
    this.socket = tls ? tlsConnect({ host, port, ca: tls.ca }) : netConnect({ host, port, localAddress });
    this.opened = new Promise((resolve, reject) => {
      this.socket.once(tls ? 'secureConnect' : 'connect', () => resolve());
      this.socket.once('error', reject);
    });
    this.closed = new Promise((resolve) =>
      this.socket.once('close', () => {
        resolve();
        this.inbox.wake();
      }),
    );
    this.socket.on('error', () => {});
    const reader = new MessageReader(
      codec,
      1 << 24,
      (inbox: Inbox<Incoming>, raw) => {
        let data: unknown = raw;
        const text = typeof raw === 'string' ? raw : raw.toString();
        if (text.startsWith('{') || text.startsWith('[') || text.startsWith('"')) {
          try {
            data = JSON.parse(text);
          } catch {
            data = raw;
          }
        }
        inbox.push({ data, raw });
      },
      this.inbox,
    );
    this.socket.on('data', (chunk) => {
      const failure = reader.write(chunk);
      if (failure)
        this.socket.destroy(new Error(`the gateway sent bytes that are not ${codec.name}: ${failure.reason}`));
    });
  }

  /** Connects and waits for the hello the test apps send from onConnect. */
  static async connect(
    host: string,
    port: number,
    codec: ProtocolCodec,
    tls?: { ca: Buffer },
  ): Promise<TcpTestClient & { hello: Record<string, unknown> }> {
    const client = new TcpTestClient(host, port, codec, tls);
    await client.opened;
    const hello = (await client.next((m) => field(m, 'type') === 'hello')) as Record<string, unknown>;
    client.clientId = String(hello.clientId);
    return Object.assign(client, { hello });
  }

  /** Sends one message, framed by the codec. */
  send(data: string | Buffer): void {
    this.socket.write(this.codec.encode(data));
  }

  next(test?: (data: unknown) => boolean, timeoutMs?: number): Promise<unknown> {
    return this.inbox.next(test, timeoutMs);
  }

  nothing(test?: (data: unknown) => boolean, ms?: number): Promise<void> {
    return this.inbox.nothing(test, ms);
  }

  /** Runs `Gateway[call](...args)` in the worker on this device's behalf and returns its result. */
  async call(call: string, ...args: unknown[]): Promise<unknown> {
    const id = this.nextId++;
    this.send(JSON.stringify({ id, call, args }));
    const reply = (await this.next((m) => field(m, 'id') === id)) as { result?: unknown; error?: string };
    if (reply.error) throw Object.assign(new Error(`${call} failed: ${reply.error}`), { code: reply.error });
    return reply.result;
  }

  get isClosed(): boolean {
    return this.socket.destroyed || this.socket.readableEnded;
  }

  close(): void {
    this.socket.destroy();
  }
}
