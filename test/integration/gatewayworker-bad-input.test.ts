// Bad input on the GatewayWorker-protocol listeners of the register and of a gateway: garbage, oversize, a
// wrong or missing secret, silence. Each bad connection is closed with a logged, coded reason; the processes,
// their WebSocket clients and the other PHP callers carry on.
import assert from 'node:assert/strict';
import { connect as tcpConnect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { encodePacket, GwCmd } from '../../gateway/gatewayworker-protocol.ts';
import { Cluster } from '../helpers/cluster.ts';
import { runPhp } from '../helpers/php.ts';
import { FIXTURES, killAll, RoleProcess } from '../helpers/processes.ts';
import { TestClient } from '../helpers/ws-client.ts';

const HOST = '127.0.0.64';
const SECRET = 'php-bad-input';
const GW_REGISTER_PORT = 1238;
const GW_PORT = 3964;
const cluster = new Cluster({
  host: HOST,
  gateways: 1,
  workers: 1,
  secret: SECRET,
  events: `${FIXTURES}gatewayworker-app.ts`,
  registerArgs: ['--gatewayworker-listen', `${HOST}:${GW_REGISTER_PORT}`, '--handshake-timeout', '1000'],
  gatewayArgs: ['--gatewayworker-port', String(GW_PORT), '--handshake-timeout', '1000', '--max-frame-size', '4096'],
});
const sockets: Socket[] = [];
const clients: TestClient[] = [];
const others: RoleProcess[] = [];

/** A raw TCP connection that writes `bytes`; `closed` resolves when the peer closes it; `us` is our address. */
function raw(port: number, bytes?: Buffer): Promise<{ closed: Promise<void>; us: string }> {
  const socket = tcpConnect({ host: HOST, port });
  sockets.push(socket);
  socket.on('error', () => {});
  socket.on('data', () => {});
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  return new Promise((resolve) =>
    socket.once('connect', () => {
      if (bytes) socket.write(bytes);
      resolve({ closed, us: `${socket.localAddress}:${socket.localPort}` });
    }),
  );
}

const secretPacket = (secret: string) =>
  encodePacket({ cmd: GwCmd.GatewayClientConnect, flag: 1, body: Buffer.from(JSON.stringify({ secret_key: secret })) });

describe('bad input on the GatewayWorker-protocol listeners', () => {
  let client: TestClient & { gw?: string };
  let gw: string;

  before(async () => {
    await cluster.start();
    client = new TestClient(cluster.wsUrl(0));
    clients.push(client);
    await client.opened;
    gw = ((await client.next((m) => (m as { type?: string }).type === 'hello')) as { gatewayWorkerClientId: string })
      .gatewayWorkerClientId;
  });

  after(async () => {
    for (const socket of sockets) socket.destroy();
    for (const c of clients) c.close();
    await killAll();
  });

  /** The process, its WebSocket client and a PHP caller with the right secret are unharmed. */
  async function stillWorks(): Promise<void> {
    const [gateways, online, sent] = await runPhp(`${HOST}:${GW_REGISTER_PORT}`, SECRET, [
      ['gateways'],
      ['isOnline', gw],
      ['sendToClient', gw, 'still-here'],
    ]);
    assert.deepEqual(gateways, { ok: [`${HOST}:${GW_PORT}`] });
    assert.deepEqual(online, { ok: 1 });
    assert.deepEqual(sent, { ok: true });
    await client.next((m) => m === 'still-here');
  }

  const register = () => cluster.register;
  const gateway = () => cluster.gateways[0]!;

  it('register: closes a line that is not JSON, an unknown event and a GatewayWorker gateway', async () => {
    for (const line of ['hello there\n', '{"event":"nope"}\n', '{"event":"gateway_connect","address":"x"}\n']) {
      const { closed, us } = await raw(GW_REGISTER_PORT, Buffer.from(line));
      await closed;
      await register().waitForCode('SB_ERR_NOT_GATEWAYCLIENT', 5000, (l) => l.peer === us);
    }
    await stillWorks();
  });

  it('register: closes a line above the limit, before it ends', async () => {
    const { closed, us } = await raw(GW_REGISTER_PORT, Buffer.alloc(70 * 1024, 'x'));
    await closed;
    await register().waitForCode('SB_ERR_FRAME_TOO_LARGE', 5000, (l) => l.peer === us);
    await stillWorks();
  });

  it('register: refuses a wrong secret, and PHP gets no gateway list', async () => {
    const { closed, us } = await raw(
      GW_REGISTER_PORT,
      Buffer.from('{"event":"worker_connect","secret_key":"wrong"}\n'),
    );
    await closed;
    await register().waitForCode('SB_ERR_AUTH_FAILED', 5000, (l) => l.peer === us);
    const [wrong] = await runPhp(`${HOST}:${GW_REGISTER_PORT}`, 'wrong', [['gateways']]);
    assert.match(String(wrong!.error), /register answered false/);
    await stillWorks();
  });

  it('gateway: closes HTTP, a packet shorter than its header, and one above --max-frame-size', async () => {
    const short = Buffer.alloc(28);
    short.writeUInt32BE(10);
    const big = Buffer.alloc(28);
    big.writeUInt32BE(5000);
    const cases: [Buffer, string][] = [
      [Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'), 'SB_ERR_FRAME_TOO_LARGE'],
      [short, 'SB_ERR_NOT_GATEWAYCLIENT'],
      [Buffer.concat([secretPacket(SECRET), big]), 'SB_ERR_FRAME_TOO_LARGE'],
    ];
    for (const [bytes, code] of cases) {
      const { closed, us } = await raw(GW_PORT, bytes);
      await closed;
      await gateway().waitForCode(code, 5000, (l) => l.peer === us);
    }
    await stillWorks();
  });

  it('gateway: refuses a wrong secret, and a command sent before the secret', async () => {
    const wrong = await raw(GW_PORT, Buffer.concat([secretPacket('wrong'), encodePacket({ cmd: GwCmd.IsOnline })]));
    const early = await raw(GW_PORT, encodePacket({ cmd: GwCmd.SendToAll, flag: 1, body: Buffer.from('sneaky') }));
    await Promise.all([wrong.closed, early.closed]);
    await gateway().waitForCode('SB_ERR_AUTH_FAILED', 5000, (l) => l.peer === wrong.us);
    await gateway().waitForCode('SB_ERR_AUTH_FAILED', 5000, (l) => l.peer === early.us);
    const [php] = await runPhp(`${HOST}:${GW_REGISTER_PORT}`, SECRET, [['isOnline', gw]]);
    assert.deepEqual(php, { ok: 1 });
    await client.nothing((m) => m === 'sneaky', 200);
    await stillWorks();
  });

  it('gateway: closes a malformed session, malformed JSON and a BusinessWorker, after the secret', async () => {
    const authed = (packet: Parameters<typeof encodePacket>[0]) =>
      Buffer.concat([secretPacket(SECRET), encodePacket(packet)]);
    const cases: [Buffer, string][] = [
      [authed({ cmd: GwCmd.SetSession, extData: Buffer.from('a:1:{s:1:"x";'), flag: 1 }), 'SB_ERR_INVALID_ARGUMENT'],
      [authed({ cmd: GwCmd.SendToUid, extData: Buffer.from('[not json'), flag: 1 }), 'SB_ERR_NOT_GATEWAYCLIENT'],
      [authed({ cmd: GwCmd.WorkerConnect, flag: 1, body: Buffer.from('{}') }), 'SB_ERR_NOT_GATEWAYCLIENT'],
      [authed({ cmd: GwCmd.OnMessage, flag: 1 }), 'SB_ERR_NOT_GATEWAYCLIENT'],
      [authed({ cmd: GwCmd.BindUid, extData: Buffer.from('u'.repeat(2000)), flag: 1 }), 'SB_ERR_INVALID_ARGUMENT'],
    ];
    for (const [bytes, code] of cases) {
      const { closed, us } = await raw(GW_PORT, bytes);
      await closed;
      await gateway().waitForCode(code, 5000, (l) => l.peer === us);
    }
    await stillWorks();
  });

  it('both: cut off a connection that never sends its secret or request', async () => {
    const [silentGateway, silentRegister] = await Promise.all([raw(GW_PORT), raw(GW_REGISTER_PORT)]);
    await Promise.all([silentGateway.closed, silentRegister.closed]);
    await gateway().waitForCode('SB_ERR_AUTH_TIMEOUT', 5000, (l) => l.peer === silentGateway.us);
    await register().waitForCode('SB_ERR_AUTH_TIMEOUT', 5000, (l) => l.peer === silentRegister.us);
    await stillWorks();
  });

  it('a register refuses to serve the protocol off loopback without --gatewayworker-allow-plaintext-secret', async () => {
    const refused = new RoleProcess(
      'register-exposed',
      ['register', '--listen', `${HOST}:1299`, '--gatewayworker-listen', `0.0.0.0:${GW_REGISTER_PORT + 100}`],
      { SWITCHBOARD_SECRET: SECRET },
    );
    others.push(refused);
    assert.notEqual(await refused.exited, 0);
    assert.match(refused.raw + JSON.stringify(refused.lines), /SB_ERR_PLAINTEXT_SECRET/);
  });
});
