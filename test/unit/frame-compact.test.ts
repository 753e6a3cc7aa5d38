import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Cmd, MAX_NAME_LENGTH, parseMessage, type Message } from '../../shared/commands.ts';
import { ErrorCode } from '../../shared/errors.ts';
import { FrameDecoder } from '../../shared/frame-decoder.ts';
import { encodeFrame } from '../../shared/frame-encoder.ts';
import { COMPACT_MARKER, decodeCompact, encodeCompact } from '../../shared/frame-compact.ts';

const CLIENT = '0104' + 'ab'.repeat(18);

/** Messages of every command with a compact layout, with and without their optional fields. */
const messages: Message[] = [
  { cmd: Cmd.EvMessage, client: CLIENT, uid: null, session: {}, data: 'echo:hello', ip: '127.0.0.1', port: 40_000 },
  {
    cmd: Cmd.EvMessage,
    client: CLIENT,
    uid: 'user-ü-7',
    session: { n: 1, nested: { list: [1, 'two', null] } },
    data: Buffer.from([0, 1, 2, 255]),
    ip: '::1',
    port: 65_535,
    routeKey: 'room-1',
    ahead: 15,
  },
  { cmd: Cmd.EvMessage, client: CLIENT, uid: null, session: {}, data: '' },
  { cmd: Cmd.EvMessage, client: CLIENT, uid: null, session: {}, data: 'é'.repeat(70_000), ip: null, port: null },
  { cmd: Cmd.EvClose, client: CLIENT, uid: 'u', session: { a: 'b' }, ip: '10.0.0.1', port: 1, routeKey: null },
  { cmd: Cmd.EvClose, client: CLIENT, uid: null, session: {}, ahead: 3 },
  { cmd: Cmd.EventDone, client: CLIENT },
  { cmd: Cmd.SendToClients, clients: [CLIENT], data: 'echo:hello' },
  { cmd: Cmd.SendToClients, clients: [CLIENT, 'x', ''], data: Buffer.from('bin'), id: 7 },
  { cmd: Cmd.SendToClients, clients: [], data: '' },
  { cmd: Cmd.SendToUids, uids: ['user-1'], data: 'hi' },
  { cmd: Cmd.SendToUids, uids: ['a', 'b'], data: Buffer.alloc(0), id: 4_000_000_000 },
];

/** A message as the reader gives it back: optional fields present, as null when they were absent. */
function normal(msg: Message): Record<string, unknown> {
  const out: Record<string, unknown> = { ...msg };
  const optional: Partial<Record<number, string[]>> = {
    [Cmd.EvMessage]: ['uid', 'ip', 'port', 'routeKey', 'ahead'],
    [Cmd.EvClose]: ['uid', 'ip', 'port', 'routeKey', 'ahead'],
    [Cmd.SendToClients]: ['id'],
    [Cmd.SendToUids]: ['id'],
  };
  for (const field of optional[msg.cmd] ?? []) out[field] ??= null;
  if ('session' in msg) out.session = { ...msg.session };
  for (const [k, v] of Object.entries(out)) if (v instanceof Uint8Array) out[k] = Buffer.from(v).toString('hex');
  return out;
}

function decodeAll(chunks: Buffer[]): unknown[] {
  const out: unknown[] = [];
  const decoder = new FrameDecoder((v) => out.push(v));
  for (const chunk of chunks) decoder.write(chunk);
  assert.equal(decoder.pendingBytes, 0);
  return out;
}

function compact(msg: Message): Buffer {
  const frame = encodeCompact(msg);
  assert.ok(frame, `cmd ${msg.cmd} has a compact layout`);
  return frame;
}

/** A compact body from raw parts, for malformed input. */
const body = (...parts: number[][]) => Buffer.from([COMPACT_MARKER, ...parts.flat()]);
const name = (s: string) => {
  const b = Buffer.from(s);
  return [b.length >> 8, b.length & 0xff, ...b];
};

describe('compact layout', () => {
  it('round-trips every command it covers to what the msgpack map gives, and passes the command table', () => {
    for (const msg of messages) {
      const frame = compact(msg);
      assert.equal(frame.readUInt32BE(0), frame.length - 4, 'the header holds the body length');
      assert.equal(frame[4], COMPACT_MARKER);
      const decoded = decodeCompact(frame, 4, frame.length);
      assert.deepEqual(normal(decoded), normal(msg));
      assert.deepEqual(normal(parseMessage(decoded)), normal(msg));
    }
  });

  it('gives text as a string and bytes as a Buffer, as msgpack does', () => {
    const [text, bytes] = [messages[0]!, messages[1]!].map((m) => decodeCompact(compact(m), 4, compact(m).length));
    assert.equal(typeof (text as { data: unknown }).data, 'string');
    assert.ok(Buffer.isBuffer((bytes as { data: unknown }).data));
  });

  it('is smaller than the msgpack map for an event and a reply', () => {
    for (const msg of [messages[0]!, messages[7]!]) assert.ok(compact(msg).length < encodeFrame(msg).length);
  });

  it('leaves to msgpack what does not fit: other commands, kept sends, big ports and ids', () => {
    assert.equal(encodeCompact({ cmd: Cmd.Ping }), null);
    assert.equal(encodeCompact({ cmd: Cmd.SendToAll, data: 'x', exclude: [] }), null);
    assert.equal(encodeCompact({ cmd: Cmd.SendToUids, uids: ['u'], data: 'x', kept: true }), null);
    assert.equal(encodeCompact({ cmd: Cmd.EvClose, client: 'c', session: {}, port: 70_000 }), null);
    assert.equal(encodeCompact({ cmd: Cmd.SendToClients, clients: ['c'], data: 'x', id: 2 ** 40 }), null);
  });

  it('decodes compact and msgpack frames mixed in one stream, split at every position', () => {
    const all = [...messages.slice(0, 3), { cmd: Cmd.Ping } as Message, ...messages.slice(4)];
    const stream = Buffer.concat(all.map((m) => encodeCompact(m) ?? encodeFrame(m)));
    const expected = all.map(normal);
    for (let i = 0; i <= stream.length; i += i < 300 || i > stream.length - 300 ? 1 : 997) {
      const got = decodeAll([stream.subarray(0, i), stream.subarray(i)]).map((v) => normal(v as Message));
      assert.deepEqual(got, expected, `split at ${i}`);
    }
  });

  it('round-trips random events and sends (property)', () => {
    const str = fc.string({ maxLength: 40, unit: 'binary' });
    const event = fc.record({
      client: str,
      uid: fc.option(str),
      ip: fc.option(str),
      port: fc.option(fc.integer({ min: 0, max: 65_535 })),
      routeKey: fc.option(str),
      ahead: fc.option(fc.nat()),
      session: fc.dictionary(fc.string({ maxLength: 8 }), fc.oneof(fc.integer(), str, fc.boolean())),
      data: fc.oneof(
        fc.string({ unit: 'binary' }),
        fc.uint8Array().map((b) => Buffer.from(b)),
      ),
    });
    const send = fc.record({
      names: fc.array(str, { maxLength: 20 }),
      data: fc.oneof(
        fc.string({ unit: 'binary' }),
        fc.uint8Array().map((b) => Buffer.from(b)),
      ),
      id: fc.option(fc.nat()),
    });
    fc.assert(
      fc.property(event, send, (e, s) => {
        for (const msg of [
          { cmd: Cmd.EvMessage, ...e } as Message,
          { cmd: Cmd.SendToClients, clients: s.names, data: s.data, id: s.id } as Message,
        ]) {
          const frame = compact(msg);
          assert.deepEqual(normal(decodeCompact(frame, 4, frame.length)), normal(msg));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('refuses malformed bodies with SB_ERR_BAD_FRAME', () => {
    const cases: [string, Buffer][] = [
      ['no command', body()],
      ['a command without a compact layout', body([Cmd.Ping])],
      ['a name running past the end', body([Cmd.EventDone], [0, 9, 0x61])],
      ['bytes after the last field', body([Cmd.EventDone], name('c'), [0])],
      ['a missing flags byte', body([Cmd.EvMessage])],
      ['a port cut short', body([Cmd.EvMessage, 0x10], name('c'), [1])],
      ['a session that is not msgpack', body([Cmd.EvClose, 0x04], name('c'), [0, 0, 0, 1, 0x81])],
      ['a session that is msgpack 0xc1', body([Cmd.EvClose, 0x04], name('c'), [0, 0, 0, 1, 0xc1])],
      ['a session that is not a map', body([Cmd.EvClose, 0x04], name('c'), [0, 0, 0, 1, 0x01])],
      ['a name above the limit', body([Cmd.EventDone], name('x'.repeat(MAX_NAME_LENGTH + 1)))],
      ['more names than the body holds', body([Cmd.SendToClients, 0, 0, 3], name('a'))],
    ];
    for (const [what, b] of cases) {
      assert.throws(() => decodeCompact(b, 0, b.length), { code: ErrorCode.BadFrame }, what);
      // Through the decoder too: the error is thrown once and what follows is ignored.
      const frame = Buffer.concat([Buffer.alloc(4), b]);
      frame.writeUInt32BE(b.length, 0);
      const decoder = new FrameDecoder(() => assert.fail(`no frame expected (${what})`));
      assert.throws(() => decoder.write(frame), { code: ErrorCode.BadFrame }, what);
      decoder.write(compact(messages[6]!));
    }
  });

  it('refuses random garbage after the marker with SB_ERR_BAD_FRAME or decodes it into a valid message', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 40 }), fc.uint8Array({ maxLength: 64 }), (cmd, rest) => {
        const b = Buffer.from([COMPACT_MARKER, cmd, ...rest]);
        try {
          parseMessage(decodeCompact(b, 0, b.length));
        } catch (err) {
          assert.equal((err as { code?: string }).code, ErrorCode.BadFrame);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
