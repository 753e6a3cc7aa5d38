// Processes die and come back while clients keep talking: a worker killed mid-stream, no worker at all,
// a gateway that stops answering, a register restarted. Every role is a real process.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { GatewayClient } from '../../gateway-api/gateway-client.ts';
import { createLogger } from '../../shared/logger.ts';
import { Cluster } from '../helpers/cluster.ts';
import { field } from '../helpers/inbox.ts';
import { waitForMetric } from '../helpers/metrics.ts';
import { killAll } from '../helpers/processes.ts';
import { until } from '../helpers/wait.ts';
import { TestClient } from '../helpers/ws-client.ts';

const cluster = new Cluster({
  host: '127.0.0.22',
  gateways: 2,
  workers: 2,
  workerArgs: ['--query-timeout', '1000'],
  // One event in flight per client: a killed worker then loses at most one per client, as asserted below
  // (a window of events in flight, the default, is covered by pipelining.test.ts).
  gatewayArgs: ['--max-pending-events', '10000', '--max-events-in-flight', '1'],
});
const clients: TestClient[] = [];
const connect = async (gateway: number) => {
  const client = await TestClient.connect(cluster.wsUrl(gateway));
  clients.push(client);
  return client;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
type Reply = { seq: number; worker: number };
const isReply = (m: unknown) => typeof field(m, 'seq') === 'number';
/** Resolves once gateway `g` routes to worker `name` (`linked`), or no longer does: it saw the link close. */
const gatewayRoutesTo = (g: number, name: string, linked = true) =>
  waitForMetric(cluster.metricsUrl(g), 'switchboard_gateway_events_routed_total', (n) => (n !== undefined) === linked, {
    labels: { worker: name },
  });

/** Drains the seq replies a client has received so far. */
function replies(client: TestClient): Reply[] {
  const out = client.received.filter((m) => isReply(m.data)).map((m) => m.data as Reply);
  client.received.splice(0, client.received.length, ...client.received.filter((m) => !isReply(m.data)));
  return out;
}

describe('failover', () => {
  before(async () => {
    await cluster.start();
  });

  after(async () => {
    for (const client of clients) client.close();
    await killAll();
  });

  it('rejects a query with a coded error naming a gateway that does not answer', async () => {
    const client = await connect(0);
    cluster.gateways[1]!.proc.kill('SIGSTOP');
    try {
      await assert.rejects(client.call('getAllClientIdCount'), { code: 'SB_ERR_QUERY_TIMEOUT' });
    } finally {
      cluster.gateways[1]!.proc.kill('SIGCONT');
    }
    assert.equal(await client.call('getAllClientIdCount'), 1);
  });

  it('closes its link to a gateway that stops reading once too much waits for it, then links again', async () => {
    const lines: { msg: string; code?: string }[] = [];
    const log = createLogger({}, 'warn', (line) => void lines.push(JSON.parse(line)));
    const client = new GatewayClient({
      register: cluster.registerAddress,
      secret: 'test-secret',
      maxLinkBacklog: 1024 * 1024,
      log,
    });
    const stalled = cluster.gateways[1]!;
    try {
      try {
        await client.ready();
        stalled.proc.kill('SIGSTOP');
        const big = 'x'.repeat(60_000);
        const refused = () => lines.find((l) => l.code === 'SB_ERR_LINK_BACKLOG');
        // The kernel's socket buffers take several MB first; bounded in count (120 MB at most) and time.
        const deadline = Date.now() + 15_000;
        for (let i = 0; i < 2000 && !refused() && Date.now() < deadline; i++) {
          client.sendToAll(big);
          if (i % 16 === 0) await sleep(5);
        }
        const line = refused();
        assert.ok(line, `the link was closed for its backlog: ${JSON.stringify(lines)}`);
        assert.match(line.msg, /127\.0\.0\.22:2901.*does not read.*maxLinkBacklog/);
      } finally {
        stalled.proc.kill('SIGCONT');
      }
      const connect = await TestClient.connect(cluster.wsUrl(1));
      clients.push(connect);
      // Linked again (the reconnect may take a backoff step): the stalled gateway is counted once more.
      await until(
        'the stalled gateway counted again',
        () => client.getAllClientIdCount(),
        (n) => n >= 1,
        {
          intervalMs: 100,
        },
      );
      assert.equal(await client.sendAndCount('sendToClient', connect.clientId, 'back'), 1);
      await connect.next((d) => d === 'back');
    } finally {
      await client.close();
    }
  });

  it('rebinds the clients of a worker killed mid-stream without disconnecting them', async () => {
    const streamers = await Promise.all([0, 0, 0, 1, 1, 1].map((g) => connect(g)));
    const victim = cluster.workers[0]!;
    const survivor = cluster.workers[1]!;
    const total = 200;
    let killed = false;
    for (let seq = 0; seq < total; seq++) {
      for (const s of streamers) s.send({ seq });
      if (seq === total / 2) {
        await victim.kill('SIGKILL');
        killed = true;
      }
      if (seq % 4 === 0) await sleep(2);
    }
    assert.ok(killed);
    for (const s of streamers) await s.next((m) => field(m, 'seq') === total - 1, 10_000);
    for (const s of streamers) {
      assert.equal(s.closeCode, null, 'client stayed connected');
      const seqs = [...replies(s).map((r) => r.seq), total - 1];
      for (let i = 1; i < seqs.length; i++) assert.ok(seqs[i]! > seqs[i - 1]!, `in order: ${seqs.join(',')}`);
      // At most the one event that was with the dead worker is lost per client.
      assert.ok(seqs.length >= total - 1, `client got ${seqs.length} of ${total}`);
    }
    const last = (await (streamers[0]!.send({ seq: total }), streamers[0]!.next(isReply))) as Reply;
    assert.equal(last.worker, survivor.proc.pid);
  });

  it('holds events while no worker is connected, then delivers them in order', async () => {
    const client = await connect(1);
    await gatewayRoutesTo(1, 'w1');
    await cluster.workers[1]!.kill('SIGKILL');
    // Until the gateway sees the link close, an event may still go to the dead worker and be lost.
    await gatewayRoutesTo(1, 'w1', false);
    for (let seq = 0; seq < 20; seq++) client.send({ seq });
    // The gateway holds all 20 (no worker to take them).
    await waitForMetric(cluster.metricsUrl(1), 'switchboard_gateway_queued_events', (n) => n === 20);
    assert.equal(client.closeCode, null);
    assert.equal(replies(client).length, 0);
    const worker = cluster.startWorker(2);
    await cluster.workerReady(worker);
    for (let seq = 0; seq < 20; seq++) {
      const reply = (await client.next(isReply)) as Reply & { count: number };
      assert.deepEqual([reply.seq, reply.count], [seq, seq + 1]);
    }
  });

  it('keeps traffic flowing while the register restarts, and finds gateways again after', async () => {
    const [x, y] = await Promise.all([connect(0), connect(1)]);
    await y.call('bindUid', '$self', 'y');
    await cluster.register.kill('SIGKILL');
    await x.call('sendToUid', 'y', 'while-register-down');
    await y.next((d) => d === 'while-register-down');
    assert.equal(await x.call('getAllUidCount'), 1);

    cluster.startRegister();
    // Both gateways have linked to the new register and announced themselves.
    await cluster.registerKnows(2);
    // A worker started now learns both gateways from the new register.
    const fresh = cluster.startWorker(3);
    await cluster.workerReady(fresh);
    await gatewayRoutesTo(0, 'w2');
    await cluster.workers[2]!.kill('SIGKILL');
    await gatewayRoutesTo(0, 'w2', false);
    await x.call('sendToUid', 'y', 'after-register-restart');
    await y.next((d) => d === 'after-register-restart');
    assert.equal(x.closeCode, null);
    assert.equal(y.closeCode, null);
  });
});
