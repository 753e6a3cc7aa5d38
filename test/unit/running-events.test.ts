import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EventScope } from '../../business/context.ts';
import { RunningEvents, sweepInterval, type RunningEvent } from '../../business/running-events.ts';

/** Ages are differences of performance.now() values: equal up to floating-point rounding. */
function assertNear(actual: number, expected: number): void {
  assert.ok(Math.abs(actual - expected) < 1e-6, `${actual} is not ${expected}`);
}

const scope = (clientId: string): EventScope =>
  ({ ctx: { clientId, event: 'message' }, baseline: '{}' }) as unknown as EventScope;

function watch(timeoutMs: number) {
  const timedOut: [string, number][] = [];
  const endedLate: [string, unknown][] = [];
  const events = new RunningEvents(timeoutMs, {
    timedOut: (e, age) => timedOut.push([e.clientId, age]),
    endedLate: (e, _age, error) => endedLate.push([e.clientId, error]),
  });
  return { events, timedOut, endedLate };
}

/** A handler's promise that the test settles. */
function pending() {
  let resolve!: () => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const started = (e: RunningEvent) => e.startedAt;

describe('RunningEvents', () => {
  it('looks at the handlers a tenth of the timeout apart, within 5 ms and 1 s', () => {
    assert.equal(sweepInterval(10_000), 1000);
    assert.equal(sweepInterval(300), 30);
    assert.equal(sweepInterval(20), 5);
    assert.equal(sweepInterval(600_000), 1000);
  });

  it('times out only the handlers past the timeout, oldest first, and releases their clients', async () => {
    const { events, timedOut } = watch(100);
    try {
      const a = events.start('a', 'message', scope('a'));
      const b = events.start('b', 'message', scope('b'));
      const handlerA = pending();
      const handlerB = pending();
      let released = '';
      const waitA = events.settled(a, handlerA.promise).then(() => (released += 'a'));
      const waitB = events.settled(b, handlerB.promise).then(() => (released += 'b'));
      const now = started(b);
      events.look(now + 10); // a first look: not past it yet
      events.look(now + 20);
      assert.equal(timedOut.length, 0);
      // Looks closer together than a stall, each past the timeout of both.
      for (let t = now + 30; t <= now + 110; t += 10) events.look(t);
      assert.deepEqual(
        timedOut.map(([id]) => id),
        ['a', 'b'],
      );
      assert.ok(timedOut[0]![1] >= 100);
      await Promise.all([waitA, waitB]);
      assert.equal(released, 'ab');
      assert.equal(a.timedOut && a.scope.timedOut, true, 'its scope is marked: its Gateway calls are refused');
      assert.equal(events.overdueCount, 2);
      assert.equal(events.size, 2);
    } finally {
      events.cancel();
    }
  });

  it('does not time out handlers on the first look after the process was stopped or blocked', () => {
    const { events, timedOut } = watch(100);
    try {
      const a = events.start('a', 'message', scope('a'));
      events.look(started(a) + 5);
      events.look(started(a) + 5000); // a gap of 5 s between two looks 10 ms apart
      assert.deepEqual(timedOut, []);
      events.look(started(a) + 5010);
      assert.equal(timedOut.length, 1);
    } finally {
      events.cancel();
    }
  });

  it('resolves with a handler that ends in time, and rejects with one that throws in time', async () => {
    const { events, timedOut, endedLate } = watch(100);
    try {
      const ok = pending();
      const a = events.start('a', 'message', scope('a'));
      const waitA = events.settled(a, ok.promise);
      ok.resolve();
      await waitA;
      const failing = pending();
      const b = events.start('b', 'message', scope('b'));
      const waitB = events.settled(b, failing.promise);
      failing.reject(new Error('boom'));
      await assert.rejects(waitB, /boom/);
      assert.equal(events.size, 0);
      assert.equal(events.oldestAgeMs(), 0);
      assert.deepEqual([timedOut, endedLate], [[], []]);
    } finally {
      events.cancel();
    }
  });

  it('reports a timed-out handler when it ends after all, with its error', async () => {
    const { events, endedLate } = watch(100);
    try {
      const late = pending();
      const failing = pending();
      const a = events.start('a', 'message', scope('a'));
      const b = events.start('b', 'message', scope('b'));
      const waits = [events.settled(a, late.promise), events.settled(b, failing.promise)];
      for (let t = started(b); t <= started(b) + 110; t += 10) events.look(t);
      await Promise.all(waits); // released by the timeout, not by the handlers
      assert.ok(events.oldestAgeMs() >= 0);
      assert.equal(events.overdueCount, 2);
      late.resolve();
      failing.reject(new Error('late boom'));
      await new Promise((r) => setImmediate(r));
      assert.deepEqual(
        endedLate.map(([id, error]) => [id, (error as Error | undefined)?.message]),
        [
          ['a', undefined],
          ['b', 'late boom'],
        ],
      );
      assert.equal(events.size, 0);
    } finally {
      events.cancel();
    }
  });

  it('gives the age of the oldest running handler, timed-out ones included', () => {
    const { events } = watch(100);
    try {
      const a = events.start('a', 'message', scope('a'));
      for (let t = started(a); t <= started(a) + 110; t += 10) events.look(t);
      assert.equal(events.overdueCount, 1);
      const b = events.start('b', 'connect', scope('b'));
      assertNear(events.oldestAgeMs(started(b) + 1), started(b) + 1 - started(a));
      events.end(b, undefined);
      assertNear(events.oldestAgeMs(started(a) + 500), 500);
    } finally {
      events.cancel();
    }
  });

  it('with no timeout, tracks handlers and never times them out', () => {
    const { events, timedOut } = watch(0);
    const a = events.start('a', 'message', scope('a'));
    events.look(started(a) + 10);
    events.look(started(a) + 20);
    assert.deepEqual(timedOut, []);
    assertNear(events.oldestAgeMs(started(a) + 20), 20);
    events.cancel();
  });
});
