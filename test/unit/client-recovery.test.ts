// The client library's `recover` option, on scripted sockets: what it offers, how it reads the recovery
// subprotocol's tags, what it remembers and keeps in storage, and that without it nothing changes. The same
// client recovers against a real gateway in a real browser in test/e2e/browser-recovery.test.ts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  MAX_RECOVER_STREAMS,
  SwitchboardClient,
  type ClientEvents,
  type ClientOptions,
  type StorageLike,
  type WebSocketConstructor,
  type WebSocketLike,
} from 'switchboard/client';

class ScriptedSocket implements WebSocketLike {
  readyState = 0;
  binaryType = 'blob';
  protocol = '';
  onopen: ((event: unknown) => void) | null = null;
  onmessage: ((event: unknown) => void) | null = null;
  onclose: ((event: unknown) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;
  readonly sent: unknown[] = [];

  constructor(
    readonly url: string,
    readonly protocols?: string | string[],
  ) {}

  send(data: unknown): void {
    this.sent.push(data);
  }
  close(): void {
    this.readyState = 3;
  }
  /** Opens with the subprotocol a gateway would choose: the recovery one when it was offered. */
  open(chosen = [this.protocols ?? []].flat().includes('switchboard.v1') ? 'switchboard.v1' : ''): void {
    this.protocol = chosen;
    this.readyState = 1;
    this.onopen?.({});
  }
  receive(data: string | ArrayBuffer): void {
    this.onmessage?.({ data });
  }
  drop(): void {
    this.readyState = 3;
    this.onclose?.({ code: 1006, reason: '' });
  }
}

class MemoryStorage implements StorageLike {
  readonly items = new Map<string, string>();
  getItem(key: string): string | null {
    return this.items.get(key) ?? null;
  }
  setItem(key: string, value: string): void {
    this.items.set(key, value);
  }
}

function scripted(options: ClientOptions = {}) {
  const sockets: ScriptedSocket[] = [];
  const WebSocket = class extends ScriptedSocket {
    constructor(url: string, protocols?: string | string[]) {
      super(url, protocols);
      sockets.push(this);
    }
  } satisfies WebSocketConstructor;
  const client = new SwitchboardClient('ws://127.0.0.1:7272/', { WebSocket, reconnectDelay: 1, ...options });
  const events: { type: keyof ClientEvents; event: unknown }[] = [];
  for (const type of ['message', 'recovered', 'notRecovered'] as const) {
    client.on(type, (event) => events.push({ type, event }));
  }
  const last = () => sockets[sockets.length - 1]!;
  return { client, sockets, last, events };
}

/** The positions a socket offered, decoded as the gateway decodes them. */
function offered(socket: ScriptedSocket): unknown {
  const p = [socket.protocols ?? []].flat().find((x) => x.startsWith('switchboard.pos.'));
  return p === undefined ? null : JSON.parse(Buffer.from(p.slice('switchboard.pos.'.length), 'base64url').toString());
}

const keptText = (stream: string, epoch: string, offset: number, data: string) =>
  `1${JSON.stringify([stream, epoch, offset])}\n${data}`;

function keptBinary(stream: string, epoch: string, offset: number, data: number[]): ArrayBuffer {
  const head = Buffer.from(JSON.stringify([stream, epoch, offset]));
  const out = new Uint8Array(3 + head.length + data.length);
  out.set([1, head.length >> 8, head.length & 0xff]);
  out.set(head, 3);
  out.set(data, 3 + head.length);
  return out.buffer;
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 10));

describe('SwitchboardClient recover', () => {
  it('without recover offers only the protocols given and hands on messages untouched', () => {
    const { client, last, events } = scripted({ protocols: 'chat' });
    assert.equal(last().protocols, 'chat');
    last().open('chat');
    last().receive('1["uid:a","e",1]\nx');
    assert.deepEqual(
      events.map((e) => (e.event as { data: unknown }).data),
      ['1["uid:a","e",1]\nx'],
    );
    assert.deepEqual(client.positions, {});
    client.close();
  });

  it('offers switchboard.v1 first, reads the tags, and hands the app the data as before', () => {
    const { client, last, events } = scripted({ recover: true, protocols: ['chat'] });
    assert.deepEqual(last().protocols, ['switchboard.v1', 'chat']);
    last().open();
    last().receive('0{"type":"hello"}');
    last().receive('2{"t":"position","stream":"uid:alice","epoch":"E1","offset":4}');
    last().receive(keptText('uid:alice', 'E1', 5, '{"text":"m5"}'));
    last().receive(keptBinary('group:room', 'E2', 9, [0, 1, 255]));
    last().receive(new Uint8Array([0, 7, 8]).buffer);
    const messages = events.filter((e) => e.type === 'message').map((e) => e.event as ClientEvents['message']);
    assert.deepEqual(messages[0]!.json(), { type: 'hello' });
    assert.equal(messages[0]!.kept, null);
    assert.deepEqual(messages[1]!.json(), { text: 'm5' });
    assert.deepEqual(messages[1]!.kept, { stream: 'uid:alice', epoch: 'E1', offset: 5 });
    assert.deepEqual([...new Uint8Array(messages[2]!.data as ArrayBuffer)], [0, 1, 255]);
    assert.deepEqual(messages[2]!.kept, { stream: 'group:room', epoch: 'E2', offset: 9 });
    assert.deepEqual([...new Uint8Array(messages[3]!.data as ArrayBuffer)], [7, 8]);
    assert.equal(messages.length, 4, 'the position event is not a message');
    assert.deepEqual(client.positions, {
      'uid:alice': { stream: 'uid:alice', epoch: 'E1', offset: 5 },
      'group:room': { stream: 'group:room', epoch: 'E2', offset: 9 },
    });
    client.close();
  });

  it('offers its positions on reconnect, emits recovered and notRecovered, and moves to the new position', async () => {
    const { client, last, events, sockets } = scripted({ recover: true });
    last().open();
    last().receive(keptText('uid:alice', 'E1', 5, 'a'));
    last().receive(keptText('group:g', 'E2', 3, 'b'));
    last().drop();
    await tick();
    assert.equal(sockets.length, 2);
    assert.deepEqual(offered(last()), { 'uid:alice': ['E1', 5], 'group:g': ['E2', 3] });
    last().open();
    last().receive(keptText('uid:alice', 'E1', 6, 'c'));
    last().receive('2{"t":"recovered","stream":"uid:alice","epoch":"E1","offset":6}');
    last().receive('2{"t":"lost","stream":"group:g","epoch":"E3","offset":40}');
    last().receive('2{"t":"lost","stream":"group:h","epoch":null,"offset":null}');
    assert.deepEqual(
      events.filter((e) => e.type !== 'message'),
      [
        { type: 'recovered', event: { stream: 'uid:alice', epoch: 'E1', offset: 6 } },
        { type: 'notRecovered', event: { stream: 'group:g', epoch: 'E3', offset: 40 } },
        { type: 'notRecovered', event: { stream: 'group:h', epoch: null, offset: null } },
      ],
    );
    last().drop();
    await tick();
    assert.deepEqual(offered(last()), { 'uid:alice': ['E1', 6], 'group:g': ['E3', 40] });
    client.close();
  });

  it('keeps positions in the storage given, so a new client starts from them', async () => {
    const storage = new MemoryStorage();
    const first = scripted({ recover: { storage } });
    assert.equal(offered(first.last()), null);
    first.last().open();
    first.last().receive(keptText('uid:bob', 'E', 2, 'x'));
    first.client.close();
    assert.deepEqual(JSON.parse(storage.getItem('switchboard.positions ws://127.0.0.1:7272/')!), {
      'uid:bob': ['E', 2],
    });
    const second = scripted({ recover: { storage } });
    assert.deepEqual(offered(second.last()), { 'uid:bob': ['E', 2] });
    second.client.close();
    storage.setItem('mine', '{"uid:x":["E",1],"bad":["E",-1],"worse":7}');
    const third = scripted({ recover: { storage, key: 'mine' } });
    assert.deepEqual(offered(third.last()), { 'uid:x': ['E', 1] }, 'unreadable entries are skipped');
    third.client.close();
    storage.setItem('broken', '{');
    const fourth = scripted({ recover: { storage, key: 'broken' } });
    assert.equal(offered(fourth.last()), null, 'an unreadable key counts as none');
    fourth.client.close();
  });

  it(`remembers the ${MAX_RECOVER_STREAMS} streams that moved last`, () => {
    const { client, last } = scripted({ recover: true });
    last().open();
    for (let i = 0; i <= MAX_RECOVER_STREAMS; i++) last().receive(keptText(`group:g${i}`, 'E', 1, 'x'));
    const streams = Object.keys(client.positions);
    assert.equal(streams.length, MAX_RECOVER_STREAMS);
    assert.equal(streams.includes('group:g0'), false);
    client.close();
  });

  it('reads nothing as tags when the gateway did not choose switchboard.v1', () => {
    const { client, last, events } = scripted({ recover: true });
    last().open('');
    last().receive('0hello');
    assert.equal((events[0]!.event as ClientEvents['message']).data, '0hello');
    client.close();
  });

  it('refuses a storage without getItem and setItem with SB_ERR_INVALID_OPTION', () => {
    assert.throws(() => scripted({ recover: { storage: {} as StorageLike } }), { code: 'SB_ERR_INVALID_OPTION' });
    assert.throws(() => scripted({ recover: 'yes' as unknown as boolean }), { code: 'SB_ERR_INVALID_OPTION' });
  });
});
