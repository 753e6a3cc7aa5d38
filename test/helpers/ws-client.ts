import WebSocket from 'ws';
import { field, Inbox } from './inbox.ts';

type Incoming = { data: unknown; binary: boolean; raw: Buffer };

/** A real `ws` client that queues what it receives, so tests can await the next message. */
export class TestClient {
  readonly ws: WebSocket;
  private readonly inbox = new Inbox<Incoming>((m) => m.data);
  /** Messages received and not yet taken by `next`. */
  readonly received = this.inbox.items;
  private nextId = 1;
  closeCode: number | null = null;
  readonly closed: Promise<number>;
  readonly opened: Promise<void>;

  constructor(url: string) {
    this.ws = new WebSocket(url);
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('error', reject);
    });
    this.closed = new Promise((resolve) =>
      this.ws.once('close', (code) => {
        this.closeCode = code;
        resolve(code);
        this.inbox.wake();
      }),
    );
    this.ws.on('error', () => {});
    this.ws.on('message', (raw: Buffer, binary: boolean) => {
      let data: unknown = raw;
      if (!binary) {
        const text = raw.toString();
        try {
          data = JSON.parse(text);
        } catch {
          data = text;
        }
      }
      this.inbox.push({ data, binary, raw });
    });
  }

  static async connect(url: string): Promise<TestClient & { clientId: string }> {
    const client = new TestClient(url);
    await client.opened;
    const hello = (await client.next((m) => field(m, 'type') === 'hello')) as { clientId: string };
    return Object.assign(client, { clientId: hello.clientId });
  }

  /** Removes and returns the first received message passing `test`; rejects after `timeoutMs`. */
  next(test?: (data: unknown) => boolean, timeoutMs?: number): Promise<unknown> {
    return this.inbox.next(test, timeoutMs);
  }

  /** Asserts nothing matching arrives within `ms`. */
  nothing(test?: (data: unknown) => boolean, ms?: number): Promise<void> {
    return this.inbox.nothing(test, ms);
  }

  /** Runs `Gateway[call](...args)` in the worker on this client's behalf and returns its result. */
  async call(call: string, ...args: unknown[]): Promise<unknown> {
    const id = this.nextId++;
    this.ws.send(JSON.stringify({ id, call, args }));
    const reply = (await this.next((m) => field(m, 'id') === id)) as { result?: unknown; error?: string };
    if (reply.error) throw Object.assign(new Error(`${call} failed: ${reply.error}`), { code: reply.error });
    return reply.result;
  }

  send(value: unknown): void {
    this.ws.send(typeof value === 'string' || Buffer.isBuffer(value) ? value : JSON.stringify(value));
  }

  close(): void {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.terminate();
  }
}
