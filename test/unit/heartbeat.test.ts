import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Heartbeat, type HeartbeatFailure } from '../../shared/heartbeat.ts';

/** A heartbeat on mocked timers, recording pings and its verdict. */
function watch(interval = 100, maxMissed = 3) {
  const seen = { pings: 0, dead: [] as HeartbeatFailure[] };
  const heartbeat = new Heartbeat(
    interval,
    maxMissed,
    () => seen.pings++,
    (why) => seen.dead.push(why),
  );
  return { heartbeat, seen };
}

describe('link heartbeat', () => {
  it('gives up on a silent peer after maxMissed intervals, checked once per interval', (t) => {
    t.mock.timers.enable({ apis: ['setInterval', 'setTimeout'] });
    const { seen } = watch();
    t.mock.timers.tick(300);
    assert.deepEqual(seen, { pings: 3, dead: [] });
    t.mock.timers.tick(100);
    assert.deepEqual(seen, { pings: 3, dead: ['silent'] });
    t.mock.timers.tick(1000);
    assert.deepEqual(seen.dead, ['silent'], 'only once');
  });

  it('keeps a peer that answers', (t) => {
    t.mock.timers.enable({ apis: ['setInterval', 'setTimeout'] });
    const { heartbeat, seen } = watch();
    for (let i = 0; i < 20; i++) {
      t.mock.timers.tick(250);
      heartbeat.alive();
    }
    assert.deepEqual(seen.dead, []);
    heartbeat.cancel();
  });

  it('a probe pings at once and gives up within its timeout unless the peer answers', (t) => {
    t.mock.timers.enable({ apis: ['setInterval', 'setTimeout'] });
    const answered = watch();
    answered.heartbeat.probe(100);
    assert.equal(answered.seen.pings, 1);
    t.mock.timers.tick(50);
    answered.heartbeat.alive();
    t.mock.timers.tick(200);
    assert.deepEqual(answered.seen.dead, []);
    answered.heartbeat.cancel();

    const silent = watch(1000);
    silent.heartbeat.probe(100);
    silent.heartbeat.probe(100); // a second report does not restart the clock
    t.mock.timers.tick(99);
    assert.deepEqual(silent.seen.dead, []);
    t.mock.timers.tick(1);
    assert.deepEqual(silent.seen, { pings: 1, dead: ['probe'] });
    t.mock.timers.tick(5000);
    assert.deepEqual(silent.seen.dead, ['probe'], 'only once');
  });

  it('does nothing once cancelled', (t) => {
    t.mock.timers.enable({ apis: ['setInterval', 'setTimeout'] });
    const { heartbeat, seen } = watch();
    heartbeat.cancel();
    heartbeat.probe(10);
    t.mock.timers.tick(1000);
    assert.deepEqual(seen, { pings: 0, dead: [] });
  });
});
