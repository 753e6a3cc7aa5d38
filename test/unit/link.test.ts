// The link's handshake and error boundary, driven over in-memory sockets: who is blamed for a failure
// decides whether the link is closed.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Cmd, cmdName, type Message } from '../../shared/commands.ts';
import { ErrorCode, SwitchboardError } from '../../shared/errors.ts';
import { encodeFrame } from '../../shared/frame-encoder.ts';
import { COMPACT_MARKER, COMPACT_VERSION } from '../../shared/frame-compact.ts';
import { FrameDecoder } from '../../shared/frame-decoder.ts';
import { clientProof, newNonce, serverProof } from '../../shared/handshake.ts';
import { Link, type LinkOptions, type PeerRole } from '../../shared/link.ts';
import { createLogger } from '../../shared/logger.ts';
import { MemorySocket } from '../helpers/memory-socket.ts';

type Line = Record<string, unknown>;

function options(secret: string, extra: Partial<LinkOptions> = {}): LinkOptions & { lines: Line[] } {
  const lines: Line[] = [];
  const log = createLogger({}, 'debug', (line) => void lines.push(JSON.parse(line) as Line));
  return { secret, log, lines, ...extra };
}

/** Resolves with the error a link closed with (undefined for a clean close). */
function closedWith(link: Link): Promise<SwitchboardError | undefined> {
  return new Promise((resolve) => (link.onClose = resolve));
}

interface Pair {
  client: Link;
  server: Link;
  serverOptions: ReturnType<typeof options>;
  received: Message[];
  internal: unknown[];
}

/** A server and a client link that completed the handshake; the server records what it receives. */
async function openPair(onServerMessage: (msg: Message) => void = () => {}): Promise<Pair> {
  const [clientEnd, serverEnd] = MemorySocket.pair();
  const internal: unknown[] = [];
  const serverOptions = options('s3cret', { onInternalError: (err) => internal.push(err) });
  const received: Message[] = [];
  let server!: Link;
  const serverOpen = new Promise<void>((resolve) =>
    Link.accept(serverEnd, serverOptions, 'gateway', ['worker'], (link) => {
      server = link;
      link.onMessage = (msg) => {
        received.push(msg);
        onServerMessage(msg);
      };
      resolve();
    }),
  );
  const client = await Link.handshake(clientEnd, 'gateway 10.0.0.2:1000', options('s3cret'), 'worker', 'w1', () => {});
  await serverOpen;
  return { client, server, serverOptions, received, internal };
}

/** Frames with these fields written raw to `socket`, one chunk. */
function writeRaw(socket: MemorySocket, ...values: unknown[]): void {
  socket.write(Buffer.concat(values.map((v) => encodeFrame(v))));
}

const until = async (test: () => boolean) => {
  while (!test()) await new Promise((r) => setImmediate(r));
};

describe('link handshake', () => {
  it('opens both sides when both know the secret, with the roles and names they claimed', async () => {
    const { client, server, received } = await openPair();
    assert.ok(client.isOpen && server.isOpen);
    assert.equal(server.role, 'worker');
    assert.equal(server.name, 'w1');
    assert.equal(client.role, 'gateway');
    client.send({ cmd: Cmd.EventDone, client: 'c1' });
    await until(() => received.length === 1);
    assert.deepEqual(received, [{ cmd: Cmd.EventDone, client: 'c1' }]);
    client.close();
  });

  for (const [what, clientSecret, role] of [
    ['a wrong secret', 'wrong', 'worker'],
    ['a role the server does not take', 's3cret', 'client'],
  ] as const) {
    it(`refuses ${what} on both sides with SB_ERR_AUTH_FAILED`, async () => {
      const [clientEnd, serverEnd] = MemorySocket.pair();
      const serverOptions = options('s3cret');
      let opened = false;
      const server = Link.accept(serverEnd, serverOptions, 'gateway', ['worker'], () => (opened = true))!;
      const serverClosed = closedWith(server);
      await assert.rejects(
        Link.handshake(clientEnd, 'gateway', options(clientSecret), role as PeerRole, 'w1', () => {}),
        { code: ErrorCode.AuthFailed },
      );
      assert.equal((await serverClosed)?.code, ErrorCode.AuthFailed);
      assert.equal(opened, false);
      assert.equal(serverOptions.lines.find((l) => l.level === 'warn')?.code, ErrorCode.AuthFailed);
    });
  }

  it('lets the client refuse a server that does not know the secret', async () => {
    const [clientEnd, fakeServer] = MemorySocket.pair();
    fakeServer.on('data', () => writeRaw(fakeServer, { cmd: Cmd.AuthOk, proof: newNonce() }));
    writeRaw(fakeServer, { cmd: Cmd.Hello, nonce: newNonce(), role: 'gateway' });
    let opened = false;
    await assert.rejects(
      Link.handshake(clientEnd, 'gateway', options('s3cret'), 'worker', 'w1', () => (opened = true)),
      { code: ErrorCode.AuthFailed },
    );
    assert.equal(opened, false);
  });

  it('closes a peer whose first frame is not Auth with SB_ERR_BAD_FRAME', async () => {
    const [clientEnd, serverEnd] = MemorySocket.pair();
    clientEnd.on('data', () => {});
    const server = Link.accept(serverEnd, options('s3cret'), 'gateway', ['worker'], () => {})!;
    const closed = closedWith(server);
    writeRaw(clientEnd, { cmd: Cmd.Ping });
    assert.equal((await closed)?.code, ErrorCode.BadFrame);
  });

  it('cuts off a peer that says nothing within the handshake timeout', async () => {
    const [, serverEnd] = MemorySocket.pair();
    const server = Link.accept(
      serverEnd,
      options('s3cret', { handshakeTimeout: 30 }),
      'gateway',
      ['worker'],
      () => {},
    )!;
    // The link's timer does not hold the process open; this one does, until the link gave up.
    const keepAlive = setTimeout(() => {}, 5000);
    try {
      assert.equal((await closedWith(server))?.code, ErrorCode.AuthTimeout);
    } finally {
      clearTimeout(keepAlive);
    }
  });

  it('takes a known code from a peer that refuses us, and a generic one for a code it made up', async () => {
    for (const [sent, expected] of [
      [ErrorCode.AuthFailed, ErrorCode.AuthFailed],
      ['SB_ERR_MADE_UP', ErrorCode.ConnectionLost],
    ]) {
      const [clientEnd, fakeServer] = MemorySocket.pair();
      writeRaw(fakeServer, { cmd: Cmd.Error, code: sent, message: 'no' });
      setImmediate(() => fakeServer.end());
      await assert.rejects(
        Link.handshake(clientEnd, 'gateway', options('s3cret'), 'worker', 'w1', () => {}),
        {
          code: expected,
        },
      );
    }
  });
});

describe('link error boundary', () => {
  it('logs an exception of our own handler as SB_ERR_INTERNAL with its stack, counts it, and keeps the link', async () => {
    let first = true;
    const pair = await openPair(() => {
      if (!first) return;
      first = false;
      throw new TypeError('handler bug');
    });
    const clientClosed = closedWith(pair.client);
    let clientGone = false;
    void clientClosed.then(() => (clientGone = true));
    // Both frames leave in one write, so the second one is decoded from the same chunk after the throw.
    pair.client.send({ cmd: Cmd.EventDone, client: 'a' });
    pair.client.send({ cmd: Cmd.EventDone, client: 'b' });
    await until(() => pair.received.length === 2);
    assert.deepEqual(
      pair.received.map((m) => (m as { client: string }).client),
      ['a', 'b'],
    );
    assert.equal(pair.internal.length, 1);
    assert.ok(pair.internal[0] instanceof TypeError);
    const logged = pair.serverOptions.lines.filter((l) => l.level === 'error');
    assert.equal(logged.length, 1);
    assert.equal(logged[0]!.code, ErrorCode.Internal);
    assert.match(String(logged[0]!.stack), /TypeError: handler bug/);
    assert.ok(pair.server.isOpen && pair.client.isOpen, 'neither side closed the link');
    // The link still carries traffic both ways.
    pair.client.send({ cmd: Cmd.EventDone, client: 'c' });
    await until(() => pair.received.length === 3);
    pair.server.send({ cmd: Cmd.WorkerDrained });
    await new Promise((r) => setTimeout(r, 10));
    assert.equal(clientGone, false);
    pair.client.close();
    assert.equal(await clientClosed, undefined);
  });

  it('closes the link when a handler reports a command the peer may not send (SB_ERR_BAD_FRAME)', async () => {
    const pair = await openPair((msg) => {
      throw new SwitchboardError(ErrorCode.BadFrame, `a gateway does not accept ${cmdName(msg.cmd)}`);
    });
    const serverClosed = closedWith(pair.server);
    const clientClosed = closedWith(pair.client);
    pair.client.send({ cmd: Cmd.EventDone, client: 'a' });
    assert.equal((await serverClosed)?.code, ErrorCode.BadFrame);
    assert.equal((await clientClosed)?.code, ErrorCode.BadFrame, 'the peer is told why');
    assert.equal(pair.internal.length, 0);
  });

  it('blames the peer only for a SwitchboardError saying so: another code, or a plain Error, is our own bug', async () => {
    for (const thrown of [
      new SwitchboardError(ErrorCode.InvalidClientId, 'not a client id'),
      Object.assign(new Error('looks like a bad frame'), { code: ErrorCode.BadFrame }),
    ]) {
      const pair = await openPair(() => {
        throw thrown;
      });
      pair.client.send({ cmd: Cmd.EventDone, client: 'a' });
      await until(() => pair.internal.length === 1);
      assert.ok(pair.server.isOpen && pair.client.isOpen);
      pair.client.close();
    }
  });

  it('closes the link on a frame that fails the command table, without calling the handler', async () => {
    const pair = await openPair();
    const serverClosed = closedWith(pair.server);
    pair.client.socket.write(encodeFrame({ cmd: Cmd.BindUid, client: 'x', uid: 42 }));
    assert.equal((await serverClosed)?.code, ErrorCode.BadFrame);
    assert.equal(pair.received.length, 0);
    assert.equal(pair.internal.length, 0);
  });
});

describe('compact frames', () => {
  const isCompact = (chunk: Buffer) => chunk[4] === COMPACT_MARKER;

  it('are sent both ways between two links of this version', async () => {
    const pair = await openPair();
    assert.ok(pair.client.compact && pair.server.compact);
    pair.client.send({ cmd: Cmd.EventDone, client: 'c1' });
    await until(() => pair.received.length === 1);
    assert.deepEqual(pair.received, [{ cmd: Cmd.EventDone, client: 'c1' }]);
    assert.ok(isCompact((pair.client.socket as MemorySocket).written.at(-1)!), 'the frame went out compact');
    pair.client.close();
  });

  it('are never sent to a server of an older version, whose AuthOk does not offer them', async () => {
    const [clientEnd, fakeServer] = MemorySocket.pair();
    const serverNonce = newNonce();
    const decoder = new FrameDecoder((value) => {
      const auth = value as { cmd: number; nonce: Uint8Array; compact?: number };
      if (auth.cmd !== Cmd.Auth) return; // what the link sends once open
      assert.equal(auth.compact, COMPACT_VERSION, 'this version offers the compact layout');
      writeRaw(fakeServer, { cmd: Cmd.AuthOk, proof: serverProof('s3cret', auth.nonce, serverNonce) });
    });
    fakeServer.on('data', (chunk: Buffer) => decoder.write(chunk));
    writeRaw(fakeServer, { cmd: Cmd.Hello, nonce: serverNonce, role: 'gateway' });
    const client = await Link.handshake(clientEnd, 'gateway old', options('s3cret'), 'worker', 'w1', () => {});
    assert.equal(client.compact, false);
    const before = clientEnd.written.length;
    client.send({ cmd: Cmd.EventDone, client: 'c1' });
    client.send({ cmd: Cmd.SendToClients, clients: ['c1'], data: 'x' });
    client.flush();
    assert.ok(clientEnd.written.length > before);
    for (const chunk of clientEnd.written.slice(before)) assert.ok(!isCompact(chunk), 'msgpack only');
    client.close();
  });

  it('are never sent to a client of an older version, whose Auth does not offer them', async () => {
    const [fakeClient, serverEnd] = MemorySocket.pair();
    let server!: Link;
    const opened = new Promise<void>((resolve) =>
      Link.accept(serverEnd, options('s3cret'), 'gateway', ['worker'], (link) => {
        server = link;
        resolve();
      }),
    );
    const clientNonce = newNonce();
    let authOk: { compact?: number } | null = null;
    const decoder = new FrameDecoder((value) => {
      const msg = value as { cmd: number; nonce?: Uint8Array; compact?: number };
      if (msg.cmd === Cmd.Hello) {
        const proof = clientProof('s3cret', msg.nonce!, clientNonce, 'worker');
        writeRaw(fakeClient, { cmd: Cmd.Auth, role: 'worker', name: 'old', nonce: clientNonce, proof });
      } else if (msg.cmd === Cmd.AuthOk) {
        authOk = msg;
      }
    });
    fakeClient.on('data', (chunk: Buffer) => decoder.write(chunk));
    await opened;
    await until(() => authOk !== null);
    assert.equal(authOk!.compact, undefined, 'not offered to a peer that did not ask');
    assert.equal(server.compact, false);
    const before = serverEnd.written.length;
    server.send({ cmd: Cmd.EvMessage, client: 'c1', uid: null, session: {}, data: 'hi', ip: '1.2.3.4', port: 5 });
    server.flush();
    for (const chunk of serverEnd.written.slice(before)) assert.ok(!isCompact(chunk), 'msgpack only');
    server.close();
  });

  it('closes only the link that sent a malformed compact frame, with SB_ERR_BAD_FRAME', async () => {
    const bad = await openPair();
    const good = await openPair();
    const serverClosed = closedWith(bad.server);
    const clientClosed = closedWith(bad.client);
    // EventDone whose name runs past the end of the body.
    bad.client.socket.write(Buffer.from([0, 0, 0, 5, COMPACT_MARKER, Cmd.EventDone, 0, 9, 0x61]));
    assert.equal((await serverClosed)?.code, ErrorCode.BadFrame);
    assert.equal((await clientClosed)?.code, ErrorCode.BadFrame, 'the peer is told why');
    assert.equal(bad.received.length, 0);
    assert.equal(bad.internal.length, 0);
    good.client.send({ cmd: Cmd.EventDone, client: 'still here' });
    await until(() => good.received.length === 1);
    assert.ok(good.server.isOpen && good.client.isOpen);
    good.client.close();
  });
});
