import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ReconnectBackoff } from 'switchboard/client';

describe('ReconnectBackoff', () => {
  it('doubles from the initial delay up to the maximum, with jitter between half and all of it', () => {
    for (const [random, factor] of [
      [0, 0.5],
      [0.5, 0.75],
      [0.999999, 1],
    ] as const) {
      const backoff = new ReconnectBackoff(100, 1000, () => random);
      const delays = Array.from({ length: 8 }, () => backoff.next());
      const ceilings = [100, 200, 400, 800, 1000, 1000, 1000, 1000];
      assert.deepEqual(
        delays,
        ceilings.map((c) => Math.round(c * factor)),
        `random ${random}`,
      );
      assert.equal(backoff.attempts, 8);
    }
  });

  it('stays within bounds for any random source, and starts over after reset()', () => {
    const backoff = new ReconnectBackoff(500, 10_000);
    for (let i = 0; i < 200; i++) {
      const delay = backoff.next();
      const ceiling = Math.min(10_000, 500 * 2 ** i);
      assert.ok(delay >= ceiling / 2 - 1 && delay <= ceiling, `attempt ${i}: ${delay}`);
      assert.ok(Number.isFinite(delay));
    }
    backoff.reset();
    assert.equal(backoff.attempts, 0);
    assert.ok(backoff.next() <= 500);
  });
});
