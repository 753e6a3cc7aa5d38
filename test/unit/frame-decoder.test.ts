import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { FrameDecoder } from '../../shared/frame-decoder.ts';
import { encodeFrame } from '../../shared/frame-encoder.ts';
import { SwitchboardError } from '../../shared/errors.ts';

const messages = [
  { cmd: 21, client: 'abc', uid: null, session: { n: 1, nested: { list: [1, 'two'] } }, data: 'hello' },
  { cmd: 30, clients: ['a', 'b'], data: Buffer.from([0, 1, 2, 255]) },
  { cmd: 5 },
  { cmd: 33, data: 'x'.repeat(70_000), exclude: [] },
];
const stream = Buffer.concat(messages.map((m) => encodeFrame(m)));

function decodeAll(chunks: Buffer[], max?: number): unknown[] {
  const out: unknown[] = [];
  const decoder = new FrameDecoder((v) => out.push(v), max);
  for (const chunk of chunks) decoder.write(chunk);
  assert.equal(decoder.pendingBytes, 0);
  return out;
}

const normalise = (values: unknown[]) =>
  JSON.parse(JSON.stringify(values, (_k, v) => (v?.type === 'Buffer' ? Buffer.from(v.data).toString('hex') : v)));

describe('FrameDecoder', () => {
  it('decodes a stream split at every position into two chunks', () => {
    const expected = normalise(messages);
    for (let i = 0; i <= stream.length; i += i < 200 || i > stream.length - 200 ? 1 : 97) {
      assert.deepEqual(normalise(decodeAll([stream.subarray(0, i), stream.subarray(i)])), expected, `split at ${i}`);
    }
  });

  it('decodes a stream fed one byte at a time', () => {
    const small = Buffer.concat(messages.slice(0, 3).map((m) => encodeFrame(m)));
    const bytes = [...small].map((b) => Buffer.from([b]));
    assert.deepEqual(normalise(decodeAll(bytes)), normalise(messages.slice(0, 3)));
  });

  it('decodes a stream cut at random points (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: stream.length }), { maxLength: 30 }), (cuts) => {
        const points = [0, ...cuts.sort((a, b) => a - b), stream.length];
        const chunks = points.slice(1).map((end, i) => stream.subarray(points[i]!, end));
        assert.deepEqual(normalise(decodeAll(chunks)), normalise(messages));
      }),
      { numRuns: 300 },
    );
  });

  it('refuses a frame above the limit from its header, before buffering the body', () => {
    const decoder = new FrameDecoder(() => assert.fail('no frame expected'), 1000);
    const header = Buffer.alloc(4);
    header.writeUInt32BE(1001);
    assert.throws(() => decoder.write(header), { code: 'SB_ERR_FRAME_TOO_LARGE' });
    assert.equal(decoder.pendingBytes, 0);
    decoder.write(Buffer.alloc(5000)); // ignored once failed
    assert.equal(decoder.pendingBytes, 0);
  });

  it('fails with a coded error, never anything else, on random garbage (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 512 }), (bytes) => {
        const decoder = new FrameDecoder(() => {}, 1024);
        try {
          decoder.write(Buffer.from(bytes));
        } catch (err) {
          assert.ok(err instanceof SwitchboardError, String(err));
          assert.match(err.code, /^SB_ERR_(FRAME_TOO_LARGE|BAD_FRAME)$/);
        }
        assert.ok(decoder.pendingBytes <= 1024 + 4);
      }),
      { numRuns: 2000 },
    );
  });

  it('reports a body that is not msgpack as SB_ERR_BAD_FRAME', () => {
    const frame = Buffer.from([0, 0, 0, 2, 0x92, 0x01]); // array of 2 with one element
    assert.throws(() => new FrameDecoder(() => {}).write(frame), { code: 'SB_ERR_BAD_FRAME' });
  });
});
