// Random and mutated input at each TCP protocol's listener (text, frame, the example type-length module) of
// running gateways, 10,000 inputs each, then proof that every process is alive, a device that was connected
// all along is unharmed, and a new well-behaved device still works.
import assert from 'node:assert/strict';
import { connect as tcpConnect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import type { ProtocolCodec } from '../../gateway/protocols/codec.ts';
import { frameCodec } from '../../gateway/protocols/frame.ts';
import { textCodec } from '../../gateway/protocols/text.ts';
import typeLength from '../fixtures/type-length-protocol.ts';
import { Cluster } from '../helpers/cluster.ts';
import { FIXTURES, killAll } from '../helpers/processes.ts';
import { TcpTestClient } from '../helpers/tcp-client.ts';

const HOST = '127.0.0.45';
const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 1_000_000);
const RUNS = 10_000;
const cluster = new Cluster({
  host: HOST,
  gateways: 3,
  workers: 1,
  secret: 'tcp-fuzz',
  events: `${FIXTURES}device-app.ts`,
});
const clients: TcpTestClient[] = [];

console.log(`tcp fuzz seed ${SEED} (set FUZZ_SEED to replay)`);

/** Messages close to what the app expects: Gateway API calls with odd arguments, JSON, text. */
const payload = fc.oneof(
  fc.string({ maxLength: 100 }),
  fc.json(),
  fc.constantFrom(
    '{"id":1,"call":"bindUid","args":[null,{}]}',
    '{"id":2,"call":"sendToAll","args":["x"]}',
    '{"call":"__proto__"}',
    '{"op":"bytes","n":-1}',
    '{"seq":"x"}',
    '',
  ),
);

/** Random bytes, or valid messages of the codec with bytes flipped, cut short, extended or run together. */
const input = (codec: ProtocolCodec) =>
  fc.oneof(
    fc.uint8Array({ minLength: 1, maxLength: 300 }).map((b) => Buffer.from(b)),
    fc
      .record({
        messages: fc.array(payload, { minLength: 1, maxLength: 4 }),
        flips: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
        cut: fc.option(fc.nat(), { nil: undefined }),
        tail: fc.uint8Array({ maxLength: 20 }),
      })
      .map(({ messages, flips, cut, tail }) => {
        const bytes = Buffer.concat(messages.map((m) => codec.encode(m)));
        for (const [at, value] of flips) bytes[at % bytes.length] = value;
        const body = cut === undefined ? bytes : bytes.subarray(0, cut % (bytes.length + 1));
        return Buffer.concat([body, Buffer.from(tail)]);
      }),
  );

/** Sends each input on its own connection (`parallel` at a time); resolves when every connection is closed. */
async function blast(port: number, inputs: Buffer[], parallel = 64): Promise<void> {
  let next = 0;
  const one = (bytes: Buffer) =>
    new Promise<void>((resolve) => {
      const socket = tcpConnect({ host: HOST, port });
      const done = () => {
        clearTimeout(timer);
        socket.destroy();
        resolve();
      };
      // The gateway answers some inputs (a hello, replies); end-of-stream after the input lets it finish. The
      // timer only bounds the test.
      const timer = setTimeout(done, 2000);
      socket.on('error', done);
      socket.on('close', done);
      socket.on('data', () => {});
      socket.on('connect', () => socket.end(bytes));
    });
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < inputs.length) await one(inputs[next++]!);
    }),
  );
}

const protocols = [
  { codec: textCodec, gateway: 0, args: ['--protocol', 'text'] },
  { codec: frameCodec, gateway: 1, args: ['--protocol', 'frame'] },
  { codec: typeLength, gateway: 2, args: ['--protocol', `${FIXTURES}type-length-protocol.ts`] },
];

describe(`fuzzing each TCP protocol's listener (${RUNS} inputs each)`, () => {
  before(async () => {
    cluster.startRegister();
    await cluster.register.ready();
    for (const { gateway, args } of protocols) {
      cluster.layout.gatewayArgs = [...args, '--max-message-size', '4096', '--max-connections-per-ip', '0'];
      cluster.startGateway(gateway);
    }
    await cluster.registerKnows();
    cluster.startWorker(0);
    await cluster.workerReady(cluster.workers[0]!);
  });

  after(async () => {
    for (const client of clients) client.close();
    await killAll();
  });

  for (const { codec, gateway } of protocols) {
    it(`${codec.name}: random and mutated messages; the process and other devices unharmed`, async () => {
      const port = 7272 + gateway;
      const uid = `bystander-${codec.name}`;
      const bystander = await TcpTestClient.connect(HOST, port, codec);
      clients.push(bystander);
      await bystander.call('bindUid', '$self', uid);
      const inputs = fc.sample(input(codec), { numRuns: RUNS, seed: SEED + gateway });
      await blast(port, inputs);
      // The inputs met the reader and, for the valid parts, the handlers.
      const { messagesIn } = await cluster.gateways[gateway]!.stats();
      assert.ok(messagesIn! > RUNS / 4, `${messagesIn} messages read`);

      for (const p of [cluster.register, ...cluster.gateways, ...cluster.workers]) {
        assert.equal(p.proc.exitCode, null, `${p.name} is alive`);
      }
      assert.equal(bystander.isClosed, false, 'the device connected all along is still connected');
      assert.deepEqual(await bystander.call('getClientIdByUid', uid), [bystander.clientId]);
      const fresh = await TcpTestClient.connect(HOST, port, codec);
      clients.push(fresh);
      await fresh.call('sendToUid', uid, 'still here?');
      await bystander.next((m) => String(m) === 'still here?');
      fresh.close();
    });
  }
});
