// The test's side of a client host: runs client-runner.ts on that host and gives back clients with the same
// calls as TestClient (next, nothing, call, send), whose sockets live on the other host.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { field, Inbox } from './inbox.ts';

const RUNNER = fileURLToPath(new URL('./client-runner.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

type RunnerEvent =
  | { ev: 'ready' }
  | { ev: 'open'; id: number }
  | { ev: 'message'; id: number; data: string; binary: boolean }
  | { ev: 'error'; id: number; message: string }
  | { ev: 'close'; id: number; code: number; dead: boolean };

export interface ConnectOptions {
  /** Source address for the connection (the client host's own address). */
  localAddress?: string;
  /** Give up on the connection when nothing, not even a ping, arrived for this long. */
  deadAfterMs?: number;
}

/** One WebSocket client held by the runner. */
export class RemoteClient {
  private readonly inbox = new Inbox<unknown>((data) => data);
  /** Messages received and not yet taken by `next`. */
  readonly received = this.inbox.items;
  clientId = '';
  /** The hello the test app sends on connect: `{ type, clientId, ip, … }`. */
  hello: Record<string, unknown> = {};
  closeCode: number | null = null;
  /** True when the client gave up on a silent connection (deadAfterMs). */
  dead = false;
  readonly opened: Promise<void>;
  readonly closed: Promise<number>;
  private nextCall = 1;
  private settleOpen!: (err?: Error) => void;
  private settleClose!: (code: number) => void;

  constructor(
    readonly id: number,
    private readonly host: ClientHost,
  ) {
    this.opened = new Promise((resolve, reject) => {
      this.settleOpen = (err) => (err ? reject(err) : resolve());
    });
    this.closed = new Promise((resolve) => (this.settleClose = resolve));
    this.opened.catch(() => {});
  }

  /** @internal */
  event(event: RunnerEvent): void {
    switch (event.ev) {
      case 'open':
        return this.settleOpen();
      case 'error':
        return this.settleOpen(new Error(event.message));
      case 'message': {
        let data: unknown = event.binary ? Buffer.from(event.data, 'base64') : event.data;
        if (!event.binary) {
          try {
            data = JSON.parse(event.data);
          } catch {
            // plain text
          }
        }
        return this.inbox.push(data);
      }
      case 'close':
        this.closeCode = event.code;
        this.dead = event.dead;
        this.settleOpen(new Error(`closed with ${event.code} before opening`));
        this.settleClose(event.code);
        return this.inbox.wake();
    }
  }

  /** Removes and returns the first received message passing `test`; rejects after `timeoutMs`. */
  next(test?: (data: unknown) => boolean, timeoutMs?: number): Promise<unknown> {
    return this.inbox.next(test, timeoutMs);
  }

  /** Asserts nothing matching arrives within `ms`. */
  nothing(test?: (data: unknown) => boolean, ms?: number): Promise<void> {
    return this.inbox.nothing(test, ms);
  }

  /**
   * Runs `Gateway[call](...args)` in a worker on this client's behalf (test/fixtures/api-app.ts) and returns
   * its result; rejects with the error's `code` when the call failed.
   */
  async call(call: string, args: unknown[] = [], timeoutMs = 5000): Promise<unknown> {
    const id = this.nextCall++;
    this.send({ id, call, args });
    const reply = (await this.next((m) => field(m, 'id') === id, timeoutMs)) as {
      result?: unknown;
      error?: string;
    };
    if (reply.error) throw Object.assign(new Error(`${call} failed: ${reply.error}`), { code: reply.error });
    return reply.result;
  }

  send(value: unknown): void {
    if (Buffer.isBuffer(value)) {
      this.host.command({ op: 'send', id: this.id, data: value.toString('base64'), binary: true });
    } else {
      this.host.command({ op: 'send', id: this.id, data: typeof value === 'string' ? value : JSON.stringify(value) });
    }
  }

  close(): void {
    this.host.command({ op: 'close', id: this.id });
  }
}

/** The runner process on one client host, and the clients it holds. */
export class ClientHost {
  readonly proc: ChildProcess;
  readonly ready: Promise<void>;
  private readonly clients = new Map<number, RemoteClient>();
  private nextId = 1;
  private stderr = '';

  /** @param wrap runs the program on the client host, e.g. `['ip', 'netns', 'exec', 'ns']` */
  constructor(wrap: readonly string[] = []) {
    const command = [...wrap, process.execPath, '--import', 'tsx', RUNNER];
    this.proc = spawn(command[0]!, command.slice(1), { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    this.proc.stderr!.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    let buffer = '';
    let markReady!: () => void;
    this.ready = new Promise((resolve, reject) => {
      markReady = resolve;
      this.proc.once('exit', (code) => reject(new Error(`client runner exited (${code}): ${this.stderr}`)));
    });
    this.ready.catch(() => {});
    this.proc.stdout!.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const event = JSON.parse(buffer.slice(0, nl)) as RunnerEvent;
        buffer = buffer.slice(nl + 1);
        if (event.ev === 'ready') markReady();
        else this.clients.get(event.id)?.event(event);
      }
    });
  }

  /** Opens a client and waits for the test app's hello, which carries the client id. */
  async connect(url: string, options: ConnectOptions = {}): Promise<RemoteClient> {
    await this.ready;
    const client = new RemoteClient(this.nextId++, this);
    this.clients.set(client.id, client);
    this.command({ op: 'open', id: client.id, url, ...options });
    await client.opened;
    client.hello = (await client.next((m) => field(m, 'type') === 'hello')) as Record<string, unknown>;
    client.clientId = String(client.hello.clientId);
    return client;
  }

  /** @internal */
  command(command: Record<string, unknown>): void {
    if (this.proc.stdin!.writable) this.proc.stdin!.write(JSON.stringify(command) + '\n');
  }

  /** Closes every client and ends the runner. */
  async stop(): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    const exited = new Promise((resolve) => this.proc.once('exit', resolve));
    this.proc.stdin!.end();
    const kill = setTimeout(() => this.proc.kill('SIGKILL'), 2000);
    await exited;
    clearTimeout(kill);
  }
}
