import { SwitchboardClient } from 'switchboard/client';
import { WebSocket } from 'ws';
import type { Accounting } from './accounting.ts';
import type { SeededRandom } from './seeded-random.ts';

export interface LoadOptions {
  url: string;
  clients: number;
  /** Messages per second per client. */
  rate: number;
  /** ms without a login confirmation after which a client logs in again (its login may be lost with a worker). */
  loginRetry: number;
}

/** `u0` … `u199`: client i is bound to uid `u${i}`. */
export const uidOf = (i: number) => `u${i}`;

/**
 * The load: one client library connection per uid, which logs in on every (re)connect and, while its
 * connection is open, sends `rate` messages a second, each to a random other uid, numbered per sender. Every
 * send, delivery, connection and login is reported to the accounting. Messages are only handed to an open
 * connection (`queueLimit: 0`): one that could not be sent is not counted as sent.
 */
export class LoadClients {
  private readonly clients: SwitchboardClient[] = [];
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly loginTimers: (NodeJS.Timeout | null)[] = [];
  private sending = false;
  private readonly epoch = performance.now();
  /** Ticks on which a client had no open connection to send on. */
  skipped = 0;

  constructor(
    private readonly options: LoadOptions,
    private readonly accounting: Accounting,
    private readonly random: SeededRandom,
  ) {}

  /** ms since the load clients were made: the clock of every record. */
  now(): number {
    return performance.now() - this.epoch;
  }

  /** Connects every client; resolves once all of them are logged in. */
  async connect(timeoutMs = 60_000): Promise<void> {
    for (let i = 0; i < this.options.clients; i++) this.clients.push(this.client(i));
    const deadline = Date.now() + timeoutMs;
    while (this.boundCount() < this.options.clients) {
      if (Date.now() > deadline) {
        throw new Error(
          `only ${this.boundCount()} of ${this.options.clients} clients logged in within ${timeoutMs} ms`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  boundCount(): number {
    let n = 0;
    for (let i = 0; i < this.options.clients; i++) if (this.accounting.isBound(i)) n++;
    return n;
  }

  /** Every client starts sending, each on its own phase. */
  startSending(): void {
    this.sending = true;
    const period = 1000 / this.options.rate;
    for (let i = 0; i < this.options.clients; i++) {
      const start = setTimeout(() => {
        this.tick(i);
        this.timers[i] = setInterval(() => this.tick(i), period);
      }, this.random.next() * period);
      this.timers[i] = start;
    }
  }

  stopSending(): void {
    this.sending = false;
    for (const timer of this.timers) clearTimeout(timer);
  }

  close(): void {
    this.stopSending();
    for (const timer of this.loginTimers) if (timer) clearTimeout(timer);
    for (const client of this.clients) client.close();
  }

  private tick(i: number): void {
    if (!this.sending) return;
    const client = this.clients[i]!;
    if (client.state !== 'open') {
      this.skipped++;
      return;
    }
    let to = this.random.int(this.options.clients - 1);
    if (to >= i) to++;
    const at = this.now();
    const seq = this.accounting.sent(i, to, at);
    client.send(`{"to":"${uidOf(to)}","from":"${uidOf(i)}","seq":${seq},"t":${Math.round(at)}}`);
  }

  private client(i: number): SwitchboardClient {
    const client = new SwitchboardClient(this.options.url, {
      WebSocket: WebSocket as never,
      queueLimit: 0,
      reconnectDelay: 500,
      maxReconnectDelay: 2000,
    });
    const login = () => {
      client.send(`{"login":"${uidOf(i)}"}`);
      this.loginTimers[i] = setTimeout(() => {
        if (client.state === 'open' && !this.accounting.isBound(i)) login();
      }, this.options.loginRetry);
    };
    client.on('open', () => {
      this.accounting.opened(i, this.now());
      login();
    });
    client.on('close', ({ code }) => {
      const timer = this.loginTimers[i];
      if (timer) clearTimeout(timer);
      this.accounting.closed(i, this.now(), code);
    });
    client.on('error', () => {}); // a message dropped while closed: it was not counted as sent
    client.on('message', (message) => this.receive(i, message.data));
    return client;
  }

  private receive(i: number, data: unknown): void {
    const at = this.now();
    let m: { bound?: string; w?: number; to?: string; from?: string; seq?: number };
    try {
      m = JSON.parse(String(data)) as typeof m;
    } catch {
      this.accounting.unreadable();
      return;
    }
    if (m.bound !== undefined) {
      if (m.bound === uidOf(i)) this.accounting.bound(i, at);
      else this.accounting.unreadable();
      return;
    }
    const from = parseUid(m.from);
    const to = parseUid(m.to);
    if (from === null || to === null || typeof m.seq !== 'number') {
      this.accounting.unreadable();
      return;
    }
    this.accounting.delivered(i, from, m.seq, to, m.w ?? 0, at);
  }
}

function parseUid(uid: unknown): number | null {
  if (typeof uid !== 'string' || !/^u\d+$/.test(uid)) return null;
  return Number(uid.slice(1));
}
