// Random and mutated input at every listener of running processes — client WebSocket, gateway inner port,
// register, HTTP API — then proof that every process is alive and a well-behaved client still works.
import assert from 'node:assert/strict';
import { connect as tcpConnect } from 'node:net';
import { Agent, request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import WebSocket from 'ws';
import { Cmd } from '../../shared/commands.ts';
import { encodeFrame } from '../../shared/frame-encoder.ts';
import { FrameDecoder } from '../../shared/frame-decoder.ts';
import { clientProof } from '../../shared/handshake.ts';
import { Cluster } from '../helpers/cluster.ts';
import { killAll, RoleProcess } from '../helpers/processes.ts';
import { TestClient } from '../helpers/ws-client.ts';

const HOST = '127.0.0.30';
const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 1_000_000);
const RUNS = 10_000;
const cluster = new Cluster({ host: HOST, gateways: 1, workers: 1, secret: 'fuzz-secret' });
let api: RoleProcess;
/** Client sockets the tests open, terminated in after() whatever happened. */
const openSockets: WebSocket[] = [];

console.log(`fuzz seed ${SEED} (set FUZZ_SEED to replay)`);

/** Valid frames of every kind, so mutations start close to what a parser accepts. */
const validFrames = [
  encodeFrame({ cmd: Cmd.Auth, role: 'worker', name: 'w', nonce: Buffer.alloc(32), proof: Buffer.alloc(32) }),
  encodeFrame({ cmd: Cmd.BindUid, client: 'x', uid: 'u' }),
  encodeFrame({ cmd: Cmd.SendToAll, data: 'hi', exclude: [] }),
  encodeFrame({ cmd: Cmd.Query, id: 1, q: 'clientCount', args: { group: null } }),
  encodeFrame({ cmd: Cmd.GatewayAnnounce, address: '127.0.0.1:1' }),
  encodeFrame({ cmd: Cmd.Ping }),
];

/** Random bytes, or a valid frame with bytes flipped, cut short, extended, or its length header changed. */
const wireInput = fc.oneof(
  fc.uint8Array({ minLength: 1, maxLength: 300 }).map((b) => Buffer.from(b)),
  fc
    .record({
      frame: fc.constantFrom(...validFrames),
      flips: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
      cut: fc.option(fc.nat(), { nil: undefined }),
      tail: fc.uint8Array({ maxLength: 40 }),
      length: fc.option(fc.integer({ min: 0, max: 0xffffffff }), { nil: undefined }),
    })
    .map(({ frame, flips, cut, tail, length }) => {
      const bytes = Buffer.from(frame);
      for (const [at, value] of flips) bytes[at % bytes.length] = value;
      if (length !== undefined) bytes.writeUInt32BE(length, 0);
      const body = cut === undefined ? bytes : bytes.subarray(0, cut % bytes.length);
      return Buffer.concat([body, Buffer.from(tail)]);
    }),
);

let authenticated = 0;
const AUTH_OK = Buffer.from([0xa3, 0x63, 0x6d, 0x64, Cmd.AuthOk]); // "cmd": 3 in msgpack

/** Sends each input on its own connection (`parallel` at a time); resolves when every connection is closed. */
async function blast(port: number, inputs: Buffer[], parallel = 64, authenticate = false): Promise<void> {
  let next = 0;
  const one = (input: Buffer) =>
    new Promise<void>((resolve) => {
      const socket = tcpConnect({ host: HOST, port });
      const done = () => {
        clearTimeout(timer);
        socket.destroy();
        resolve();
      };
      // The input is followed by end-of-stream, so a peer waiting for the rest of a frame or request sees
      // it end; the timer only bounds the test.
      const timer = setTimeout(done, 2000);
      socket.on('error', done);
      socket.on('close', done);
      let hello = port !== 7272;
      socket.on('data', (chunk) => {
        if (!hello) return;
        hello = false;
        if (authenticate) {
          // Prove the secret first, so the input reaches the command parser behind the handshake.
          let nonce: Uint8Array = Buffer.alloc(32);
          new FrameDecoder((hello) => (nonce = (hello as { nonce: Uint8Array }).nonce)).write(chunk);
          const proof = clientProof('fuzz-secret', nonce, Buffer.alloc(32), 'client');
          socket.write(encodeFrame({ cmd: Cmd.Auth, role: 'client', name: 'fuzz', nonce: Buffer.alloc(32), proof }));
        }
        socket.end(input);
      });
      if (authenticate) {
        // Count proofs the peer accepted, to know the input really met the parser behind the handshake.
        socket.on('data', (chunk) => {
          if (chunk.includes(AUTH_OK)) authenticated++;
        });
      }
      // The client WebSocket port speaks first only after a request: send at once there.
      if (port === 7272) socket.on('connect', () => socket.end(input));
    });
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < inputs.length) await one(inputs[next++]!);
    }),
  );
}

/**
 * Resolves once the gateway has read everything sent on `ws`: it answers a ping only after the messages before
 * it (or it has closed the connection). Rejects after `timeoutMs`.
 */
function readEverything(ws: WebSocket, timeoutMs = 10_000): Promise<void> {
  if (ws.readyState !== WebSocket.OPEN) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const done = () => {
      clearTimeout(timer);
      ws.off('pong', done);
      ws.off('close', done);
      resolve();
    };
    const timer = setTimeout(() => reject(new Error(`no pong within ${timeoutMs} ms`)), timeoutMs);
    ws.once('pong', done);
    ws.once('close', done);
    ws.ping();
  });
}

async function everyoneAlive(): Promise<void> {
  for (const p of [cluster.register, ...cluster.gateways, ...cluster.workers, api]) {
    assert.equal(p.proc.exitCode, null, `${p.name} is alive`);
  }
  const client = await TestClient.connect(cluster.wsUrl(0));
  try {
    assert.equal(await client.call('getAllClientIdCount'), 1);
  } finally {
    client.close();
  }
}

describe(`fuzzing every listener (${RUNS} inputs each)`, () => {
  before(async () => {
    await cluster.start();
    api = new RoleProcess(
      'api',
      ['api', '--listen', `${HOST}:8080`, '--register', cluster.registerAddress],
      { SWITCHBOARD_SECRET: 'fuzz-secret', SWITCHBOARD_API_TOKEN: 't' },
      [],
      { ipc: true },
    );
    await api.ready();
  });

  after(async () => {
    for (const ws of openSockets) ws.terminate();
    await killAll();
  });

  it('client WebSocket: random text and binary messages', async () => {
    const inputs = fc.sample(
      fc.oneof(
        fc.string({ maxLength: 200 }),
        fc.json(),
        fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)),
        fc.constantFrom('{"call":"bindUid","args":[null,{}]}', '{"seq":"x"}', '{"call":"__proto__"}', '{}', '[]'),
      ),
      { numRuns: RUNS, seed: SEED },
    );
    const sockets = await Promise.all(
      Array.from({ length: 10 }, () => {
        const ws = new WebSocket(cluster.wsUrl(0));
        openSockets.push(ws);
        ws.on('error', () => {});
        return new Promise<WebSocket>((resolve, reject) => {
          ws.once('open', () => resolve(ws));
          ws.once('close', (code) => reject(new Error(`closed with ${code} before opening`)));
        });
      }),
    );
    inputs.forEach((input, i) => {
      const ws = sockets[i % sockets.length]!;
      if (ws.readyState === WebSocket.OPEN) ws.send(input);
    });
    await Promise.all(sockets.map((ws) => readEverything(ws)));
    for (const ws of sockets) ws.terminate();
    await everyoneAlive();
  });

  it('client WebSocket port: random bytes, and upgrade requests with random paths', async () => {
    const upgrade = fc
      .oneof(fc.string({ maxLength: 30 }), fc.constantFrom('//[', '//', '/?%', '/%zz?a=%'))
      .map((path) =>
        Buffer.from(
          `GET ${path.replace(/[\s]/g, '') || '/'} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
            'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
        ),
      );
    await blast(7272, fc.sample(fc.oneof(wireInput, upgrade), { numRuns: RUNS, seed: SEED + 1 }));
    await everyoneAlive();
  });

  for (const [name, port, seed] of [
    ['gateway inner port', 2900, SEED + 2],
    ['register', 1236, SEED + 3],
  ] as const) {
    it(`${name}: random and mutated frames, before and after the handshake`, async () => {
      const inputs = fc.sample(wireInput, { numRuns: RUNS, seed });
      await blast(port, inputs.slice(0, RUNS / 2));
      authenticated = 0;
      await blast(port, inputs.slice(RUNS / 2), 64, true);
      assert.ok(authenticated > RUNS / 4, `${authenticated} connections got past the handshake`);
      await everyoneAlive();
    });
  }

  it('HTTP API: random methods, paths, headers and bodies', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 32 });
    const inputs = fc.sample(
      fc.record({
        method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH'),
        path: fc.oneof(
          fc.constantFrom(
            '/v1/send-to-uid',
            '/v1/batch',
            '/v1/uids/%E0%A4%A/online',
            '/v1/clients/x/session',
            '/v1/health',
          ),
          fc.webPath(),
          fc.string({ maxLength: 40 }).map((s) => '/v1/' + encodeURIComponent(s)),
        ),
        auth: fc.constantFrom('Bearer t', 'Bearer wrong', '', 'Basic x'),
        body: fc.oneof(fc.json(), fc.string({ maxLength: 300 }), fc.constant('{"calls":[{"call":"send-to-uid"}]}')),
      }),
      { numRuns: RUNS, seed: SEED + 4 },
    );
    const statuses = new Set<number>();
    let next = 0;
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        while (next < inputs.length) {
          const input = inputs[next++]!;
          await new Promise<void>((resolve) => {
            const req = request(
              {
                host: HOST,
                port: 8080,
                method: input.method,
                path: input.path,
                agent,
                headers: { Authorization: input.auth },
                timeout: 10_000,
              },
              (res) => {
                statuses.add(res.statusCode ?? 0);
                res.resume();
                res.on('end', resolve);
              },
            );
            req.on('error', () => resolve());
            req.on('timeout', () => req.destroy(new Error('no answer within 10 s')));
            req.end(input.method === 'GET' ? undefined : input.body);
          });
        }
      }),
    );
    agent.destroy();
    assert.ok(!statuses.has(500), `no internal error among ${[...statuses].join(', ')}`);
    await everyoneAlive();
  });
});
