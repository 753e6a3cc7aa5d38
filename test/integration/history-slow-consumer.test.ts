// A recovering client that stops reading, on a gateway with --slow-consumer drop: the kept messages dropped for
// it must not be skipped. Once it reads again, the next kept message of the stream fills the gap from the
// history, so it still gets every offset once and in order (an ordinary send dropped meanwhile stays dropped).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { GatewayClient } from '../../index.ts';
import { createLogger } from '../../shared/logger.ts';
import { Cluster } from '../helpers/cluster.ts';
import { metricValue, scrape, waitForMetric } from '../helpers/metrics.ts';
import { killAll } from '../helpers/processes.ts';
import { RecoveringClient, type Received } from '../helpers/recovering-client.ts';

const COUNT = 200;
const PAYLOAD = 'x'.repeat(32 * 1024);

describe('kept messages to a client that stops reading, --slow-consumer drop', () => {
  let cluster: Cluster;
  let sender: GatewayClient;
  let client: RecoveringClient | undefined;

  before(async () => {
    const history = ['--history', 'memory', '--history-size', '1000'];
    cluster = new Cluster({
      host: '127.0.0.187',
      gateways: 1,
      workers: 1,
      gatewayArgs: [...history, '--slow-consumer', 'drop', '--max-send-buffer', '65536'],
      workerArgs: history,
    });
    await cluster.start();
    sender = new GatewayClient({
      register: cluster.registerAddress,
      secret: 'test-secret',
      log: createLogger({}, 'silent'),
      history: 'memory',
      historySize: 1000,
    });
    await sender.ready();
  });
  after(async () => {
    client?.close();
    await sender?.close();
    await killAll();
  });

  it('gets the dropped ones from the history with the next kept message, every offset once and in order', async () => {
    client = await RecoveringClient.connect(cluster.wsUrl(0));
    await client.call('bindUid', '$self', 'slow');
    const start = (await client.next((m) => m.kind === 'event' && m.t === 'position')) as { offset: number };
    const socket = (client.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket;
    socket.pause();
    for (let i = 0; i < COUNT; i++) await sender.sendToUid('slow', `${i}:${PAYLOAD}`, { keep: true });
    await waitForMetric(cluster.metricsUrl(0), 'switchboard_gateway_dropped_pushes_total', (n) => (n ?? 0) > 0, {
      waitMs: 20_000,
    });
    socket.resume();
    // Until the client drains what was queued, pushes to it are still dropped: let it catch up first.
    const first = (await client.next((m) => m.kind === 'kept', 20_000)) as Received & { kind: 'kept' };
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await sender.sendToUid('slow', `${COUNT}:last`, { keep: true });

    const offsets = [first.offset];
    for (;;) {
      const m = (await client.next((x) => x.kind === 'kept', 20_000)) as Received & { kind: 'kept' };
      offsets.push(m.offset);
      assert.equal(Number(String(m.data).split(':')[0]), m.offset - start.offset - 1, 'the data at its offset');
      if (m.offset === start.offset + COUNT + 1 || offsets.length > COUNT + 1) break;
    }
    assert.deepEqual(
      offsets,
      Array.from({ length: COUNT + 1 }, (_, i) => start.offset + 1 + i),
    );
    await assert.rejects(client.next((m) => m.kind === 'kept', 500));
    const dropped = metricValue(await scrape(cluster.metricsUrl(0)), 'switchboard_gateway_dropped_pushes_total');
    assert.ok((dropped ?? 0) > 0, 'pushes were dropped on the way');
  });
});
