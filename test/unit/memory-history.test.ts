import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryHistory, recover } from '../../history/memory-history.ts';
import { parseHistoryOptions, streamOf } from '../../history/history-store.ts';
import { ErrorCode } from '../../shared/errors.ts';

describe('MemoryHistory', () => {
  it('gives each stream its own epoch and offsets that grow by one', async () => {
    const h = new MemoryHistory(10, 60);
    const a1 = await h.append('uid:a', 'one');
    const a2 = await h.append('uid:a', 'two');
    const b1 = await h.append('group:a', Buffer.from([1]));
    assert.equal(a1.offset, 1);
    assert.equal(a2.offset, 2);
    assert.equal(a2.epoch, a1.epoch);
    assert.equal(b1.offset, 1);
    assert.notEqual(b1.epoch, a1.epoch);
  });

  it('returns every message after a position, in order, and nothing twice', async () => {
    const h = new MemoryHistory(10, 60);
    for (const text of ['a', 'b', 'c', 'd']) await h.append('s', text);
    const start = await h.read('s', null);
    assert.deepEqual(start, { recovered: true, messages: [], position: start.position });
    assert.equal(start.position.offset, 4);
    const r = await h.read('s', { epoch: start.position.epoch, offset: 1 });
    assert.equal(r.recovered, true);
    assert.deepEqual(
      r.messages.map((m) => [m.offset, m.data]),
      [
        [2, 'b'],
        [3, 'c'],
        [4, 'd'],
      ],
    );
    assert.deepEqual((await h.read('s', start.position)).messages, []);
  });

  it('says "not recovered" when trimmed past the position, for another epoch, or a position never reached', async () => {
    const h = new MemoryHistory(3, 60);
    const first = await h.append('s', '1');
    for (const text of ['2', '3', '4']) await h.append('s', text);
    // Holds 2..4: after 1 is covered, after 0 is not (message 1 was trimmed).
    assert.equal((await h.read('s', first)).recovered, true);
    assert.equal((await h.read('s', { epoch: first.epoch, offset: 0 })).recovered, false);
    assert.equal((await h.read('s', { epoch: 'other', offset: 2 })).recovered, false);
    assert.equal((await h.read('s', { epoch: first.epoch, offset: 9 })).recovered, false);
  });

  it('starts a stream with a position before its first message, so an offline client gets it', async () => {
    const h = new MemoryHistory(10, 60);
    const { position } = await h.read('s', null);
    assert.equal(position.offset, 0);
    await h.append('s', 'while away');
    const r = await h.read('s', position);
    assert.deepEqual(
      r.messages.map((m) => m.data),
      ['while away'],
    );
  });

  it('forgets a stream and its epoch after the ttl', async () => {
    let now = 1_000_000;
    const h = new MemoryHistory(10, 5, () => now);
    const p = await h.append('s', 'x');
    now += 5_000;
    const r = await h.read('s', p);
    assert.equal(r.recovered, false);
    assert.notEqual(r.position.epoch, p.epoch);
    assert.equal(r.position.offset, 0);
  });

  it('sweeps expired streams as others are kept', async () => {
    let now = 0;
    const h = new MemoryHistory(10, 1, () => now);
    for (let i = 0; i < 100; i++) await h.append(`s${i}`, 'x');
    now += 2_000;
    for (let i = 0; i < 100; i++) await h.append('live', 'x');
    assert.ok(h.streamCount <= 2, `${h.streamCount} streams held`);
  });
});

describe('recover', () => {
  it('is covered exactly when the message after the position is still held', () => {
    const msgs = [3, 4, 5].map((offset) => ({ offset, data: String(offset) }));
    assert.equal(recover('e', 5, msgs, { epoch: 'e', offset: 2 }).recovered, true);
    assert.equal(recover('e', 5, msgs, { epoch: 'e', offset: 1 }).recovered, false);
    assert.equal(recover('e', 5, [], { epoch: 'e', offset: 5 }).recovered, true);
    assert.equal(recover('e', 5, [], { epoch: 'e', offset: 4 }).recovered, false);
  });
});

describe('parseHistoryOptions', () => {
  it('defaults, and refuses what cannot work', () => {
    assert.deepEqual(parseHistoryOptions({}), { history: 'memory', historySize: 100, historyTtl: 300 });
    assert.equal(parseHistoryOptions({ history: 'redis://127.0.0.1:6379' }).history, 'redis://127.0.0.1:6379');
    for (const bad of [{ history: 'http://x:1' }, { historySize: 0 }, { historyTtl: 1.5 }]) {
      assert.throws(() => parseHistoryOptions(bad), { code: ErrorCode.InvalidOption });
    }
    assert.equal(streamOf('uid', 'a'), 'uid:a');
  });
});
