// The TCP codecs (text, frame, the example type-length module) and the reader that cuts a byte stream into
// their messages: byte for byte against Workerman's Text and Frame, split at every point, one byte at a time,
// random splits, random garbage, and codecs that throw or return garbage.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { ProtocolCodec } from '../../gateway/protocols/codec.ts';
import { frameCodec } from '../../gateway/protocols/frame.ts';
import { loadProtocol } from '../../gateway/protocols/load-protocol.ts';
import { MessageReader, type ReadFailure } from '../../gateway/protocols/message-reader.ts';
import { textCodec } from '../../gateway/protocols/text.ts';
import typeLength from '../fixtures/type-length-protocol.ts';

const FIXTURE = new URL('../fixtures/type-length-protocol.ts', import.meta.url);

/** Every message the reader makes of `chunks`, and the failure it stopped on, if any. */
function readAll(codec: ProtocolCodec, chunks: Buffer[], max = 1 << 20) {
  const messages: (string | Buffer)[] = [];
  const sizes: number[] = [];
  const reader = new MessageReader(
    codec,
    max,
    (out: typeof messages, data, bytes) => {
      out.push(data);
      sizes.push(bytes);
    },
    messages,
  );
  let failure: ReadFailure | null = null;
  for (const chunk of chunks) failure = reader.write(chunk) ?? failure;
  return { messages, sizes, failure, buffered: reader.buffered };
}

const hex = (values: (string | Buffer)[]) => values.map((v) => (typeof v === 'string' ? v : `0x${v.toString('hex')}`));

/** Each codec with a stream of several messages and what handlers get of them. */
const cases: { codec: ProtocolCodec; stream: Buffer; expected: (string | Buffer)[] }[] = [
  {
    codec: textCodec,
    // Workerman's Text: "\n" ends a message; decode is rtrim($buffer, "\r\n").
    stream: Buffer.from('hello\nwith cr\r\n\n{"a":1}\nü€😀\ntwo cr\r\r\n'),
    expected: ['hello', 'with cr', '', '{"a":1}', 'ü€😀', 'two cr'],
  },
  {
    codec: frameCodec,
    stream: Buffer.concat([
      Buffer.from([0, 0, 0, 9, 0x68, 0x65, 0x6c, 0x6c, 0x6f]), // "hello", length 4 + 5 = 9
      Buffer.from([0, 0, 0, 4]), // empty payload
      Buffer.concat([Buffer.from([0, 0, 0x11, 0x74]), Buffer.alloc(4464, 7)]), // 4 + 4464 = 0x1174
      Buffer.from([0, 0, 0, 6, 0x00, 0xff]),
    ]),
    expected: [Buffer.from('hello'), Buffer.alloc(0), Buffer.alloc(4464, 7), Buffer.from([0, 0xff])],
  },
  {
    codec: typeLength,
    stream: Buffer.concat([
      Buffer.from([1, 0, 2, 0x68, 0x69]),
      Buffer.from([2, 0, 3, 9, 8, 7]),
      Buffer.from([1, 0, 0]),
      Buffer.concat([Buffer.from([2, 0x01, 0x2c]), Buffer.alloc(300, 1)]),
    ]),
    expected: ['hi', Buffer.from([9, 8, 7]), '', Buffer.alloc(300, 1)],
  },
];

describe('TCP protocols: byte for byte', () => {
  it('text: a sent message gets "\\n", received ones lose "\\n" and the "\\r"s before it, as Workerman Text', () => {
    assert.deepEqual(textCodec.encode('ping'), Buffer.from('ping\n'));
    assert.deepEqual(textCodec.encode(''), Buffer.from('\n'));
    assert.deepEqual(textCodec.encode('ü'), Buffer.from([0xc3, 0xbc, 0x0a]));
    assert.deepEqual(textCodec.encode(Buffer.from([1, 2])), Buffer.from([1, 2, 0x0a]));
    assert.equal(textCodec.input(Buffer.from('abc')), 0);
    assert.equal(textCodec.input(Buffer.from('abc\ndef\n')), 4);
    assert.equal(textCodec.decode(Buffer.from('abc\r\n')), 'abc');
    assert.equal(textCodec.decode(Buffer.from('\r\n')), '');
    assert.equal(textCodec.decode(Buffer.from('a\rb\n')), 'a\rb', 'only a trailing \\r goes');
  });

  it('frame: a 4-byte big-endian length that counts itself, as Workerman Frame', () => {
    assert.deepEqual(frameCodec.encode('hello'), Buffer.from([0, 0, 0, 9, 0x68, 0x65, 0x6c, 0x6c, 0x6f]));
    assert.deepEqual(frameCodec.encode(''), Buffer.from([0, 0, 0, 4]));
    assert.deepEqual(frameCodec.encode(Buffer.from([0xff])), Buffer.from([0, 0, 0, 5, 0xff]));
    const big = frameCodec.encode(Buffer.alloc(70_000));
    assert.equal(big.readUInt32BE(0), 70_004);
    assert.equal(frameCodec.input(Buffer.from([0, 0, 0])), 0, 'need more');
    assert.equal(frameCodec.input(Buffer.from([0, 0, 1, 0])), 256);
    for (const n of [0, 1, 2, 3]) assert.equal(frameCodec.input(Buffer.from([0, 0, 0, n])), -1, `length ${n}`);
  });

  it('the example type-length module round-trips and refuses unknown types', () => {
    assert.deepEqual(typeLength.encode('hi'), Buffer.from([1, 0, 2, 0x68, 0x69]));
    assert.deepEqual(typeLength.encode(Buffer.from([5])), Buffer.from([2, 0, 1, 5]));
    assert.equal(typeLength.input(Buffer.from([3, 0, 0])), -1);
    assert.throws(() => typeLength.encode(Buffer.alloc(70_000)), RangeError);
  });

  it('the example module in docs/devices-over-tcp.md is the one the tests use', () => {
    const page = readFileSync(new URL('../../docs/devices-over-tcp.md', import.meta.url), 'utf8');
    assert.ok(page.includes(readFileSync(FIXTURE, 'utf8').trim()), 'docs show test/fixtures/type-length-protocol.ts');
  });
});

for (const { codec, stream, expected } of cases) {
  describe(`MessageReader with ${codec.name}`, () => {
    it('reads a stream in one chunk, and what it sends back reads the same', () => {
      const { messages, failure, buffered } = readAll(codec, [stream]);
      assert.deepEqual(hex(messages), hex(expected));
      assert.equal(failure, null);
      assert.equal(buffered, 0);
      const again = Buffer.concat(expected.map((m) => codec.encode(m)));
      assert.deepEqual(hex(readAll(codec, [again]).messages), hex(expected));
    });

    it('reads a stream split at every point into two chunks', () => {
      for (let i = 0; i <= stream.length; i++) {
        const { messages } = readAll(codec, [stream.subarray(0, i), stream.subarray(i)]);
        assert.deepEqual(hex(messages), hex(expected), `split at ${i}`);
      }
    });

    it('reads a stream fed one byte at a time, buffering only the unfinished message', () => {
      const { messages, sizes, buffered } = readAll(
        codec,
        [...stream].map((b) => Buffer.from([b])),
      );
      assert.deepEqual(hex(messages), hex(expected));
      assert.equal(
        sizes.reduce((a, b) => a + b, 0),
        stream.length,
        'every byte belongs to one message',
      );
      assert.equal(buffered, 0);
    });

    it('reads a stream cut at random points (property)', () => {
      fc.assert(
        fc.property(fc.array(fc.integer({ min: 0, max: stream.length }), { maxLength: 40 }), (cuts) => {
          const points = [0, ...cuts.sort((a, b) => a - b), stream.length];
          const chunks = points.slice(1).map((end, i) => Buffer.from(stream.subarray(points[i]!, end)));
          assert.deepEqual(hex(readAll(codec, chunks).messages), hex(expected));
        }),
        { numRuns: 300 },
      );
    });

    it('messages handed out stay intact while later bytes arrive', () => {
      const chunks = [...stream].map((b) => Buffer.from([b]));
      const { messages } = readAll(codec, [...chunks, ...chunks]);
      assert.deepEqual(hex(messages), hex([...expected, ...expected]));
    });

    it('survives random garbage: it reads, or stops with a coded failure, and never throws (property)', () => {
      fc.assert(
        fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 20 }), (chunks) => {
          const { failure, buffered } = readAll(
            codec,
            chunks.map((c) => Buffer.from(c)),
            256,
          );
          if (failure) assert.match(failure.code, /^SB_CLOSE_(BAD_MESSAGE|MESSAGE_TOO_LARGE)$/);
          assert.ok(buffered <= 256 + 64, `${buffered} bytes buffered`);
        }),
        { numRuns: 1000 },
      );
    });
  });
}

describe('MessageReader limits and faulty codecs', () => {
  it('refuses a frame above --max-message-size from its header, before buffering the body', () => {
    const header = Buffer.from([0, 0, 0x03, 0xe9]); // 1001 bytes
    const reader = new MessageReader(frameCodec, 1000, () => assert.fail('no message expected'), null);
    assert.equal(reader.write(header)?.code, 'SB_CLOSE_MESSAGE_TOO_LARGE');
    assert.equal(reader.buffered, 0);
    assert.equal(reader.write(Buffer.alloc(5000))?.code, 'SB_CLOSE_MESSAGE_TOO_LARGE', 'stays failed');
    assert.equal(reader.buffered, 0);
    // 1000 bytes on the wire (framing included) is allowed.
    const ok = readAll(frameCodec, [frameCodec.encode(Buffer.alloc(996))], 1000);
    assert.equal(ok.failure, null);
    assert.equal(ok.messages.length, 1);
  });

  it('refuses a text line once --max-message-size bytes wait without its "\\n"', () => {
    const line = readAll(textCodec, [Buffer.alloc(99, 0x61), Buffer.from('\n')], 100);
    assert.deepEqual(line.messages, ['a'.repeat(99)], '100 bytes with the \\n fit');
    const long = readAll(textCodec, [Buffer.alloc(60, 0x61), Buffer.alloc(40, 0x61)], 100);
    assert.equal(long.failure?.code, 'SB_CLOSE_MESSAGE_TOO_LARGE');
    assert.equal(long.buffered, 0);
  });

  it('stops with SB_CLOSE_BAD_MESSAGE for an invalid frame, after the messages before it', () => {
    const { messages, failure } = readAll(frameCodec, [
      Buffer.concat([frameCodec.encode('ok'), Buffer.from([0, 0, 0, 2, 1, 1])]),
    ]);
    assert.deepEqual(messages, [Buffer.from('ok')]);
    assert.equal(failure?.code, 'SB_CLOSE_BAD_MESSAGE');
  });

  it('stops with SB_CLOSE_CODEC_FAILED when a codec throws or returns garbage, never throwing itself', () => {
    const faulty: [string, Partial<ProtocolCodec>][] = [
      [
        'input throws',
        {
          input: () => {
            throw new Error('boom');
          },
        },
      ],
      ['input returns NaN', { input: () => Number.NaN }],
      ['input returns a string', { input: () => '3' as unknown as number }],
      ['input returns 1.5', { input: () => 1.5 }],
      [
        'decode throws',
        {
          decode: () => {
            throw new TypeError('bad');
          },
        },
      ],
      ['decode returns a number', { decode: () => 42 as unknown as string }],
      ['decode returns null', { decode: () => null as unknown as string }],
    ];
    for (const [what, override] of faulty) {
      const codec = { ...frameCodec, name: 'faulty', ...override } as ProtocolCodec;
      const { failure } = readAll(codec, [frameCodec.encode('x')]);
      assert.equal(failure?.code, 'SB_CLOSE_CODEC_FAILED', what);
    }
    const uint8 = { ...frameCodec, decode: (m: Buffer) => new Uint8Array(m.subarray(4)) } as ProtocolCodec;
    const { messages } = readAll(uint8, [frameCodec.encode('x')]);
    assert.ok(Buffer.isBuffer(messages[0]), 'a Uint8Array reaches handlers as a Buffer');
  });

  it('a sink that stops the reader ends the chunk there', () => {
    const seen: unknown[] = [];
    const reader: MessageReader<null> = new MessageReader(
      textCodec,
      100,
      (_t, data) => {
        seen.push(data);
        reader.stop();
      },
      null,
    );
    reader.write(Buffer.from('a\nb\nc\n'));
    assert.deepEqual(seen, ['a']);
  });
});

describe('loadProtocol', () => {
  it('knows websocket, text and frame, and loads a module by path', async () => {
    assert.equal(await loadProtocol('websocket'), null);
    assert.equal(await loadProtocol('text'), textCodec);
    assert.equal(await loadProtocol('frame'), frameCodec);
    const loaded = await loadProtocol('test/fixtures/type-length-protocol.ts');
    assert.equal(loaded?.name, 'type-length');
    assert.deepEqual(loaded?.encode('hi'), Buffer.from([1, 0, 2, 0x68, 0x69]));
  });

  it('refuses a missing module, one without a codec, and a bad name with SB_ERR_PROTOCOL_MODULE', async () => {
    await assert.rejects(loadProtocol('txt'), { code: 'SB_ERR_PROTOCOL_MODULE' });
    await assert.rejects(loadProtocol('test/fixtures/api-app.ts'), { code: 'SB_ERR_PROTOCOL_MODULE' });
    await assert.rejects(loadProtocol({ ...textCodec, name: 'has space' }), { code: 'SB_ERR_PROTOCOL_MODULE' });
    await assert.rejects(loadProtocol({ ...textCodec, name: 'websocket' }), { code: 'SB_ERR_PROTOCOL_MODULE' });
  });
});
