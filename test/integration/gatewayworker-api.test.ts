// What a GatewayWorker app counts on, against real processes: onWebSocketConnect (after onConnect, before the
// first message, may close the client), ctx.ip/ctx.port in every event, worker.id/worker.count under
// `business --count`, the calls GatewayWorker has and their old names, and heartbeats that can be turned off
// or that do not cut off a client which never answers --ping-data.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { Cluster } from '../helpers/cluster.ts';
import { field } from '../helpers/inbox.ts';
import { waitForMetric } from '../helpers/metrics.ts';
import { FIXTURES, killAll, RoleProcess } from '../helpers/processes.ts';
import { TestClient } from '../helpers/ws-client.ts';

const HOST = '127.0.0.152';
const EVENTS = `${FIXTURES}gatewayworker-style-app.ts`;
// Gateway 0: no heartbeats. Gateway 1: a text heartbeat every 100 ms and no --ping-not-response-limit.
const cluster = new Cluster({ host: HOST, gateways: 2, workers: 0, events: EVENTS });
const clients: TestClient[] = [];
const sockets: WebSocket[] = [];

const connect = async (gateway = 0, path = '/') => {
  const client = await TestClient.connect(cluster.wsUrl(gateway, path));
  clients.push(client);
  return client;
};

let nextId = 1;
async function who(client: TestClient): Promise<Record<string, unknown>> {
  const id = nextId++;
  client.send({ id, op: 'who' });
  return ((await client.next((m) => field(m, 'id') === id)) as { result: Record<string, unknown> }).result;
}

/** The local address of a test client's socket: what the gateway sees as the client's ip and port. */
function localAddress(client: TestClient): { ip: string; port: number } {
  const socket = (client.ws as unknown as { _socket: { localAddress: string; localPort: number } })._socket;
  return { ip: socket.localAddress, port: socket.localPort };
}

describe('GatewayWorker semantics', () => {
  before(async () => {
    cluster.startRegister();
    await cluster.register.ready();
    cluster.layout.gatewayArgs = ['--ping-interval', '0'];
    cluster.startGateway(0);
    cluster.layout.gatewayArgs = ['--ping-interval', '100', '--ping-data', 'hb'];
    cluster.startGateway(1);
    await cluster.registerKnows();
    // Two copies under a supervisor, as `business --count 2` runs them.
    // killAll() stops it (and so its copies) with the rest.
    void new RoleProcess(
      'workers',
      ['business', '--count', '2', '--events', EVENTS, '--register', cluster.registerAddress, '--name', 'gw'],
      cluster.env,
    );
    await Promise.all(
      [0, 1].map((g) => waitForMetric(cluster.metricsUrl(g), 'switchboard_gateway_workers', (n) => n === 2)),
    );
  });

  after(async () => {
    for (const client of clients) client.close();
    for (const ws of sockets) ws.terminate();
    await killAll();
  });

  it('calls onWebSocketConnect after onConnect and before the first message, with query, headers and cookies', async () => {
    // A socket of our own, to send a Cookie header.
    const ws = new WebSocket(cluster.wsUrl(0, '/chat?token=good&room=7'), {
      headers: { cookie: 'sid=abc123; theme="dark"' },
    });
    sockets.push(ws);
    const messages: Record<string, unknown>[] = [];
    ws.on('message', (m) => messages.push(JSON.parse(String(m))));
    await new Promise((resolve) => ws.once('open', resolve));
    const socket = (ws as unknown as { _socket: { localAddress: string; localPort: number } })._socket;
    const [ip, port] = [socket.localAddress, socket.localPort];
    const id = 99;
    ws.send(JSON.stringify({ id, op: 'who' }));
    while (messages.length < 3) await new Promise((r) => setTimeout(r, 10));
    const [hello, wsConnect, reply] = messages as [Record<string, any>, Record<string, any>, Record<string, any>];
    assert.equal(hello.type, 'hello');
    assert.equal(wsConnect.type, 'ws');
    assert.deepEqual(wsConnect.query, { token: 'good', room: '7' });
    assert.deepEqual(wsConnect.cookies, { sid: 'abc123', theme: 'dark' });
    assert.equal(wsConnect.host, `${HOST}:7272`);
    assert.deepEqual([wsConnect.ip, wsConnect.port], [ip, port]);
    assert.deepEqual(reply.result.seen, ['connect', 'webSocketConnect', 'message']);
  });

  it('lets onWebSocketConnect close the client, after a last message', async () => {
    const client = new TestClient(cluster.wsUrl(0, '/?token=bad'));
    clients.push(client);
    assert.equal(field(await client.next((m) => field(m, 'type') === 'refused'), 'type'), 'refused');
    assert.equal(await client.closed, 1000);
    await client.nothing((m) => field(m, 'type') === 'ws', 100);
  });

  it("gives every event the client's ip and port as ctx.ip and ctx.port, onClose included", async () => {
    const watcher = await connect(1);
    await watcher.call('bindUid', '$self', 'watcher');
    const client = await connect(1);
    const address = localAddress(client);
    const seen = await who(client);
    assert.deepEqual([seen.ip, seen.port], [address.ip, address.port]);
    await client.call('updateSession', '$self', { watcher: 'watcher' });
    client.close();
    const closed = (await watcher.next((m) => field(m, 'closed') === client.clientId)) as Record<string, unknown>;
    assert.deepEqual([closed.ip, closed.port], [address.ip, address.port]);
  });

  it('tells each copy of `business --count 2` its worker.id and worker.count in onWorkerStart', async () => {
    const seen = new Map<number, Record<string, unknown>>();
    for (let i = 0; i < 6 && seen.size < 2; i++) {
      const w = await who(await connect(0));
      seen.set(w.id as number, w);
    }
    assert.deepEqual([...seen.keys()].sort(), [0, 1]);
    for (const [id, w] of seen) {
      assert.equal(w.count, 2);
      assert.equal(w.worker, `gw-${id}`, 'copies are named apart');
    }
  });

  it('tells each worker of `start --workers 2` its worker.id and worker.count too', async () => {
    const host = '127.0.0.154';
    const controlDir = mkdtempSync(join(tmpdir(), 'switchboard-gwapi-'));
    const start = new RoleProcess('start', [
      'start',
      ...['--listen', `${host}:7272`, '--register-listen', `${host}:1236`, '--lan-ip', host, '--inner-port', '2900'],
      ...['--workers', '2', '--events', EVENTS, '--control', join(controlDir, 'control.sock')],
    ]);
    try {
      await waitForMetric(`http://${host}:7272/metrics`, 'switchboard_gateway_workers', (n) => n === 2, {
        waitMs: 20_000,
      });
      const ids = new Set<unknown>();
      for (let i = 0; i < 6 && ids.size < 2; i++) {
        const client = await TestClient.connect(`ws://${host}:7272/`);
        clients.push(client);
        const w = await who(client);
        assert.equal(w.count, 2);
        ids.add(w.id);
      }
      assert.deepEqual([...ids].sort(), [0, 1]);
    } finally {
      await start.kill('SIGTERM');
      rmSync(controlDir, { recursive: true, force: true });
    }
  });

  it('counts every client with no group, takes arrays of groups, and answers under the old names alike', async () => {
    const [a, b, c] = await Promise.all([connect(0), connect(1), connect(1)]);
    await a!.call('joinGroup', '$self', 'red');
    await a!.call('bindUid', '$self', 'ann');
    await b!.call('joinGroup', '$self', 'blue');
    await b!.call('bindUid', '$self', 'bob');
    await c!.call('joinGroup', '$self', 'blue');
    await c!.call('joinGroup', '$self', 'red');
    const all = (await a!.call('getAllClientIdCount')) as number;
    assert.equal(await a!.call('getClientIdCountByGroup'), all, 'no group: every client');
    assert.equal(await a!.call('getClientCountByGroup'), all);
    assert.equal(await a!.call('getAllClientCount'), all);
    assert.equal(await a!.call('getClientIdCountByGroup', ['red', 'blue']), 3, 'c is counted once');
    assert.deepEqual(
      ((await a!.call('getClientIdListByGroup', ['red', 'blue'])) as string[]).sort(),
      [a!.clientId, b!.clientId, c!.clientId].sort(),
    );
    assert.deepEqual(((await a!.call('getUidListByGroup', ['red', 'blue'])) as string[]).sort(), ['ann', 'bob']);
    assert.equal(await a!.call('getUidCountByGroup', ['red', 'blue']), 2);
    assert.equal(await a!.call('getUidCountByGroup', 'red'), 1);
    const sessions = (await a!.call('getClientSessionsByGroup', ['red'])) as Record<string, unknown>;
    assert.deepEqual(Object.keys(sessions).sort(), [a!.clientId, c!.clientId].sort());
    const everyone = (await a!.call('getClientSessionsByGroup')) as Record<string, unknown>;
    assert.equal(Object.keys(everyone).length, all, 'no group: every client');
    assert.deepEqual(Object.keys((await a!.call('getAllClientInfo')) as object).length, all);
    assert.deepEqual(await a!.call('getClientInfoByGroup', 'blue'), await a!.call('getClientSessionsByGroup', 'blue'));
    await assert.rejects(a!.call('getClientIdListByGroup', null), { code: 'SB_ERR_INVALID_ARGUMENT' });
  });

  it('drops the current client with destroyCurrentClient (and its old misspelt name), and another with destoryClient', async () => {
    const [a, b, c] = await Promise.all([connect(0), connect(0), connect(0)]);
    a!.send({ op: 'destroy' });
    b!.send({ op: 'destory' });
    assert.equal(await a!.closed, 1006, 'no closing handshake');
    assert.equal(await b!.closed, 1006);
    const d = await connect(0);
    await d.call('destoryClient', c!.clientId);
    assert.equal(await c!.closed, 1006);
  });

  it('sends no heartbeat with --ping-interval 0, and does not cut off a client that never answers --ping-data', async () => {
    const pings: number[] = [];
    const quiet = new WebSocket(cluster.wsUrl(0), { autoPong: false });
    sockets.push(quiet);
    quiet.on('ping', () => pings.push(Date.now()));
    const silent = new WebSocket(cluster.wsUrl(1), { autoPong: false });
    sockets.push(silent);
    let heartbeats = 0;
    silent.on('message', (m) => {
      if (String(m) === 'hb') heartbeats++;
    });
    await Promise.all([quiet, silent].map((ws) => new Promise((r) => ws.once('open', r))));
    // GatewayWorker's default: with --ping-data and no --ping-not-response-limit the client need not answer.
    while (heartbeats < 6) await new Promise((r) => setTimeout(r, 50));
    assert.equal(silent.readyState, WebSocket.OPEN);
    assert.equal(quiet.readyState, WebSocket.OPEN);
    assert.deepEqual(pings, [], 'gateway 0 sends no pings');
  });
});
