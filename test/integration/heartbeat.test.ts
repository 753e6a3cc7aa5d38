// Client heartbeats against a real gateway: protocol pings answered or not, and the text heartbeat
// (--ping-data) for clients that cannot answer WebSocket pings.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { Cluster } from '../helpers/cluster.ts';
import { waitForMetric } from '../helpers/metrics.ts';
import { killAll } from '../helpers/processes.ts';
import { TestClient } from '../helpers/ws-client.ts';

const cluster = new Cluster({
  host: '127.0.0.25',
  gateways: 2,
  workers: 1,
  // Gateway 0: protocol pings every 150 ms, 2 may go unanswered. Gateway 1 is configured below.
  gatewayArgs: ['--ping-interval', '150', '--ping-not-response-limit', '2'],
});
const sockets: WebSocket[] = [];

function open(url: string, options: WebSocket.ClientOptions = {}): Promise<WebSocket> {
  const ws = new WebSocket(url, options);
  sockets.push(ws);
  ws.on('error', () => {});
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('close', (code) => reject(new Error(`closed with ${code} before opening`)));
  });
}
const closeCode = (ws: WebSocket) => new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));

describe('client heartbeat', () => {
  before(async () => {
    cluster.startRegister();
    await cluster.register.ready();
    cluster.startGateway(0);
    cluster.layout.gatewayArgs = ['--ping-interval', '150', '--ping-not-response-limit', '2', '--ping-data', 'hb'];
    cluster.startGateway(1);
    cluster.startWorker(0);
    await cluster.workerReady(cluster.workers[0]!);
  });

  after(async () => {
    for (const ws of sockets) ws.terminate();
    await killAll();
  });

  it('disconnects a client that does not answer pings, and keeps one that does', async () => {
    const deaf = await open(cluster.wsUrl(0), { autoPong: false });
    const healthy = new TestClient(cluster.wsUrl(0));
    await healthy.opened;
    const started = Date.now();
    await closeCode(deaf);
    assert.ok(Date.now() - started >= 250, 'not before two heartbeats went unanswered');
    // The gateway holds only the healthy client now.
    await waitForMetric(cluster.metricsUrl(0), 'switchboard_gateway_connections', (n) => n === 1);
    assert.equal(await healthy.call('isOnline', '$self'), true);
    healthy.close();
  });

  it('sends --ping-data as text and accepts any message as the answer', async () => {
    const answering = new TestClient(cluster.wsUrl(1));
    await answering.opened;
    const silent = await open(cluster.wsUrl(1));
    const silentClosed = closeCode(silent);
    // Answer each text heartbeat with a message, as a client without ping support would.
    answering.ws.on('message', (m) => {
      if (String(m) === 'hb') answering.ws.send(JSON.stringify({ op: 'noop' }));
    });
    await answering.next((d) => d === 'hb');
    await silentClosed;
    // Four more heartbeats answered: twice the limit of 2 unanswered ones.
    for (let i = 0; i < 4; i++) await answering.next((d) => d === 'hb');
    assert.equal(answering.closeCode, null, 'a client that answers stays connected');
    answering.close();
  });
});
