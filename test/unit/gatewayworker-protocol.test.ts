import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ClientIdFactory } from '../../shared/client-id.ts';
import {
  encodeAnswer,
  encodePacket,
  GatewayWorkerIds,
  GW_HEAD_LEN,
  GwCmd,
  GwPacketDecoder,
  type GwPacket,
} from '../../gateway/gatewayworker-protocol.ts';

const packets = [
  { cmd: GwCmd.GatewayClientConnect, body: Buffer.from('{"secret_key":"s"}'), flag: 1 },
  { cmd: GwCmd.BindUid, connectionId: 7, extData: Buffer.from('alice'), flag: 1 },
  { cmd: GwCmd.SendToAll, extData: Buffer.from('{"exclude":{"7":7}}'), body: Buffer.from('x'.repeat(70_000)), flag: 1 },
  { cmd: GwCmd.Ping },
  {
    cmd: GwCmd.SendToOne,
    localIp: 0x7f000001,
    localPort: 2900,
    clientIp: 0x0a000001,
    clientPort: 5000,
    connectionId: 0xffffffff,
    flag: 3,
    gatewayPort: 7272,
    body: Buffer.from([0, 255]),
  },
];
const stream = Buffer.concat(packets.map((p) => encodePacket(p)));

const plain = (p: GwPacket) => ({ ...p, extData: p.extData.toString('hex'), body: p.body.toString('hex') });
const expected = packets.map((p) =>
  plain({
    localIp: 0,
    localPort: 0,
    clientIp: 0,
    clientPort: 0,
    connectionId: 0,
    flag: 0,
    gatewayPort: 0,
    extData: Buffer.alloc(0),
    body: Buffer.alloc(0),
    ...p,
  }),
);

function decodeAll(chunks: Buffer[]): ReturnType<typeof plain>[] {
  const decoder = new GwPacketDecoder();
  const out = chunks.flatMap((chunk) => decoder.write(chunk)).map(plain);
  assert.equal(decoder.pending, 0);
  return out;
}

describe('GatewayWorker packets', () => {
  it('have the 28-byte header GatewayWorker packs with NCNnNnNCnN', () => {
    const bytes = encodePacket({ cmd: GwCmd.JoinGroup, connectionId: 0x01020304, flag: 1, extData: Buffer.from('g') });
    assert.equal(bytes.length, GW_HEAD_LEN + 1);
    assert.equal(bytes.readUInt32BE(0), 29, 'the length counts the whole packet');
    assert.equal(bytes[4], 20);
    assert.equal(bytes.readUInt32BE(17), 0x01020304);
    assert.equal(bytes[21], 1);
    assert.equal(bytes.readUInt32BE(24), 1);
    assert.equal(bytes.subarray(28).toString(), 'g');
  });

  it('decode from a stream split at every position', () => {
    for (let i = 0; i <= stream.length; i += i < 300 || i > stream.length - 300 ? 1 : 89) {
      assert.deepEqual(decodeAll([stream.subarray(0, i), stream.subarray(i)]), expected, `split at ${i}`);
    }
  });

  it('decode from a stream fed one byte at a time', () => {
    const small = Buffer.concat([packets[0]!, packets[1]!, packets[3]!, packets[4]!].map((p) => encodePacket(p)));
    assert.deepEqual(decodeAll([...small].map((b) => Buffer.from([b]))), [
      expected[0],
      expected[1],
      expected[3],
      expected[4],
    ]);
  });

  it('decode from a stream cut at random points (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: stream.length }), { maxLength: 30 }), (cuts) => {
        const points = [0, ...cuts.sort((a, b) => a - b), stream.length];
        assert.deepEqual(decodeAll(points.slice(1).map((end, i) => stream.subarray(points[i]!, end))), expected);
      }),
      { numRuns: 300 },
    );
  });

  it('above the limit are refused from the length alone, before the body is buffered', () => {
    const decoder = new GwPacketDecoder(1000);
    const head = Buffer.alloc(4);
    head.writeUInt32BE(1001);
    assert.throws(() => decoder.write(head), { code: 'SB_ERR_FRAME_TOO_LARGE' });
    // An HTTP request on the port reads as a length of about 1.2 GB.
    assert.throws(() => new GwPacketDecoder().write(Buffer.from('GET / HTTP/1.1\r\n')), {
      code: 'SB_ERR_FRAME_TOO_LARGE',
    });
  });

  it('shorter than their header, or with ext_data longer than the packet, are refused', () => {
    const short = Buffer.alloc(4);
    short.writeUInt32BE(27);
    assert.throws(() => new GwPacketDecoder().write(short), { code: 'SB_ERR_NOT_GATEWAYCLIENT' });
    const bad = encodePacket({ cmd: GwCmd.BindUid, extData: Buffer.from('abc') });
    bad.writeUInt32BE(4, 24);
    assert.throws(() => new GwPacketDecoder().write(bad.subarray(0, 28)), { code: 'SB_ERR_NOT_GATEWAYCLIENT' });
  });

  it('never make the decoder throw anything but a coded error on random bytes (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        try {
          new GwPacketDecoder(4096).write(Buffer.from(bytes));
        } catch (err) {
          assert.ok(['SB_ERR_FRAME_TOO_LARGE', 'SB_ERR_NOT_GATEWAYCLIENT'].includes((err as { code: string }).code));
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('answers are a length and the serialized value', () => {
    assert.deepEqual(encodeAnswer(Buffer.from('i:1;')), Buffer.from([0, 0, 0, 4, ...Buffer.from('i:1;')]));
  });
});

describe('GatewayWorker client ids', () => {
  const factory = new ClientIdFactory({ host: '10.0.0.5', port: 2900 }, Buffer.from([1, 2, 3, 4]));
  const ids = new GatewayWorkerIds({ host: '10.1.2.3', port: 3900 }, factory.prefix);

  it("are 20 hex digits: the gateway's GatewayWorker address and the connection id", () => {
    const id = factory.next();
    const gw = ids.toGatewayWorker(id);
    assert.equal(gw, '0a010203' + '0f3c' + '00000001');
    assert.equal(ids.connectionIdOf(id), 1);
  });

  it('map back to the Switchboard id from the connection id alone', () => {
    for (let i = 0; i < 1000; i++) {
      const id = factory.next();
      assert.equal(ids.fromConnectionId(ids.connectionIdOf(id)), id);
    }
    assert.equal(ids.fromConnectionId(0xffffffff), `${factory.prefix}0000ffffffff`);
  });

  it('need an IPv4 address', () => {
    assert.throws(() => new GatewayWorkerIds({ host: '::1', port: 1 }, factory.prefix), {
      code: 'SB_ERR_INVALID_OPTION',
    });
  });
});
