// Devices over TCP: real gateways speaking text, frame and the example type-length module beside a WebSocket
// gateway, against the same worker; real clients (Node's net and tls, and socat); the whole Gateway API across
// protocols, bytes split anyhow, limits, TLS, heartbeats, slow consumers, a gateway restart and a worker reload.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { GatewayClient } from '../../gateway-api/gateway-client.ts';
import { frameCodec } from '../../gateway/protocols/frame.ts';
import { textCodec } from '../../gateway/protocols/text.ts';
import { createLogger } from '../../shared/logger.ts';
import typeLength from '../fixtures/type-length-protocol.ts';
import { Cluster } from '../helpers/cluster.ts';
import { field } from '../helpers/inbox.ts';
import { metricValue, scrape, waitForMetric } from '../helpers/metrics.ts';
import { FIXTURES, killAll } from '../helpers/processes.ts';
import { TcpTestClient } from '../helpers/tcp-client.ts';
import { until } from '../helpers/wait.ts';
import { TestClient } from '../helpers/ws-client.ts';

const HOST = '127.0.0.44';
/** The TLS gateway listens where the test certificate is valid (public.crt is for 127.0.0.38). */
const TLS_HOST = '127.0.0.38';
const TLS_PORT = 8383;
const SECRET = 'tcp-secret';
const cluster = new Cluster({
  host: HOST,
  gateways: 6,
  workers: 1,
  secret: SECRET,
  events: `${FIXTURES}device-app.ts`,
});
const PORT = { ws: 7272, text: 7273, frame: 7274, typeLength: 7275 } as const;
const metricsUrl = (gateway: number) => `http://${HOST}:${9300 + gateway}/metrics`;
const ca = readFileSync(`${FIXTURES}tls/public.crt`);
const clients: { close(): void }[] = [];
const hasSocat = spawnSync('socat', ['-V']).status === 0;

function track<T extends { close(): void }>(client: T): T {
  clients.push(client);
  return client;
}
const device = async (port: number, codec = textCodec) => track(await TcpTestClient.connect(HOST, port, codec));
const phone = async () => track(await TestClient.connect(cluster.wsUrl(0)));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('gateways over TCP', () => {
  before(async () => {
    cluster.startRegister();
    await cluster.register.ready();
    const gateway = (i: number, args: string[]) => {
      // No message rate limit: the tests pipeline hundreds of messages.
      cluster.layout.gatewayArgs = [
        '--metrics-listen',
        `${HOST}:${9300 + i}`,
        '--max-messages-per-second',
        '0',
        ...args,
      ];
      cluster.startGateway(i);
    };
    gateway(0, []);
    gateway(1, ['--protocol', 'text']);
    gateway(2, ['--protocol', 'frame', '--max-message-size', '1000', '--max-send-buffer', '65536']);
    gateway(3, ['--protocol', `${FIXTURES}type-length-protocol.ts`]);
    gateway(4, [
      ...['--protocol', 'text', '--listen', `${TLS_HOST}:${TLS_PORT}`],
      ...['--cert', `${FIXTURES}tls/public.crt`, '--key', `${FIXTURES}tls/public.key`],
      ...['--ping-data', 'hb', '--ping-interval', '300', '--ping-not-response-limit', '2'],
    ]);
    gateway(5, ['--protocol', 'frame', '--max-connections', '3', '--max-connections-per-ip', '2']);
    await cluster.registerKnows();
    cluster.startWorker(0);
    await cluster.workerReady(cluster.workers[0]!);
  });

  after(async () => {
    for (const client of clients) client.close();
    await killAll();
  });

  it('text: a device logs in and pushes both ways; handlers get strings and the remote address', async () => {
    const meter = await device(PORT.text);
    const request = meter.hello.request as Record<string, unknown>;
    assert.equal(request.protocol, 'text');
    assert.equal(request.ip, '127.0.0.1');
    assert.equal(request.port, meter.socket.localPort);
    assert.equal(request.url, '');
    assert.deepEqual(request.headers, {});
    meter.send('{"op":"kind"}');
    assert.deepEqual(await meter.next((m) => field(m, 'kind') !== undefined), { kind: 'string' });
    await meter.call('bindUid', '$self', 'meter-1');
    const ws = await phone();
    ws.ws.send(JSON.stringify({ id: 99, call: 'sendToUid', args: ['meter-1', 'reading please'] }));
    assert.equal(await meter.next((m) => m === 'reading please'), 'reading please');
    await ws.call('bindUid', '$self', 'operator');
    await meter.call('sendToUid', 'operator', { kwh: 12.5 });
    assert.deepEqual(await ws.next((m) => field(m, 'kwh') !== undefined), { kwh: 12.5 });
  });

  it('frame and the type-length module: push both ways; handlers get Buffers for binary messages', async () => {
    const tracker = await device(PORT.frame, frameCodec);
    assert.equal((tracker.hello.request as { protocol: string }).protocol, 'frame');
    tracker.send('{"op":"kind"}');
    assert.deepEqual(await tracker.next((m) => field(m, 'kind') !== undefined), { kind: 'buffer' });
    tracker.send(Buffer.from([0, 1, 2, 255]));
    assert.deepEqual(
      await tracker.next((m) => Buffer.isBuffer(m)),
      Buffer.concat([Buffer.from('echo:'), Buffer.from([0, 1, 2, 255])]),
    );
    tracker.send('{"op":"bytes","n":300}');
    const bytes = (await tracker.next((m) => Buffer.isBuffer(m) && m.length === 300)) as Buffer;
    assert.equal(bytes[299], 299 % 256);

    const pos = await device(PORT.typeLength, typeLength);
    assert.equal((pos.hello.request as { protocol: string }).protocol, 'type-length');
    pos.send('{"op":"kind"}');
    assert.deepEqual(await pos.next((m) => field(m, 'kind') !== undefined), { kind: 'string' });
    pos.send(Buffer.from('{"op":"kind"}'));
    assert.deepEqual(await pos.next((m) => field(m, 'kind') !== undefined), { kind: 'buffer' });
    pos.send('{"op":"bytes","n":3}');
    const raw = (await pos.next((m) => Buffer.isBuffer(m))) as Buffer;
    assert.deepEqual(raw, Buffer.from([0, 1, 2]), 'a Buffer goes out as type 2');
  });

  it('one uid on a phone (WebSocket) and on devices (text, frame, type-length) gets one sendToUid on all', async () => {
    const ws = await phone();
    const devices = [
      await device(PORT.text),
      await device(PORT.frame, frameCodec),
      await device(PORT.typeLength, typeLength),
    ];
    await ws.call('bindUid', '$self', 'alice');
    for (const d of devices) await d.call('bindUid', '$self', 'alice');
    assert.equal(((await ws.call('getClientIdByUid', 'alice')) as string[]).length, 4);
    await devices[0]!.call('sendToUid', 'alice', { to: 'all of alice' });
    const isIt = (m: unknown) => field(m, 'to') === 'all of alice';
    await ws.next(isIt);
    for (const d of devices) await d.next(isIt);
    // And the same from outside the workers: GatewayClient.
    const pusher = new GatewayClient({
      register: cluster.registerAddress,
      secret: SECRET,
      log: createLogger({}, 'silent'),
    });
    try {
      pusher.sendToUid('alice', 'from afar');
      await ws.next((m) => m === 'from afar');
      for (const d of devices) await d.next((m) => m === 'from afar' || String(m) === 'from afar');
    } finally {
      await pusher.close();
    }
  });

  it('the whole Gateway API reaches TCP clients: groups, sessions, queries, sendToAll, close, destroy', async () => {
    const a = await device(PORT.text);
    const b = await device(PORT.frame, frameCodec);
    const ws = await phone();
    await a.call('joinGroup', '$self', 'site-7');
    await b.call('joinGroup', '$self', 'site-7');
    await ws.call('sendToGroup', 'site-7', 'group hello');
    await a.next((m) => m === 'group hello');
    await b.next((m) => String(m) === 'group hello');
    assert.equal(await ws.call('getClientIdCountByGroup', 'site-7'), 2);
    await ws.call('setSession', a.clientId, { serial: 'A-1' });
    assert.deepEqual(await ws.call('getSession', a.clientId), { serial: 'A-1' });
    await ws.call('updateSession', b.clientId, { fw: 3 });
    assert.equal(((await b.call('getSession', '$self')) as { fw?: number }).fw, 3);
    assert.equal(await ws.call('isOnline', b.clientId), true);

    await ws.call('sendToAll', 'everyone');
    await a.next((m) => m === 'everyone');
    await b.next((m) => String(m) === 'everyone');
    await ws.next((m) => m === 'everyone');

    await ws.call('closeClient', a.clientId, 'last words');
    assert.equal(await a.next((m) => m === 'last words'), 'last words', 'the last message before the close');
    await a.closed;
    await ws.call('destroyClient', b.clientId);
    await b.closed;
    await until(
      'both are gone',
      () => ws.call('isOnline', b.clientId),
      (online) => online === false,
    );
    assert.equal(await ws.call('isOnline', a.clientId), false);
  });

  it('messages split at every byte, and many messages in one chunk, keep their order', async () => {
    for (const [port, codec] of [
      [PORT.text, textCodec],
      [PORT.frame, frameCodec],
      [PORT.typeLength, typeLength],
    ] as const) {
      const d = await device(port, codec);
      const bytes = codec.encode(JSON.stringify({ id: 1000, call: 'getUidByClientId', args: ['$self'] }));
      for (let cut = 1; cut < bytes.length; cut++) {
        d.socket.write(bytes.subarray(0, cut));
        await sleep(2);
        d.socket.write(bytes.subarray(cut));
        await d.next((m) => field(m, 'id') === 1000);
      }
      // One byte per write.
      for (const byte of bytes) {
        d.socket.write(Buffer.from([byte]));
        await sleep(1);
      }
      await d.next((m) => field(m, 'id') === 1000);
      // 200 pipelined messages in one write: handled one at a time, in order.
      d.socket.write(Buffer.concat(Array.from({ length: 200 }, (_, seq) => codec.encode(JSON.stringify({ seq })))));
      for (let seq = 0; seq < 200; seq++) {
        const reply = (await d.next((m) => field(m, 'seq') !== undefined)) as { seq: number; count: number };
        assert.deepEqual([reply.seq, reply.count], [seq, seq + 1], `${codec.name} message ${seq}`);
      }
      d.close();
    }
  });

  it(
    'a device that is not Node (socat) speaks the text protocol',
    { skip: !hasSocat && 'socat is not installed (apt-get install socat)' },
    async () => {
      const ws = await phone();
      const socat = spawn('socat', ['-', `TCP:${HOST}:${PORT.text}`], { stdio: ['pipe', 'pipe', 'ignore'] });
      clients.push({ close: () => socat.kill() });
      let out = '';
      socat.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
      const seen = (text: string) =>
        until(
          `socat printed ${text}`,
          () => out,
          (o) => o.includes(text),
        );
      await seen('"type":"hello"');
      // CRLF line endings, as many terminals and firmwares send them.
      socat.stdin.write('{"id":1,"call":"bindUid","args":["$self","socat"]}\r\n');
      await seen('{"id":1,"result":null}\n');
      await ws.call('sendToUid', 'socat', 'hi socat');
      await seen('hi socat\n');
      await ws.call('bindUid', '$self', 'ws-peer');
      socat.stdin.write('{"id":2,"call":"sendToUid","args":["ws-peer","hi phone"]}\n');
      assert.equal(await ws.next((m) => m === 'hi phone'), 'hi phone');
      socat.stdin.end();
    },
  );

  it('TLS on the TCP listener: a device logs in over TLS; a plaintext one gets nothing', async () => {
    const secure = track(await TcpTestClient.connect(TLS_HOST, TLS_PORT, textCodec, { ca }));
    assert.equal((secure.hello.request as { protocol: string }).protocol, 'text');
    await secure.call('bindUid', '$self', 'tls-dev');
    const ws = await phone();
    await ws.call('sendToUid', 'tls-dev', 'over tls');
    await secure.next((m) => m === 'over tls');
    const plain = track(new TcpTestClient(TLS_HOST, TLS_PORT, textCodec));
    plain.send('{"id":1,"call":"isOnline","args":["$self"]}');
    await plain.closed;
    assert.equal(plain.received.length, 0);
  });

  it('heartbeats: --ping-data goes out encoded; a silent device is cut off, one that talks stays', async () => {
    const silent = track(await TcpTestClient.connect(TLS_HOST, TLS_PORT, textCodec, { ca }));
    const talking = track(await TcpTestClient.connect(TLS_HOST, TLS_PORT, textCodec, { ca }));
    talking.socket.on('data', () => {});
    const answer = setInterval(() => talking.send('{"op":"noop"}'), 100);
    try {
      assert.equal(await silent.next((m) => m === 'hb'), 'hb', 'the ping data, with its "\\n"');
      await silent.closed;
      await cluster.gateways[4]!.waitFor('missed 2 heartbeats');
      await sleep(300);
      assert.equal(talking.isClosed, false);
    } finally {
      clearInterval(answer);
    }
    // The text gateway has no --ping-data: no heartbeat, so a silent device stays.
    const quiet = await device(PORT.text);
    await sleep(500);
    assert.equal(quiet.isClosed, false);
  });

  it('--max-message-size and invalid frames cut off that device only, with a coded log line', async () => {
    const other = await device(PORT.frame, frameCodec);
    const big = await device(PORT.frame, frameCodec);
    big.socket.write(Buffer.from([0, 0, 0x13, 0x88])); // a frame of 5000 bytes announced
    await big.closed;
    await cluster.gateways[2]!.waitForCode('SB_CLOSE_MESSAGE_TOO_LARGE');
    const bad = await device(PORT.frame, frameCodec);
    bad.socket.write(Buffer.from([0, 0, 0, 2]));
    await bad.closed;
    await cluster.gateways[2]!.waitForCode('SB_CLOSE_BAD_MESSAGE');
    const typeBad = await device(PORT.typeLength, typeLength);
    typeBad.socket.write(Buffer.from([9, 0, 0]));
    await typeBad.closed;
    await cluster.gateways[3]!.waitForCode('SB_CLOSE_BAD_MESSAGE');
    assert.equal(await other.call('isOnline', '$self'), true);
    await waitForMetric(metricsUrl(2), 'switchboard_gateway_bad_messages_total', (n) => (n ?? 0) >= 2);
  });

  it('limits connections per IP and per gateway; a refused device gets the end of the stream', async () => {
    const port = 7277;
    const from = (ip: string) => track(new TcpTestClient(HOST, port, frameCodec, undefined, ip));
    const hello = (d: TcpTestClient) => d.next((m) => field(m, 'type') === 'hello');
    const a = [from('127.0.0.47'), from('127.0.0.47')];
    await Promise.all(a.map(hello));
    const third = from('127.0.0.47');
    await third.closed;
    assert.equal(third.received.length, 0, 'refused before any event');
    const b = from('127.0.0.48');
    await hello(b);
    const full = from('127.0.0.49');
    await full.closed;
    await cluster.gateways[5]!.waitFor('gateway is full');
    await cluster.gateways[5]!.waitFor('too many connections from 127.0.0.47');
    a[0]!.close();
    // Room again once the gateway has seen it go.
    await waitForMetric(metricsUrl(5), 'switchboard_gateway_connections', (n) => n === 2);
    const again = from('127.0.0.47');
    await hello(again);
    for (const d of [a[1]!, b, again]) assert.equal(d.isClosed, false);
  });

  it('slow consumer: a device that stops reading is cut off at --max-send-buffer; readers get everything', async () => {
    const slow = await device(PORT.frame, frameCodec);
    await slow.call('bindUid', '$self', 'fleet');
    slow.socket.pause();
    const reader = await device(PORT.frame, frameCodec);
    await reader.call('bindUid', '$self', 'fleet');
    let got = 0;
    reader.socket.on('data', () => {});
    // 12.8 MB in all: more than loopback's kernel buffers hold for a client that does not read.
    const payload = 'x'.repeat(64 * 1024);
    const pusher = new GatewayClient({
      register: cluster.registerAddress,
      secret: SECRET,
      log: createLogger({}, 'silent'),
    });
    try {
      for (let i = 0; i < 200; i++) {
        pusher.sendToUid('fleet', payload);
        if (i % 10 === 9) await pusher.getAllClientIdCount();
      }
      await until(
        'the reader got every push',
        () => (got += reader.received.splice(0).filter((m) => m.raw.length === payload.length).length),
        (n) => n >= 200,
        { timeoutMs: 20_000 },
      );
    } finally {
      await pusher.close();
    }
    await cluster.gateways[2]!.waitForCode('SB_CLOSE_SLOW_CONSUMER');
    await waitForMetric(metricsUrl(2), 'switchboard_gateway_slow_consumers_total', (n) => n === 1);
    assert.equal(reader.isClosed, false);
  });

  it('metrics say what each gateway speaks', async () => {
    const text = await scrape(metricsUrl(1));
    assert.equal(metricValue(text, 'switchboard_gateway_protocol_info', { protocol: 'text' }), 1);
    assert.equal(
      metricValue(await scrape(metricsUrl(0)), 'switchboard_gateway_protocol_info', { protocol: 'websocket' }),
      1,
    );
    assert.equal(
      metricValue(await scrape(metricsUrl(3)), 'switchboard_gateway_protocol_info', { protocol: 'type-length' }),
      1,
    );
  });

  it('a worker reload drains without losing a TCP event or disconnecting the device', async () => {
    const d = await device(PORT.frame, frameCodec);
    cluster.startWorker(1);
    await cluster.workerReady(cluster.workers[1]!);
    for (let seq = 0; seq < 100; seq++) {
      d.send(JSON.stringify({ seq }));
      if (seq === 30) void cluster.workers[0]!.kill('SIGTERM');
      await sleep(2);
    }
    for (let seq = 0; seq < 100; seq++) {
      const reply = (await d.next((m) => field(m, 'seq') !== undefined, 15_000)) as { seq: number; count: number };
      assert.deepEqual([reply.seq, reply.count], [seq, seq + 1]);
    }
    assert.equal(d.isClosed, false);
  });

  it('a restarted TCP gateway takes devices again; the uid follows the new connection', async () => {
    const before = await device(PORT.text);
    await before.call('bindUid', '$self', 'restarted');
    await cluster.gateways[1]!.kill('SIGTERM');
    await before.closed;
    cluster.layout.gatewayArgs = [
      ...['--metrics-listen', `${HOST}:9301`, '--max-messages-per-second', '0', '--protocol', 'text'],
    ];
    cluster.startGateway(1);
    await cluster.gateways[1]!.ready();
    await cluster.workerReady(cluster.workers[1]!);
    const after = await device(PORT.text);
    assert.notEqual(after.clientId, before.clientId, 'client ids stay unique across restarts');
    await after.call('bindUid', '$self', 'restarted');
    const ws = await phone();
    await ws.call('sendToUid', 'restarted', 'welcome back');
    await after.next((m) => m === 'welcome back');
    assert.equal(((await ws.call('getClientIdByUid', 'restarted')) as string[]).length, 1);
  });
});
