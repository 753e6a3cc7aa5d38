// The Redis history against a real redis-server: the same answers as the embedded store, a restart that is
// told apart, and an outage that fails loudly.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RedisHistory } from '../../history/redis-history.ts';
import { ErrorCode } from '../../shared/errors.ts';
import { RedisServer } from '../helpers/redis.ts';

describe('RedisHistory', () => {
  let redis: RedisServer;
  let history: RedisHistory;

  before(async () => {
    redis = await RedisServer.start();
    history = new RedisHistory(RedisHistory.addressOf(redis.url), 3, 60, 1000);
  });
  after(async () => {
    await history?.close();
    await redis?.stop();
  });

  it('keeps text and bytes with growing offsets, and replays after a position', async () => {
    const start = await history.read('uid:a', null);
    assert.equal(start.position.offset, 0);
    const p1 = await history.append('uid:a', 'one');
    const p2 = await history.append('uid:a', new Uint8Array([0, 255, 13, 10]));
    assert.deepEqual([p1.offset, p2.offset], [1, 2]);
    assert.equal(p1.epoch, start.position.epoch);
    const r = await history.read('uid:a', start.position);
    assert.equal(r.recovered, true);
    assert.deepEqual(r.messages, [
      { offset: 1, data: 'one' },
      { offset: 2, data: new Uint8Array([0, 255, 13, 10]) },
    ]);
    assert.deepEqual((await history.read('uid:a', p2)).messages, []);
  });

  it('keeps streams of similar names apart', async () => {
    await history.append('group:x}', 'a');
    await history.append('group:x%7D', 'b');
    const r = await history.read('group:x}', null);
    assert.equal(r.position.offset, 1);
  });

  it('says "not recovered" when trimmed past the position or for another epoch', async () => {
    const first = await history.append('group:t', '1');
    for (const text of ['2', '3', '4']) await history.append('group:t', text);
    assert.equal((await history.read('group:t', first)).recovered, true);
    assert.equal((await history.read('group:t', { epoch: first.epoch, offset: 0 })).recovered, false);
    assert.equal((await history.read('group:t', { epoch: 'nope.nope', offset: 1 })).recovered, false);
  });

  it('fails with SB_ERR_HISTORY_UNAVAILABLE while Redis is down, and tells a restarted Redis apart', async () => {
    const before = await history.append('uid:r', 'kept');
    await redis.stop();
    await assert.rejects(history.append('uid:r', 'lost?'), { code: ErrorCode.HistoryUnavailable });
    await assert.rejects(history.read('uid:r', before), { code: ErrorCode.HistoryUnavailable });
    await redis.restart();
    const r = await history.read('uid:r', before);
    assert.equal(r.recovered, false);
    assert.notEqual(r.position.epoch, before.epoch);
    const again = await history.append('uid:r', 'after');
    assert.equal(again.offset, 1);
  });
});
