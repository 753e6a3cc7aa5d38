// Client-side limits of a real gateway: connections per gateway and per IP, allowed origins, message rate, and
// slow consumers under a broadcast stream.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { GatewayClient } from '../../gateway-api/gateway-client.ts';
import { createLogger } from '../../shared/logger.ts';
import { Cluster } from '../helpers/cluster.ts';
import { metricValue, scrape, waitForMetric } from '../helpers/metrics.ts';
import { killAll } from '../helpers/processes.ts';
import { until } from '../helpers/wait.ts';
import { TestClient } from '../helpers/ws-client.ts';

const HOST = '127.0.0.32';
const cluster = new Cluster({ host: HOST, gateways: 3, workers: 1, secret: 'limits' });
const sockets: WebSocket[] = [];

function open(url: string, options: WebSocket.ClientOptions = {}): Promise<WebSocket> {
  const ws = new WebSocket(url, options);
  sockets.push(ws);
  ws.on('error', () => {});
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('close', (code) => reject(Object.assign(new Error(`closed with ${code} before opening`), { code })));
    ws.once('unexpected-response', (_req, res) =>
      reject(Object.assign(new Error('refused'), { status: res.statusCode })),
    );
  });
}
const closed = (ws: WebSocket) =>
  new Promise<number>((resolve) =>
    ws.readyState === WebSocket.CLOSED ? resolve(ws.readyState) : ws.once('close', resolve),
  );
const rssOf = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;

describe('client limits', () => {
  before(async () => {
    cluster.startRegister();
    await cluster.register.ready();
    // Gateway 0: connection limits and a message rate. 1: allowed origins. 2: slow consumers.
    cluster.layout.gatewayArgs = [
      '--max-connections',
      '5',
      '--max-connections-per-ip',
      '3',
      '--max-messages-per-second',
      '50',
      // Room for a flood past the rate's abuse threshold (500 messages owed) before the pending-events bound.
      '--max-pending-events',
      '2000',
    ];
    cluster.startGateway(0);
    cluster.layout.gatewayArgs = ['--allowed-origins', 'https://good.example'];
    cluster.startGateway(1);
    cluster.layout.gatewayArgs = ['--max-send-buffer', '262144'];
    cluster.startGateway(2);
    cluster.startWorker(0);
    await cluster.workerReady(cluster.workers[0]!);
  });

  after(async () => {
    for (const ws of sockets) ws.terminate();
    await killAll();
  });

  it('limits connections per IP (1008) and per gateway (1013)', async () => {
    const fromA = await Promise.all([1, 2, 3].map(() => open(cluster.wsUrl(0), { localAddress: '127.0.0.33' })));
    const fourth = await open(cluster.wsUrl(0), { localAddress: '127.0.0.33' });
    assert.equal(await closed(fourth), 1008);
    const fromB = await Promise.all([1, 2].map(() => open(cluster.wsUrl(0), { localAddress: '127.0.0.34' })));
    const sixth = await open(cluster.wsUrl(0), { localAddress: '127.0.0.35' });
    assert.equal(await closed(sixth), 1013);
    for (const ws of [...fromA, ...fromB]) assert.equal(ws.readyState, WebSocket.OPEN);
    // Room again once one leaves.
    fromA[0]!.close();
    await closed(fromA[0]!);
    const again = await open(cluster.wsUrl(0), { localAddress: '127.0.0.33' });
    assert.equal(again.readyState, WebSocket.OPEN);
    for (const ws of [...fromA, ...fromB, again]) ws.terminate();
  });

  it('refuses origins that are not allowed with HTTP 403', async () => {
    await assert.rejects(open(cluster.wsUrl(1), { origin: 'https://evil.example' }), { status: 403 });
    await assert.rejects(open(cluster.wsUrl(1)), { status: 403 });
    const good = await open(cluster.wsUrl(1), { origin: 'https://good.example' });
    assert.equal(good.readyState, WebSocket.OPEN);
  });

  it('slows a client that sends faster than its rate instead of closing it', async () => {
    // The first test's connections are released (they count towards the per-IP limit).
    await waitForMetric(cluster.metricsUrl(0), 'switchboard_gateway_connections', (n) => n === 0);
    const fast = new TestClient(cluster.wsUrl(0));
    sockets.push(fast.ws);
    await fast.opened;
    // 50/s with bursts of 100: 150 at once owe 1 s, so the gateway stops reading the client for about that long.
    const start = performance.now();
    for (let i = 0; i < 150; i++) fast.send({ op: 'noop' });
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(await fast.call('isOnline', '$self'), true);
    const elapsed = performance.now() - start;
    assert.ok(elapsed >= 700, `answered after ${Math.round(elapsed)} ms: the client was not slowed`);
    assert.equal(fast.ws.readyState, WebSocket.OPEN);
    const text = await scrape(cluster.metricsUrl(0));
    assert.ok(metricValue(text, 'switchboard_gateway_clients_throttled_total')! >= 1);
    fast.ws.terminate();
  });

  it('closes a client that owes over 10 s of its rate with 1008, and only that one', async () => {
    await waitForMetric(cluster.metricsUrl(0), 'switchboard_gateway_connections', (n) => n === 0);
    const flooder = await open(cluster.wsUrl(0));
    const polite = new TestClient(cluster.wsUrl(0));
    sockets.push(polite.ws);
    await polite.opened;
    // 1,000 messages in one write: all reach the gateway before it can stop reading, 900 over a burst of 100,
    // more than 10 s of a 50/s rate. A masked client frame with a zero key carries its payload as it is.
    const payload = Buffer.from('{"op":"noop"}');
    const frame = Buffer.concat([Buffer.from([0x81, 0x80 | payload.length, 0, 0, 0, 0]), payload]);
    (flooder as unknown as { _socket: { write(b: Buffer): void } })._socket.write(
      Buffer.concat(Array.from({ length: 1000 }, () => frame)),
    );
    assert.equal(await closed(flooder), 1008);
    for (let i = 0; i < 5; i++) {
      assert.equal(await polite.call('isOnline', '$self'), true);
      await new Promise((r) => setTimeout(r, 50));
    }
    await cluster.gateways[0]!.waitForCode('SB_CLOSE_RATE_LIMIT');
  });

  it('cuts off clients that stop reading during a broadcast stream; memory stays bounded, readers get everything', async () => {
    const url = cluster.wsUrl(2);
    const slow = await Promise.all(Array.from({ length: 100 }, () => open(url)));
    for (const ws of slow) (ws as unknown as { _socket: { pause(): void } })._socket.pause();
    const fast = await Promise.all(Array.from({ length: 10 }, () => open(url)));
    const got = fast.map(() => 0);
    fast.forEach((ws, i) => ws.on('message', (m: Buffer) => m.length === 32 * 1024 && got[i]!++));
    const gatewayPid = cluster.gateways[2]!.proc.pid!;
    const rssBefore = rssOf(gatewayPid);

    const pusher = new GatewayClient({
      register: cluster.registerAddress,
      secret: 'limits',
      log: createLogger({}, 'silent'),
    });
    const payload = 'x'.repeat(32 * 1024);
    const broadcasts = 300;
    let peak = 0;
    try {
      for (let i = 0; i < broadcasts; i++) {
        pusher.sendToAll(payload);
        // Pace the stream by a round trip now and then, as a real producer would be paced.
        if (i % 10 === 9) {
          await pusher.getAllClientIdCount();
          peak = Math.max(peak, rssOf(gatewayPid));
        }
      }
      // On timeout the assertion below says who missed what.
      await until(
        'every reader got every broadcast',
        () => got,
        (g) => g.every((n) => n >= broadcasts),
        {
          timeoutMs: 20_000,
        },
      ).catch(() => {});
    } finally {
      await pusher.close();
    }
    assert.deepEqual(
      got,
      fast.map(() => broadcasts),
      'every reader got every broadcast',
    );
    for (const ws of fast) assert.equal(ws.readyState, WebSocket.OPEN);
    const slowCodes = ['SB_CLOSE_SLOW_CONSUMER', 'SB_SLOW_CONSUMER_DROP'];
    const cut = cluster.gateways[2]!.lines.filter((l) => slowCodes.includes(String(l.code)));
    assert.equal(cut.length, 100, 'each slow client cut off, logged once');
    assert.ok(cut.every((l) => l.code === 'SB_CLOSE_SLOW_CONSUMER'));
    const counted = metricValue(await scrape(cluster.metricsUrl(2)), 'switchboard_gateway_slow_consumers_total');
    assert.equal(counted, 100, 'and counted once each');
    const grown = (peak - rssBefore) / 1024 / 1024;
    console.log(`gateway RSS ${Math.round(rssBefore / 1048576)} MB before, peak +${grown.toFixed(1)} MB`);
    // Without the bound the gateway would hold 100 × 9.6 MB for the slow clients.
    assert.ok(grown < 64, `gateway RSS grew by ${grown.toFixed(1)} MB`);
  });
});
