// Faults a client or a handler causes, seen and survived: a handler that never finishes (--handler-timeout),
// a client flooding past --max-pending-events, and a client that leaves with messages still waiting.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Cluster } from '../helpers/cluster.ts';
import { metricValue, scrape, waitForMetric } from '../helpers/metrics.ts';
import { FIXTURES, killAll, type LogLine } from '../helpers/processes.ts';
import { until } from '../helpers/wait.ts';
import { TestClient } from '../helpers/ws-client.ts';

const HOST = '127.0.0.117';
const TIMEOUT_MS = 800;
const WORKER_METRICS = `http://${HOST}:9617/metrics`;
const cluster = new Cluster({
  host: HOST,
  gateways: 3,
  workers: 1,
  secret: 'hung',
  events: `${FIXTURES}hang-app.ts`,
  workerArgs: ['--handler-timeout', String(TIMEOUT_MS), '--metrics-listen', `${HOST}:9617`],
});
const clients: TestClient[] = [];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function connect(gateway: number): Promise<TestClient & { clientId: string }> {
  const client = await TestClient.connect(cluster.wsUrl(gateway));
  clients.push(client);
  return client;
}

const workerMetric = async (name: string, labels: Record<string, string> = {}) =>
  metricValue(await scrape(WORKER_METRICS), name, labels) ?? 0;

/** A WebSocket text frame as a client sends it (masked with a zero key, so the payload is as it is). */
function textFrame(text: string): Buffer {
  const payload = Buffer.from(text);
  return Buffer.concat([Buffer.from([0x81, 0x80 | payload.length, 0, 0, 0, 0]), payload]);
}

/** Writes frames in one write, so they all reach the gateway before it can answer the first. */
function writeAtOnce(client: TestClient, frames: Buffer[]): void {
  (client.ws as unknown as { _socket: { write(b: Buffer): void } })._socket.write(Buffer.concat(frames));
}

describe('hung handlers and refused clients', () => {
  before(async () => {
    cluster.startRegister();
    await cluster.register.ready();
    cluster.startGateway(0);
    // Gateway 1 sends one event of a client at a time and holds at most 5 more: its queue fills behind a hang.
    cluster.layout.gatewayArgs = ['--max-events-in-flight', '1', '--max-pending-events', '5'];
    cluster.startGateway(1);
    // Gateway 2: a message rate, with room for a flood past its abuse threshold before the pending bound.
    cluster.layout.gatewayArgs = ['--max-messages-per-second', '50', '--max-pending-events', '2000'];
    cluster.startGateway(2);
    await cluster.registerKnows();
    cluster.startWorker(0);
    await cluster.workerReady(cluster.workers[0]!);
  });

  after(async () => {
    for (const c of clients) c.close();
    await killAll();
  });

  it('logs a hung handler while it runs, counts it, and handles its client next message after the timeout', async () => {
    const worker = cluster.workers[0]!;
    const before = await workerMetric('switchboard_worker_handler_timeouts_total');
    const client = await connect(0);
    const sentAt = Date.now();
    client.send('hang');
    client.send('next');
    const line = await worker.waitForCode('SB_ERR_HANDLER_TIMEOUT', 10_000, (l) => l.client === client.clientId);
    assert.equal(line.event, 'message');
    assert.equal(line.level, 'warn');
    assert.ok((line.ageMs as number) >= TIMEOUT_MS, JSON.stringify(line));
    assert.equal(await client.next((m) => m === 'echo:next', 10_000), 'echo:next');
    assert.ok(Date.now() - sentAt >= TIMEOUT_MS, 'the next message waited for the timeout, not less');
    // The hung handler still runs: the worker says so, and it is the oldest event there.
    const stats = await worker.stats();
    assert.equal(stats.overdue, 1);
    assert.ok(stats.oldestEventMs! >= TIMEOUT_MS, JSON.stringify(stats));
    assert.equal(await workerMetric('switchboard_worker_handler_timeouts_total'), before + 1);
    assert.equal(await workerMetric('switchboard_worker_handlers_overdue'), 1);
    // The client goes on as usual.
    client.send('again');
    assert.equal(await client.next((m) => m === 'echo:again', 5000), 'echo:again');
    assert.equal(client.closeCode, null);
  });

  it('refuses the Gateway calls a timed-out handler makes later, and logs when it ends', async () => {
    const worker = cluster.workers[0]!;
    const client = await connect(0);
    client.send(`late:${TIMEOUT_MS + 700}`);
    client.send('after');
    assert.equal(await client.next((m) => m === 'echo:after', 10_000), 'echo:after');
    const late = await worker.waitFor('late call', 10_000);
    assert.equal(late.code, 'SB_ERR_HANDLER_TIMEOUT');
    await worker.waitFor('past its timeout', 5000, (l) => l.client === client.clientId && l.timedOut === true);
    await client.nothing((m) => m === 'late', 300);
  });

  it('closes a client flooding past --max-pending-events once: one warning line, the rest counted', async () => {
    const gateway = cluster.gateways[1]!;
    const url = cluster.metricsUrl(1);
    const client = await connect(1);
    // One hangs (in flight), 5 wait, the 7th is refused and closes the client; 54 more arrive while it closes.
    writeAtOnce(client, ['hang', ...Array.from({ length: 60 }, (_, i) => `m${i}`)].map(textFrame));
    assert.equal(await client.closed, 1013);
    const dropped = async () => {
      const text = await scrape(url);
      const of = (reason: string) => metricValue(text, 'switchboard_gateway_frames_dropped_total', { reason });
      return { refused: of('refused'), closing: of('closing'), left: of('left') };
    };
    assert.deepEqual(await until('the drops counted', dropped, (d) => d.closing === 54), {
      refused: 1,
      closing: 54,
      left: 5,
    });
    await sleep(300);
    const warnings = gateway.lines.filter(
      (l: LogLine) => l.code === 'SB_CLOSE_TRY_AGAIN_LATER' && String(l.msg).includes(client.clientId),
    );
    assert.equal(warnings.length, 1, gateway.dump());
    assert.equal(await waitForMetric(url, 'switchboard_gateway_queued_events', (n) => n === 0), 0);
  });

  it('closes a client far over its message rate once: one warning line, the rest counted', async () => {
    const gateway = cluster.gateways[2]!;
    const url = cluster.metricsUrl(2);
    const client = await connect(2);
    // 1,000 at once: 900 over a burst of 100, more than 10 s of a 50/s rate.
    writeAtOnce(
      client,
      Array.from({ length: 1000 }, (_, i) => textFrame(`r${i}`)),
    );
    assert.equal(await client.closed, 1008);
    const refused = await waitForMetric(url, 'switchboard_gateway_frames_dropped_total', (n) => n === 1, {
      labels: { reason: 'refused' },
    });
    assert.equal(refused, 1);
    const closing = metricValue(await scrape(url), 'switchboard_gateway_frames_dropped_total', { reason: 'closing' });
    assert.ok(closing! > 0, `later frames counted: ${closing}`);
    await sleep(300);
    const warnings = gateway.lines.filter(
      (l: LogLine) => l.code === 'SB_CLOSE_RATE_LIMIT' && String(l.msg).includes(client.clientId),
    );
    assert.equal(warnings.length, 1, gateway.dump());
  });

  it('drops the queued messages of a client that left: its worker handles only its close event', async () => {
    const url = cluster.metricsUrl(1);
    const messages = () => workerMetric('switchboard_worker_events_total', { event: 'message' });
    const closes = () => workerMetric('switchboard_worker_events_total', { event: 'close' });
    // Whatever the previous test left running has timed out by now.
    await sleep(TIMEOUT_MS + 200);
    const [messagesBefore, closesBefore] = [await messages(), await closes()];
    const leftBefore = metricValue(await scrape(url), 'switchboard_gateway_frames_dropped_total', { reason: 'left' })!;
    const client = await connect(1);
    client.send('hang');
    for (let i = 0; i < 4; i++) client.send(`queued${i}`);
    await waitForMetric(url, 'switchboard_gateway_queued_events', (n) => n === 4);
    client.ws.close();
    await client.closed;
    await waitForMetric(url, 'switchboard_gateway_frames_dropped_total', (n) => n === leftBefore + 4, {
      labels: { reason: 'left' },
    });
    assert.equal(await waitForMetric(url, 'switchboard_gateway_queued_events', (n) => n === 0), 0);
    // After the hang times out, the worker gets the close event, and no message of the client.
    await until('the close handled', closes, (n) => n === closesBefore + 1, { timeoutMs: 10_000 });
    await sleep(300);
    assert.equal(await messages(), messagesBefore + 1, 'only the hung message was handled');
  });
});
