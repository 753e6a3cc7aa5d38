// Strangers, wrong secrets and malformed frames on every listener: each bad connection is closed with a
// logged, coded reason, and the processes and every other connection carry on.
import assert from 'node:assert/strict';
import { connect as tcpConnect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Cmd } from '../../shared/commands.ts';
import { encodeFrame } from '../../shared/frame-encoder.ts';
import { Link } from '../../shared/link.ts';
import { createLogger } from '../../shared/logger.ts';
import { Cluster } from '../helpers/cluster.ts';
import { killAll } from '../helpers/processes.ts';
import { TestClient } from '../helpers/ws-client.ts';

const HOST = '127.0.0.23';
const SECRET = 'right-secret';
const cluster = new Cluster({
  host: HOST,
  gateways: 1,
  workers: 1,
  secret: SECRET,
  gatewayArgs: ['--max-message-size', '1024'],
});
const clients: TestClient[] = [];
const sockets: Socket[] = [];
const inner = { host: HOST, port: 2900 };
const quiet = createLogger({}, 'silent');

/** Opens a raw TCP connection, writes `bytes`, and resolves when the peer closes it. */
function rawConnection(port: number, bytes?: Buffer): { socket: Socket; closed: Promise<void> } {
  const socket = tcpConnect({ host: HOST, port });
  sockets.push(socket);
  socket.on('error', () => {});
  socket.on('data', () => {});
  if (bytes) socket.on('connect', () => socket.write(bytes));
  return { socket, closed: new Promise((resolve) => socket.once('close', () => resolve())) };
}

async function clientStillWorks(): Promise<void> {
  const client = await TestClient.connect(cluster.wsUrl(0));
  clients.push(client);
  assert.equal(await client.call('isOnline', '$self'), true);
  client.close();
}

describe('bad input', () => {
  let silent: ReturnType<typeof rawConnection>;

  before(async () => {
    await cluster.start();
    // Connects and says nothing: must be cut off after the handshake timeout (checked last).
    silent = rawConnection(2900);
  });

  after(async () => {
    for (const client of clients) client.close();
    for (const socket of sockets) socket.destroy();
    await killAll();
  });

  it('refuses a worker with the wrong secret, and both sides log why', async () => {
    const intruder = cluster.startWorker(1, { SWITCHBOARD_SECRET: 'wrong-secret' });
    const refused = await intruder.waitForCode('SB_ERR_AUTH_FAILED');
    assert.equal(refused.code, 'SB_ERR_AUTH_FAILED');
    assert.match(String(refused.msg), /same --secret/);
    const logged = await cluster.register.waitForCode('SB_ERR_AUTH_FAILED', 5000);
    assert.ok(logged.peer);
    await intruder.kill();
    await clientStillWorks();
  });

  it('refuses a wrong secret on the gateway inner port', async () => {
    await assert.rejects(
      Link.connect(inner, { secret: 'wrong', log: quiet }, 'worker', 'intruder', () => {}),
      { code: 'SB_ERR_AUTH_FAILED' },
    );
    await cluster.gateways[0]!.waitForCode('SB_ERR_AUTH_FAILED', 5000);
    await clientStillWorks();
  });

  it('closes connections that send garbage or an oversize frame header', async () => {
    const garbage = rawConnection(2900, Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
    const huge = rawConnection(1236, Buffer.from([0xff, 0xff, 0xff, 0xff, 1, 2, 3]));
    await Promise.all([garbage.closed, huge.closed]);
    await cluster.gateways[0]!.waitForLine(
      'with code SB_ERR_FRAME_TOO_LARGE or SB_ERR_BAD_FRAME',
      (l) => l.code === 'SB_ERR_FRAME_TOO_LARGE' || l.code === 'SB_ERR_BAD_FRAME',
      5000,
    );
    await cluster.register.waitForCode('SB_ERR_FRAME_TOO_LARGE', 5000);
    await clientStillWorks();
  });

  it('closes an authenticated peer that sends a command with wrong field types, and only that peer', async () => {
    let closed!: () => void;
    const gone = new Promise<void>((resolve) => (closed = resolve));
    const link = await Link.connect(inner, { secret: SECRET, log: quiet }, 'client', 'buggy', (l) => {
      l.onClose = () => closed();
    });
    // Link.connect makes a plain TCP socket.
    const socket = link.socket as Socket;
    sockets.push(socket);
    // The gateway logs our link by the address it sees us at.
    const us = `${socket.localAddress}:${socket.localPort}`;
    socket.write(encodeFrame({ cmd: Cmd.BindUid, client: 'x', uid: { not: 'a string' } }));
    await gone;
    const logged = await cluster.gateways[0]!.waitForCode('SB_ERR_BAD_FRAME', 10_000, (l) => l.peer === us);
    assert.equal(logged.code, 'SB_ERR_BAD_FRAME');
    assert.match(String(logged.msg), /BindUid: field "uid"/);
    await clientStillWorks();
  });

  it('closes a peer that sends a session too deep to encode again, and the gateway goes on', async () => {
    let closed!: () => void;
    const gone = new Promise<void>((resolve) => (closed = resolve));
    const link = await Link.connect(inner, { secret: SECRET, log: quiet }, 'client', 'deep', (l) => {
      l.onClose = () => closed();
    });
    const socket = link.socket as Socket;
    sockets.push(socket);
    const us = `${socket.localAddress}:${socket.localPort}`;
    // Written by hand: encoding a value this deep is what the limit keeps the gateway from trying.
    const head = encodeFrame({ cmd: Cmd.SetSession, client: 'x', session: 0 }).subarray(4, -1);
    const level = Buffer.from([0x81, 0xa1, 0x76]); // a map of one entry, "v": ...
    const body = Buffer.concat([head, ...Array.from({ length: 1000 }, () => level), Buffer.from([0xc0])]);
    const length = Buffer.alloc(4);
    length.writeUInt32BE(body.length);
    socket.write(Buffer.concat([length, body]));
    await gone;
    const logged = await cluster.gateways[0]!.waitForCode('SB_ERR_BAD_FRAME', 10_000, (l) => l.peer === us);
    assert.match(String(logged.msg), /SetSession: field "session"/);
    await clientStillWorks();
  });

  it('closes a client whose message is too large with 1009, and no one else', async () => {
    const big = await TestClient.connect(cluster.wsUrl(0));
    clients.push(big);
    big.send('x'.repeat(2048));
    assert.equal(await big.closed, 1009);
    await clientStillWorks();
  });

  it('cuts off a connection that never completes the handshake', async () => {
    await silent.closed;
    await cluster.gateways[0]!.waitForCode('SB_ERR_AUTH_TIMEOUT', 8000);
  });
});
