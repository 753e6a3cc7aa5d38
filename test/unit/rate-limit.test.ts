import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RATE_LIMIT_ABUSE_SECONDS, RateLimit } from '../../gateway/rate-limit.ts';

describe('RateLimit', () => {
  it('allows a burst, then says how long to wait, refilling at the rate, never above the burst', () => {
    let now = 0;
    const limit = new RateLimit(10, 20, () => now);
    for (let i = 0; i < 20; i++) assert.equal(limit.take(), 0, `burst message ${i}`);
    assert.equal(limit.take(), 100, 'the 21st at once owes one token: 100 ms at 10/s');
    assert.equal(limit.wait(), 100);
    now += 100; // the debt is paid
    assert.equal(limit.wait(), 0);
    assert.equal(limit.take(), 100);
    now += 50; // half a token
    assert.equal(limit.wait(), 50);
    now += 50;
    assert.equal(limit.take(), 100, 'paid, then one more owed');
    now += 60_000; // a long idle time refills to the burst, no more
    for (let i = 0; i < 20; i++) assert.equal(limit.take(), 0);
    assert.ok(limit.take() > 0);
  });

  it('sustains exactly its rate for a client that waits when told', () => {
    let now = 0;
    const limit = new RateLimit(5, 5, () => now);
    let taken = 0;
    let resumeAt = 0;
    // A client that would send every 10 ms for 10 s, but is not read while it owes: 5/s pass, plus the burst.
    for (let t = 0; t < 10_000; t += 10) {
      now = t;
      if (t < resumeAt) continue;
      taken++;
      const wait = limit.take();
      if (wait > 0) resumeAt = t + wait;
    }
    assert.ok(taken >= 54 && taken <= 56, `taken ${taken}`);
    assert.equal(limit.abusive, false);
  });

  it('is abusive only past the abuse threshold of debt', () => {
    const limit = new RateLimit(10, 20, () => 0);
    for (let i = 0; i < 20 + RATE_LIMIT_ABUSE_SECONDS * 10; i++) limit.take();
    assert.equal(limit.abusive, false, 'owing exactly the threshold is allowed');
    limit.take();
    assert.equal(limit.abusive, true);
  });
});
