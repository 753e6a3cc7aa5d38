import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RateLimit } from '../../gateway/rate-limit.ts';

describe('RateLimit', () => {
  it('allows a burst, then refills at the rate, never above the burst', () => {
    let now = 0;
    const limit = new RateLimit(10, 20, () => now);
    for (let i = 0; i < 20; i++) assert.equal(limit.take(), true, `burst message ${i}`);
    assert.equal(limit.take(), false, 'the 21st at once is over the rate');
    now += 100; // 1 token
    assert.equal(limit.take(), true);
    assert.equal(limit.take(), false);
    now += 50; // half a token: not enough
    assert.equal(limit.take(), false);
    now += 50;
    assert.equal(limit.take(), true);
    now += 60_000; // a long idle time refills to the burst, no more
    for (let i = 0; i < 20; i++) assert.equal(limit.take(), true);
    assert.equal(limit.take(), false);
  });

  it('sustains exactly its rate over time', () => {
    let now = 0;
    const limit = new RateLimit(5, 5, () => now);
    let taken = 0;
    // A message every 10 ms for 10 s: 5 per second pass (plus the initial burst), the rest are refused.
    for (let t = 0; t < 10_000; t += 10) {
      now = t;
      if (limit.take()) taken++;
    }
    assert.ok(taken >= 54 && taken <= 55, `taken ${taken}`);
  });
});
