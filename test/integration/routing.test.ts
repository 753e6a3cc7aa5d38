// Routing that does not fan out: uid and group sends reach only the gateways that hold a member, yet a send
// made after a bind reaches the new member (from the process that bound it, or from one that has heard from
// that gateway since), and a dropped link resyncs.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { GatewayClient } from '../../gateway-api/gateway-client.ts';
import type { GatewayDirectory } from '../../gateway-api/gateway-directory.ts';
import { createLogger } from '../../shared/logger.ts';
import { Cluster } from '../helpers/cluster.ts';
import { metricValue, scrape } from '../helpers/metrics.ts';
import { killAll } from '../helpers/processes.ts';
import { until } from '../helpers/wait.ts';
import { TestClient } from '../helpers/ws-client.ts';

const HOST = '127.0.0.37';
const cluster = new Cluster({ host: HOST, gateways: 3, workers: 2 });
const quiet = createLogger({}, 'silent');
const clients: TestClient[] = [];
const gatewayClients: GatewayClient[] = [];

const connect = async (gateway: number) => {
  const client = await TestClient.connect(cluster.wsUrl(gateway));
  clients.push(client);
  return client;
};

const gatewayClient = async (routing: 'directory' | 'all') => {
  const client = new GatewayClient({ register: cluster.registerAddress, secret: 'test-secret', routing, log: quiet });
  gatewayClients.push(client);
  await client.ready();
  // A query's answer comes after the gateway's membership snapshot on the same link: from here on the
  // client routes by what each gateway holds.
  await client.getAllClientIdCount();
  return client;
};

/** Send commands each gateway has received so far, read from its /metrics. */
async function sendCommands(): Promise<number[]> {
  return Promise.all(
    cluster.gateways.map(async (_, g) => {
      const sent = metricValue(await scrape(cluster.metricsUrl(g)), 'switchboard_gateway_send_commands_total');
      assert.ok(sent !== undefined, `gateway ${g} counts send commands`);
      return sent;
    }),
  );
}

async function sendCommandsDuring(work: () => Promise<void>): Promise<number[]> {
  const before = await sendCommands();
  await work();
  return (await sendCommands()).map((n, g) => n - before[g]!);
}

describe('routing', () => {
  before(async () => {
    await cluster.start();
  });

  after(async () => {
    for (const client of clients) client.close();
    await Promise.all(gatewayClients.map((c) => c.close()));
    await killAll();
  });

  it('sends a uid or group message only to the gateways that hold it; `all` sends it to every gateway', async () => {
    const [a, b] = await Promise.all([connect(0), connect(1), connect(2)]);
    await a!.call('bindUid', '$self', 'only-on-0');
    await b!.call('joinGroup', '$self', 'only-on-1');
    const direct = await gatewayClient('directory');
    const everywhere = await gatewayClient('all');
    const rounds = 10;

    const routed = await sendCommandsDuring(async () => {
      for (let i = 0; i < rounds; i++) {
        direct.sendToUid('only-on-0', `uid ${i}`);
        direct.sendToGroup('only-on-1', `group ${i}`);
        direct.sendToUid('nobody-online', 'lost');
        direct.sendToUid(['only-on-0', 'nobody-online'], `list ${i}`);
      }
      await a!.next((d) => d === `list ${rounds - 1}`);
      await b!.next((d) => d === `group ${rounds - 1}`);
      // Counted by the gateways: one send each, on the gateway that holds the member.
      assert.equal(await direct.sendAndCount('sendToUid', 'only-on-0', 'counted'), 1);
      assert.equal(await direct.sendAndCount('sendToGroup', 'only-on-1', 'counted'), 1);
    });
    assert.deepEqual(routed, [2 * rounds + 1, rounds + 1, 0]);

    const broadcast = await sendCommandsDuring(async () => {
      for (let i = 0; i < rounds; i++) everywhere.sendToUid('only-on-0', `all ${i}`);
      await a!.next((d) => d === `all ${rounds - 1}`);
      await everywhere.getAllClientIdCount(); // answered after the sends on every link
    });
    assert.deepEqual(broadcast, [rounds, rounds, rounds]);
  });

  it('delivers a send made after a bind by any process that has heard from that gateway since', async () => {
    const direct = await gatewayClient('directory');
    for (let i = 0; i < 30; i++) {
      const [member, sender] = await Promise.all([connect(i % 3), connect(i % 3)]);
      await member.call('bindUid', '$self', `fresh-${i}`);
      // The sender's event leaves the gateway after the update: whichever worker gets it knows the new member.
      await sender.call('sendToUid', `fresh-${i}`, `from worker ${i}`);
      await member.next((d) => d === `from worker ${i}`, 2000);
      // A query's answers come after the update on each link, so the send that follows it is routed right.
      assert.equal(await direct.isUidOnline(`fresh-${i}`), true);
      direct.sendToUid(`fresh-${i}`, `from client ${i}`);
      await member.next((d) => d === `from client ${i}`, 2000);
      await member.call('joinGroup', '$self', `room-${i}`);
      await sender.call('sendToGroup', `room-${i}`, `room ${i}`);
      await member.next((d) => d === `room ${i}`, 2000);
      member.close();
      sender.close();
    }
  });

  it("delivers a worker's send to a uid it bound a moment before in the same handler", async () => {
    const member = await connect(1);
    for (let i = 0; i < 10; i++) {
      member.send({ op: 'bindAndSend', uid: `same-handler-${i}` });
      await member.next((d) => d === `bound:same-handler-${i}`, 2000);
    }
  });

  it('resyncs after its link to a gateway drops: members who joined meanwhile are reached', async () => {
    const direct = await gatewayClient('directory');
    const directory = (direct as unknown as { dir: GatewayDirectory }).dir;
    const gateway = cluster.innerAddress(1);
    const member = await connect(1);
    // Keep the link down (it reconnects by itself after ~100 ms) until the bind has happened.
    directory.link(gateway)!.close();
    const keepDown = setInterval(() => directory.link(gateway)?.close(), 5);
    try {
      await member.call('bindUid', '$self', 'bound-while-away');
    } finally {
      clearInterval(keepDown);
    }
    await until('the link to gateway 1 back', () => directory.link(gateway), Boolean, {
      timeoutMs: 5000,
      intervalMs: 20,
    });
    await direct.getAllClientIdCount();
    assert.equal(await direct.sendAndCount('sendToUid', 'bound-while-away', 'welcome back'), 1);
    await member.next((d) => d === 'welcome back');
  });
});
