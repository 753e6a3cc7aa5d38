import WebSocket from 'ws';
import { Inbox } from './inbox.ts';

/** What a recovering client receives, untagged: data, kept data with its position, or an event. */
export type Received =
  | { kind: 'data'; data: unknown }
  | { kind: 'kept'; stream: string; epoch: string; offset: number; data: unknown }
  | { kind: 'event'; t: string; stream: string; epoch: string | null; offset: number | null };

const parse = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
};

/**
 * A `ws` client that speaks the recovery subprotocol (`switchboard.v1`) by hand, as the browser library does,
 * so the gateway's side is tested without a browser: it offers its positions on connect and reads the tags.
 */
export class RecoveringClient {
  readonly ws: WebSocket;
  readonly inbox = new Inbox<Received>((m) => m);
  readonly opened: Promise<void>;
  clientId = '';
  private nextId = 1;

  constructor(url: string, positions: Record<string, [string, number]> = {}) {
    const protocols = ['switchboard.v1'];
    if (Object.keys(positions).length > 0) {
      protocols.push(`switchboard.pos.${Buffer.from(JSON.stringify(positions)).toString('base64url')}`);
    }
    this.ws = new WebSocket(url, protocols);
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('error', reject);
    });
    this.ws.on('error', () => {});
    this.ws.on('message', (raw: Buffer, binary: boolean) => this.inbox.push(RecoveringClient.untag(raw, binary)));
  }

  static untag(raw: Buffer, binary: boolean): Received {
    if (binary) {
      if (raw[0] === 0) return { kind: 'data', data: raw.subarray(1) };
      const length = raw.readUInt16BE(1);
      const [stream, epoch, offset] = JSON.parse(raw.subarray(3, 3 + length).toString()) as [string, string, number];
      return { kind: 'kept', stream, epoch, offset, data: raw.subarray(3 + length) };
    }
    const text = raw.toString();
    if (text[0] === '0') return { kind: 'data', data: parse(text.slice(1)) };
    if (text[0] === '2')
      return { kind: 'event', ...(JSON.parse(text.slice(1)) as Omit<Received & { kind: 'event' }, 'kind'>) };
    const newline = text.indexOf('\n');
    const [stream, epoch, offset] = JSON.parse(text.slice(1, newline)) as [string, string, number];
    return { kind: 'kept', stream, epoch, offset, data: parse(text.slice(newline + 1)) };
  }

  static async connect(url: string, positions?: Record<string, [string, number]>): Promise<RecoveringClient> {
    const client = new RecoveringClient(url, positions);
    await client.opened;
    const hello = (await client.next((m) => m.kind === 'data' && (m.data as { type?: string }).type === 'hello')) as {
      data: { clientId: string };
    };
    client.clientId = hello.data.clientId;
    return client;
  }

  next(test?: (m: Received) => boolean, timeoutMs?: number): Promise<Received> {
    return this.inbox.next(test as (m: unknown) => boolean, timeoutMs) as Promise<Received>;
  }

  /** Calls the Gateway API through the test app (test/fixtures/api-app.ts) and waits for its answer. */
  async call(call: string, ...args: unknown[]): Promise<unknown> {
    const id = this.nextId++;
    this.ws.send(JSON.stringify({ id, call, args }));
    const reply = await this.next((m) => m.kind === 'data' && (m.data as { id?: number }).id === id);
    return (reply as { data: { result: unknown } }).data.result;
  }

  close(): void {
    this.ws.close();
  }
}
