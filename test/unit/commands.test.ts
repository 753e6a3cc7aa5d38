import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Cmd, MAX_NAME_LENGTH, MAX_NESTING, parseMessage } from '../../shared/commands.ts';
import { SwitchboardError } from '../../shared/errors.ts';

/** A map nested `depth` levels deep, with an array at every other level. */
function nested(depth: number): Record<string, unknown> {
  let value: unknown = 'leaf';
  for (let i = 1; i < depth; i++) value = i % 2 ? [value] : { v: value };
  return { v: value };
}

describe('parseMessage', () => {
  it('accepts a session nested MAX_NESTING levels deep and refuses a deeper one, which could not be encoded again', () => {
    assert.equal(parseMessage({ cmd: Cmd.SetSession, client: 'c', session: nested(MAX_NESTING) }).cmd, Cmd.SetSession);
    for (const depth of [MAX_NESTING + 1, 5000]) {
      assert.throws(() => parseMessage({ cmd: Cmd.SetSession, client: 'c', session: nested(depth) }), {
        code: 'SB_ERR_BAD_FRAME',
      });
    }
  });

  it('accepts well-formed commands', () => {
    assert.equal(parseMessage({ cmd: Cmd.BindUid, client: 'c', uid: '42' }).cmd, Cmd.BindUid);
    assert.equal(parseMessage({ cmd: Cmd.CloseClient, client: 'c' }).cmd, Cmd.CloseClient); // data may be absent
    assert.equal(parseMessage({ cmd: Cmd.SendToAll, data: new Uint8Array([1]), exclude: [] }).cmd, Cmd.SendToAll);
    assert.equal(parseMessage({ cmd: Cmd.SetRouteKey, client: 'c', key: null }).cmd, Cmd.SetRouteKey);
    // Events from a gateway that sends no address or route key (an older one) are still events.
    assert.equal(parseMessage({ cmd: Cmd.EvMessage, client: 'c', session: {}, data: 'x' }).cmd, Cmd.EvMessage);
    const read = { cmd: Cmd.HistoryRead, id: 1, stream: 'uid:a', epoch: null, offset: 0, ttl: 60 };
    assert.equal(parseMessage(read).cmd, Cmd.HistoryRead);
    const entries = [
      [1, 'text'],
      [2, new Uint8Array([0])],
    ];
    const recovery = { cmd: Cmd.HistoryRecovery, id: 1, recovered: true, epoch: 'e', offset: 2, messages: entries };
    assert.equal(parseMessage(recovery).cmd, Cmd.HistoryRecovery);
  });

  it('refuses unknown commands, wrong field types and oversize names with SB_ERR_BAD_FRAME', () => {
    const bad = [
      null,
      [1, 2],
      { cmd: 'BindUid' },
      { cmd: 999 },
      { cmd: Cmd.BindUid, client: 'c', uid: 42 },
      { cmd: Cmd.BindUid, client: 'c' },
      { cmd: Cmd.SendToUids, uids: 'not-a-list', data: 'x' },
      { cmd: Cmd.SendToUids, uids: ['ok', 7], data: 'x' },
      { cmd: Cmd.SendToUids, uids: ['ok'], data: { an: 'object' } },
      { cmd: Cmd.SetSession, client: 'c', session: [1] },
      { cmd: Cmd.JoinGroup, client: 'c', group: 'g'.repeat(MAX_NAME_LENGTH + 1) },
      { cmd: Cmd.Query, id: 1.5, q: 'x', args: {} },
      { cmd: Cmd.SetRouteKey, client: 'c', key: 5 },
      { cmd: Cmd.SetRouteKey, client: 'c', key: 'k'.repeat(MAX_NAME_LENGTH + 1) },
      { cmd: Cmd.EvMessage, client: 'c', session: {}, data: 'x', port: '80' },
      { cmd: Cmd.HistoryAppend, id: 1, stream: 'uid:a', data: 'x', size: 10 },
      { cmd: Cmd.HistoryRecovery, id: 1, recovered: 1, epoch: 'e', offset: 0, messages: [] },
      { cmd: Cmd.HistoryRecovery, id: 1, recovered: true, epoch: 'e', offset: 1, messages: [['1', 'x']] },
      { cmd: Cmd.HistoryRecovery, id: 1, recovered: true, epoch: 'e', offset: 1, messages: [[1, { x: 1 }]] },
    ];
    for (const value of bad) {
      assert.throws(() => parseMessage(value), { code: 'SB_ERR_BAD_FRAME' }, JSON.stringify(value));
    }
  });

  it('never throws anything but a coded error on random values (property)', () => {
    fc.assert(
      fc.property(
        fc
          .record({ cmd: fc.integer({ min: 0, max: 60 }) }, { requiredKeys: [] })
          .chain((base) => fc.dictionary(fc.string(), fc.anything()).map((extra) => ({ ...extra, ...base }))),
        (value) => {
          try {
            parseMessage(value);
          } catch (err) {
            assert.ok(err instanceof SwitchboardError);
            assert.equal(err.code, 'SB_ERR_BAD_FRAME');
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
});
