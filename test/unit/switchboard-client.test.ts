// The client's state machine — reconnect, backoff, queue, heartbeat, timeouts — driven through a scripted
// WebSocket and mocked timers, so every branch is reached in a few milliseconds. The same client runs against a
// real gateway in test/integration/client-library.test.ts and in a real browser in test/e2e/.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import {
  SwitchboardClient,
  type ClientEvents,
  type ClientOptions,
  type WebSocketConstructor,
  type WebSocketLike,
} from 'switchboard/client';

/** A WebSocket whose every event the test triggers by hand. */
class ScriptedSocket implements WebSocketLike {
  readyState = 0;
  binaryType = 'blob';
  onopen: ((event: unknown) => void) | null = null;
  onmessage: ((event: unknown) => void) | null = null;
  onclose: ((event: unknown) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;
  readonly sent: unknown[] = [];
  closedWith: { code?: number; reason?: string } | null = null;
  terminated = false;

  constructor(
    readonly url: string,
    readonly protocols?: string | string[],
  ) {}

  send(data: unknown): void {
    if (this.readyState !== 1) throw new Error('send() on a socket that is not open');
    this.sent.push(data);
  }
  close(code?: number, reason?: string): void {
    this.closedWith = { code, reason };
    this.readyState = 2;
  }
  terminate(): void {
    this.terminated = true;
    this.readyState = 3;
  }

  open(): void {
    this.readyState = 1;
    this.onopen?.({});
  }
  receive(data: string | ArrayBuffer): void {
    this.onmessage?.({ data });
  }
  drop(code = 1006, reason = ''): void {
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }
}

/** A client on scripted sockets, with every event it emitted recorded in order. */
function scripted(options: ClientOptions = {}) {
  const sockets: ScriptedSocket[] = [];
  const WebSocket = class extends ScriptedSocket {
    constructor(url: string, protocols?: string | string[]) {
      super(url, protocols);
      sockets.push(this);
    }
  } satisfies WebSocketConstructor;
  const client = new SwitchboardClient('ws://127.0.0.1:7272/chat', { WebSocket, ...options });
  const events: { type: keyof ClientEvents; event: unknown }[] = [];
  for (const type of ['open', 'close', 'reconnect', 'message', 'error'] as const) {
    client.on(type, (event) => events.push({ type, event }));
  }
  const last = () => sockets[sockets.length - 1]!;
  const of = <K extends keyof ClientEvents>(type: K) =>
    events.filter((e) => e.type === type).map((e) => e.event as ClientEvents[K]);
  return { client, sockets, last, events, of };
}

describe('SwitchboardClient', () => {
  beforeEach(() => {
    mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 1_000_000 });
    // The middle of the jitter range: delay = 0.75 × the ceiling.
    mock.method(Math, 'random', () => 0.5);
  });
  afterEach(() => {
    mock.timers.reset();
    mock.restoreAll();
  });

  it('connects at once, sends objects as JSON and strings and bytes as they are, parses JSON messages', () => {
    const { client, sockets, last, of } = scripted({ protocols: 'chat' });
    assert.equal(client.state, 'connecting');
    assert.equal(sockets.length, 1);
    assert.equal(last().url, 'ws://127.0.0.1:7272/chat');
    assert.equal(last().protocols, 'chat');
    assert.equal(last().binaryType, 'arraybuffer');
    last().open();
    assert.equal(client.state, 'open');
    assert.deepEqual(of('open'), [{ reconnected: false }]);

    const bytes = new Uint8Array([1, 2]);
    assert.equal(client.send({ type: 'login', uid: 'alice' }), true);
    assert.equal(client.send('plain'), true);
    assert.equal(client.send(bytes), true);
    assert.equal(client.send(null), true);
    assert.deepEqual(last().sent, ['{"type":"login","uid":"alice"}', 'plain', bytes, 'null']);

    last().receive('{"type":"hello","n":1}');
    last().receive('not json');
    const buffer = new ArrayBuffer(2);
    last().receive(buffer);
    const [json, text, binary] = of('message');
    assert.deepEqual(json!.json(), { type: 'hello', n: 1 });
    assert.equal(json!.json(), json!.json(), 'parsed once');
    assert.equal(text!.data, 'not json');
    assert.equal(text!.json(), undefined);
    assert.equal(binary!.data, buffer);
    assert.equal(binary!.json(), undefined);
  });

  it('refuses values it cannot send, with SB_ERR_INVALID_ARGUMENT', () => {
    const { client, last } = scripted();
    last().open();
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    for (const bad of [undefined, () => 1, cyclic, 10n]) {
      assert.throws(() => client.send(bad), { code: 'SB_ERR_INVALID_ARGUMENT' });
    }
    assert.deepEqual(last().sent, []);
  });

  it('reconnects after a lost connection with growing, bounded delays, and says so', () => {
    const { client, sockets, last, of } = scripted({ reconnectDelay: 100, maxReconnectDelay: 400 });
    last().open();
    last().drop(1006);
    assert.equal(client.state, 'reconnecting');
    assert.deepEqual(of('close'), [{ code: 1006, reason: '', willReconnect: true }]);
    // Each failed attempt doubles the ceiling up to 400; the random source puts each delay at 3/4 of it.
    const expected = [75, 150, 300, 300, 300];
    for (const [i, delay] of expected.entries()) {
      assert.deepEqual(of('reconnect')[i], { attempt: i + 1, delay });
      mock.timers.tick(delay - 1);
      assert.equal(sockets.length, i + 1, 'not before the delay');
      mock.timers.tick(1);
      assert.equal(sockets.length, i + 2, 'a new attempt after the delay');
      if (i < expected.length - 1) last().drop(1006);
    }
    assert.equal(of('close').length, 1, 'failed attempts are not connections: no close event for them');
    last().open();
    assert.equal(client.state, 'open');
    assert.deepEqual(of('open'), [{ reconnected: false }, { reconnected: true }]);
  });

  it('starts again from the shortest delay only after a connection stayed open stableAfter ms', () => {
    const { last, of } = scripted({ reconnectDelay: 100, stableAfter: 1000 });
    last().open();
    last().drop();
    mock.timers.tick(75);
    last().open();
    mock.timers.tick(999);
    last().drop();
    assert.equal(of('reconnect')[1]!.attempt, 2, 'a short-lived connection does not reset the backoff');
    mock.timers.tick(150);
    last().open();
    mock.timers.tick(1000);
    last().drop();
    assert.deepEqual(of('reconnect')[2], { attempt: 1, delay: 75 });
  });

  it('queues messages while disconnected and sends them on open, after what open listeners send', () => {
    const { client, last } = scripted({ queueLimit: 3 });
    assert.equal(client.send({ n: 1 }), true, 'queued before the first open');
    last().open();
    assert.deepEqual(last().sent, ['{"n":1}']);
    last().drop();
    client.send({ n: 2 });
    client.send({ n: 3 });
    assert.equal(client.queued, 2);
    client.on('open', () => client.send({ type: 'login', uid: 'alice' }));
    mock.timers.tick(500);
    last().open();
    assert.deepEqual(last().sent, ['{"type":"login","uid":"alice"}', '{"n":2}', '{"n":3}']);
    assert.equal(client.queued, 0);
  });

  it('refuses messages past queueLimit with SB_ERR_QUEUE_FULL, keeping the ones already queued', () => {
    const { client, last, of } = scripted({ queueLimit: 2 });
    assert.equal(client.send('a'), true);
    assert.equal(client.send('b'), true);
    assert.equal(client.send('c'), false);
    assert.equal(of('error')[0]!.code, 'SB_ERR_QUEUE_FULL');
    last().open();
    assert.deepEqual(last().sent, ['a', 'b']);
  });

  it('does not reconnect after a normal close (the app closed this client), unless told to', () => {
    const normal = scripted();
    normal.last().open();
    normal.last().drop(1000, 'bye');
    assert.equal(normal.client.state, 'closed');
    assert.deepEqual(normal.of('close'), [{ code: 1000, reason: 'bye', willReconnect: false }]);
    mock.timers.tick(60_000);
    assert.equal(normal.sockets.length, 1);

    const always = scripted({ shouldReconnect: () => true });
    always.last().open();
    always.last().drop(1000);
    assert.equal(always.client.state, 'reconnecting');
    const never = scripted({ reconnect: false });
    never.last().open();
    never.last().drop(1001);
    assert.equal(never.client.state, 'closed');
  });

  it('gives up after maxReconnectAttempts, dropping queued messages with SB_ERR_CLIENT_CLOSED', () => {
    const { client, sockets, last, of } = scripted({ maxReconnectAttempts: 2 });
    last().open();
    last().drop();
    client.send('waiting');
    for (let i = 0; i < 2; i++) {
      mock.timers.tick(10_000);
      last().drop();
    }
    assert.equal(sockets.length, 3, 'the first connection and 2 attempts');
    assert.equal(client.state, 'closed');
    assert.deepEqual(of('close').at(-1), { code: 1006, reason: '', willReconnect: false });
    assert.equal(of('error')[0]!.code, 'SB_ERR_CLIENT_CLOSED');
    assert.equal(client.send('late'), false);
    assert.equal(of('error')[1]!.code, 'SB_ERR_CLIENT_CLOSED');
    mock.timers.tick(60_000);
    assert.equal(sockets.length, 3);
  });

  it('abandons an attempt that does not open within connectTimeout, and tries again', () => {
    const { client, sockets, last } = scripted({ connectTimeout: 2000 });
    mock.timers.tick(1999);
    assert.equal(last().terminated, false);
    mock.timers.tick(1);
    assert.equal(sockets[0]!.terminated, true);
    assert.equal(client.state, 'connecting');
    mock.timers.tick(500);
    assert.equal(sockets.length, 2);
    // A late open of the abandoned socket changes nothing.
    sockets[0]!.onopen?.({});
    assert.equal(client.state, 'connecting');
  });

  it('answers the text heartbeat without passing it on, and drops a connection that goes silent', () => {
    const { client, sockets, last, of } = scripted({
      pingData: 'hb',
      pongData: { type: 'pong' },
      heartbeatTimeout: 1000,
    });
    last().open();
    for (let i = 0; i < 5; i++) {
      mock.timers.tick(900);
      last().receive('hb');
    }
    assert.equal(client.state, 'open', 'heartbeats keep it alive well past heartbeatTimeout');
    assert.deepEqual(last().sent, Array(5).fill('{"type":"pong"}'));
    assert.deepEqual(of('message'), [], 'heartbeats are not messages');
    mock.timers.tick(999);
    assert.equal(client.state, 'open');
    mock.timers.tick(1);
    assert.equal(sockets[0]!.terminated, true);
    assert.equal(client.state, 'reconnecting');
    assert.match(of('close')[0]!.reason, /no message for 1000 ms/);
    assert.equal(of('close')[0]!.code, 1006);
  });

  it('has no heartbeat timeout without pingData, and ignores heartbeats without pongData', () => {
    const quiet = scripted();
    quiet.last().open();
    mock.timers.tick(10 * 60_000);
    assert.equal(quiet.client.state, 'open');
    const silent = scripted({ pingData: 'hb' });
    silent.last().open();
    silent.last().receive('hb');
    assert.deepEqual(silent.last().sent, []);
    mock.timers.tick(60_000);
    assert.equal(silent.client.state, 'reconnecting', 'the default heartbeatTimeout with pingData is 60 s');
  });

  it('close() stops for good: closes the socket, cancels a pending reconnect, drops the queue', () => {
    const open = scripted();
    open.last().open();
    open.client.close(4000, 'logout');
    assert.deepEqual(open.last().closedWith, { code: 4000, reason: 'logout' });
    assert.deepEqual(open.of('close'), [{ code: 4000, reason: 'logout', willReconnect: false }]);
    assert.equal(open.client.send('x'), false);
    assert.throws(() => open.client.close(1006), { code: 'SB_ERR_INVALID_ARGUMENT' });

    const waiting = scripted();
    waiting.last().open();
    waiting.last().drop();
    waiting.client.send('queued');
    waiting.client.close();
    assert.equal(waiting.client.queued, 0);
    mock.timers.tick(60_000);
    assert.equal(waiting.sockets.length, 1, 'the scheduled reconnect was cancelled');
    assert.equal(waiting.of('error')[0]!.code, 'SB_ERR_CLIENT_CLOSED');
  });

  it('lets listeners close the client from open and close events', () => {
    const fromOpen = scripted();
    fromOpen.client.send('queued');
    fromOpen.client.on('open', () => fromOpen.client.close());
    fromOpen.last().open();
    assert.deepEqual(fromOpen.last().sent, [], 'queued messages are not sent after close()');
    const fromClose = scripted();
    fromClose.last().open();
    fromClose.client.on('close', (e) => e.willReconnect && fromClose.client.close());
    fromClose.last().drop();
    mock.timers.tick(60_000);
    assert.equal(fromClose.sockets.length, 1);
    assert.equal(fromClose.of('reconnect').length, 0);
  });

  it('once() and the function on() returns remove listeners', () => {
    const { client, last } = scripted();
    let once = 0;
    let many = 0;
    client.once('message', () => once++);
    const off = client.on('message', () => many++);
    last().open();
    last().receive('a');
    off();
    last().receive('b');
    assert.deepEqual([once, many], [1, 1]);
  });

  it('rejects malformed options and addresses with SB_ERR_INVALID_OPTION, saying what to write', () => {
    const WebSocket = ScriptedSocket;
    for (const url of ['http://127.0.0.1:7272', 'nowhere', '']) {
      assert.throws(() => new SwitchboardClient(url, { WebSocket }), {
        code: 'SB_ERR_INVALID_OPTION',
        message: /ws:\/\/HOST:PORT/,
      });
    }
    for (const bad of [{ reconnectDelay: 0 }, { maxReconnectDelay: 10, reconnectDelay: 100 }, { queueLimit: -1 }]) {
      assert.throws(() => new SwitchboardClient('ws://127.0.0.1:1', { WebSocket, ...bad }), {
        code: 'SB_ERR_INVALID_OPTION',
      });
    }
    assert.equal(typeof globalThis.WebSocket, 'undefined', 'Node 20 has no global WebSocket');
    assert.throws(() => new SwitchboardClient('ws://127.0.0.1:1'), { code: 'SB_ERR_INVALID_OPTION', message: /ws/ });
  });
});
