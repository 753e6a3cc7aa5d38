import WebSocket from 'ws';

type Incoming = { data: unknown; binary: boolean; raw: Buffer };

/** A real `ws` client that queues what it receives, so tests can await the next message. */
export class TestClient {
  readonly ws: WebSocket;
  readonly received: Incoming[] = [];
  private waiters: (() => void)[] = [];
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
        this.wake();
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
      this.received.push({ data, binary, raw });
      this.wake();
    });
  }

  static async connect(url: string): Promise<TestClient & { clientId: string }> {
    const client = new TestClient(url);
    await client.opened;
    const hello = (await client.next((m) => (m as { type?: string }).type === 'hello')) as { clientId: string };
    return Object.assign(client, { clientId: hello.clientId });
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  /** Removes and returns the first received message passing `test`; rejects after `timeoutMs`. */
  async next(test: (data: unknown) => boolean = () => true, timeoutMs = 5000): Promise<unknown> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const index = this.received.findIndex((m) => test(m.data));
      if (index >= 0) return this.received.splice(index, 1)[0]!.data;
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(
          `no matching message within ${timeoutMs} ms; have ${JSON.stringify(this.received.map((m) => m.data))}`,
        );
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Asserts nothing matching arrives within `ms`. */
  async nothing(test: (data: unknown) => boolean = () => true, ms = 300): Promise<void> {
    await new Promise((r) => setTimeout(r, ms));
    const found = this.received.find((m) => test(m.data));
    if (found) throw new Error(`unexpected message ${JSON.stringify(found.data)}`);
  }

  /** Runs `Gateway[call](...args)` in the worker on this client's behalf and returns its result. */
  async call(call: string, ...args: unknown[]): Promise<unknown> {
    const id = this.nextId++;
    this.ws.send(JSON.stringify({ id, call, args }));
    const reply = (await this.next((m) => (m as { id?: number }).id === id)) as { result?: unknown; error?: string };
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
