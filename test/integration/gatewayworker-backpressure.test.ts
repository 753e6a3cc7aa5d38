// A PHP caller that sends many queries and does not read the answers: the gateway stops reading its commands
// until it reads, so the gateway's memory does not grow with the answers owed, and every answer arrives once
// the caller reads again.
import assert from 'node:assert/strict';
import { connect as tcpConnect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { encodePacket, GwCmd } from '../../gateway/gatewayworker-protocol.ts';
import { Cluster } from '../helpers/cluster.ts';
import { runPhp } from '../helpers/php.ts';
import { FIXTURES, killAll } from '../helpers/processes.ts';
import { TestClient } from '../helpers/ws-client.ts';

const HOST = '127.0.0.67';
const SECRET = 'php-backpressure';
const GW_PORT = 3967;
const QUERIES = 4000;
const SESSION_BYTES = 60_000;
const cluster = new Cluster({
  host: HOST,
  gateways: 1,
  workers: 1,
  secret: SECRET,
  events: `${FIXTURES}gatewayworker-app.ts`,
  registerArgs: ['--gatewayworker-listen', `${HOST}:1238`],
  gatewayArgs: ['--gatewayworker-port', String(GW_PORT)],
});
const sockets: Socket[] = [];
const clients: TestClient[] = [];

describe('GatewayWorker protocol backpressure', () => {
  let gw: string;

  before(async () => {
    await cluster.start();
    const client = new TestClient(cluster.wsUrl(0));
    clients.push(client);
    await client.opened;
    gw = ((await client.next((m) => (m as { type?: string }).type === 'hello')) as { gatewayWorkerClientId: string })
      .gatewayWorkerClientId;
    const [set] = await runPhp(`${HOST}:1238`, SECRET, [['setSession', gw, { blob: 'x'.repeat(SESSION_BYTES) }]]);
    assert.deepEqual(set, { ok: true });
  });

  after(async () => {
    for (const socket of sockets) socket.destroy();
    for (const client of clients) client.close();
    await killAll();
  });

  it('reads no more commands from a caller that does not read its answers, and loses none', async () => {
    const gateway = cluster.gateways[0]!;
    const before = (await gateway.stats()).rss;
    const query = encodePacket({ cmd: GwCmd.GetSessionByClientId, connectionId: parseInt(gw.slice(-8), 16) });
    const auth = encodePacket({
      cmd: GwCmd.GatewayClientConnect,
      flag: 1,
      body: Buffer.from(JSON.stringify({ secret_key: SECRET })),
    });
    const socket = tcpConnect({ host: HOST, port: GW_PORT });
    sockets.push(socket);
    socket.pause();
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    socket.write(Buffer.concat([auth, ...Array<Buffer>(QUERIES).fill(query)]));
    // QUERIES answers of about SESSION_BYTES each are owed (240 MB): were they all made now, the gateway would hold them.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const during = (await gateway.stats()).rss;
    const grown = during - before;
    assert.ok(grown < 80 * 1024 * 1024, `the gateway grew by ${Math.round(grown / 1048576)} MB`);
    // PHP callers with the right secret are served meanwhile.
    assert.deepEqual(await runPhp(`${HOST}:1238`, SECRET, [['isOnline', gw]]), [{ ok: 1 }]);

    let bytes = 0;
    let answers = 0;
    let expected = 0;
    const done = new Promise<void>((resolve) => {
      socket.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        // Every answer is the same serialized session: count them by size.
        if (expected === 0 && bytes >= 4) expected = chunk.readUInt32BE(0) + 4;
        answers = expected ? Math.floor(bytes / expected) : 0;
        if (answers === QUERIES) resolve();
      });
    });
    socket.resume();
    await done;
    assert.equal(bytes, QUERIES * expected);
    assert.ok(expected > SESSION_BYTES);
  });
});
