// A bug in a gateway command handler is the gateway's own failure: it is logged as SB_ERR_INTERNAL with its
// stack and counted, and the worker that sent the command keeps its link and every other client's events.
// The fault is injected by a test-only preload (test/fixtures/fault-in-ungroup.ts) into the real gateway
// process; everything else is real processes over real sockets.
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { Cluster } from '../helpers/cluster.ts';
import { killAll, RoleProcess } from '../helpers/processes.ts';
import { TestClient } from '../helpers/ws-client.ts';
import { FAULT_GROUP } from '../fixtures/fault-in-ungroup.ts';

const HOST = '127.0.0.47';
const cluster = new Cluster({ host: HOST, gateways: 1, workers: 1 });
const clients: TestClient[] = [];
const FAULT_PRELOAD = fileURLToPath(new URL('../fixtures/fault-in-ungroup.ts', import.meta.url));

/** The value of an unlabelled metric on the gateway's /metrics. */
async function metric(name: string): Promise<number> {
  const text = await (await fetch(`http://${HOST}:7272/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  assert.ok(line, `${name} is exposed`);
  return Number(line.split(' ')[1]);
}

async function waitForMetric(name: string, value: number, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await metric(name)) !== value) {
    if (Date.now() > deadline) assert.fail(`${name} did not reach ${value}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('an exception in a gateway command handler', () => {
  let gateway: RoleProcess;

  before(async () => {
    cluster.startRegister();
    await cluster.register.waitFor('register listening');
    gateway = new RoleProcess(
      'gateway0',
      [
        'gateway',
        ...['--listen', `${HOST}:7272`, '--lan-ip', HOST, '--inner-port', '2900'],
        ...['--register', cluster.registerAddress],
      ],
      { ...cluster.env, NODE_OPTIONS: `--import tsx --import ${FAULT_PRELOAD}` },
    );
    cluster.gateways[0] = gateway;
    await gateway.waitFor('connected to register');
    await cluster.workerReady(cluster.startWorker(0));
  });

  after(async () => {
    for (const client of clients) client.close();
    await killAll();
  });

  it('is logged as internal and counted, and the worker link and other clients events survive it', async () => {
    const caller = await TestClient.connect(cluster.wsUrl(0));
    const bystander = await TestClient.connect(cluster.wsUrl(0));
    clients.push(caller, bystander);
    assert.equal(await metric('switchboard_gateway_internal_errors_total'), 0);

    // The bystander keeps a stream of events in flight through the same worker while the fault happens.
    const SEQS = 40;
    for (let seq = 1; seq <= SEQS / 2; seq++) bystander.send({ seq });
    assert.equal(await caller.call('ungroup', FAULT_GROUP), null);
    for (let seq = SEQS / 2 + 1; seq <= SEQS; seq++) bystander.send({ seq });
    await waitForMetric('switchboard_gateway_internal_errors_total', 1);

    // Every event of the bystander was handled, in order, with its session carried from one to the next.
    for (let seq = 1; seq <= SEQS; seq++) {
      const reply = (await bystander.next((m) => (m as { seq?: number }).seq !== undefined)) as Record<string, unknown>;
      assert.deepEqual([reply.seq, reply.count, reply.last], [seq, seq, seq === 1 ? null : seq - 1]);
    }
    // The caller's own link to its worker works too, and another ungroup reaches the same gateway.
    assert.equal(await caller.call('joinGroup', '$self', 'room'), null);
    assert.equal(await caller.call('getClientIdCountByGroup', 'room'), 1);
    assert.equal(await caller.call('ungroup', 'room'), null);
    assert.equal(await caller.call('getClientIdCountByGroup', 'room'), 0);

    const internal = gateway.lines.filter((l) => l.code === 'SB_ERR_INTERNAL');
    assert.equal(internal.length, 1);
    assert.equal(internal[0]!.level, 'error');
    assert.match(String(internal[0]!.stack), /TypeError: fault injected into ungroup/);
    assert.equal(await metric('switchboard_gateway_internal_errors_total'), 1);
    assert.equal(await metric('switchboard_gateway_lost_events_total'), 0);
    assert.equal(await metric('switchboard_gateway_workers'), 1);
    // Nobody was blamed: no link was closed for a bad frame, and the worker never lost its gateway.
    assert.deepEqual(
      [...gateway.lines, ...cluster.workers[0]!.lines].filter((l) => l.code === 'SB_ERR_BAD_FRAME'),
      [],
    );
    assert.equal(cluster.workers[0]!.lines.filter((l) => l.level === 'warn' || l.level === 'error').length, 0);
  });
});
