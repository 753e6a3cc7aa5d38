// The soak's fault plan and memory trend test: reproducible from the seed, every kind early, and a trend test
// that tells a leak from a plateau.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FAULT_KINDS, planFaults, SOAK_ROLES, type ScheduleOptions } from '../../soak/fault-schedule.ts';
import { memoryTrend, type RssSample } from '../../soak/memory-trend.ts';
import { counterValue } from '../../soak/process-sampler.ts';
import { parseDuration } from '../../soak/soak-options.ts';
import { SeededRandom } from '../../soak/seeded-random.ts';

const OPTIONS: ScheduleOptions = {
  duration: 600_000,
  every: 15_000,
  quietTail: 15_000,
  kinds: FAULT_KINDS,
  roles: SOAK_ROLES,
  counts: { register: 1, gateway: 2, business: 2 },
};

describe('soak fault schedule', () => {
  it('is the same for the same seed and differs for another', () => {
    const a = planFaults(new SeededRandom(42), OPTIONS);
    assert.deepEqual(planFaults(new SeededRandom(42), OPTIONS), a);
    assert.notDeepEqual(planFaults(new SeededRandom(43), OPTIONS), a);
  });

  it('has every kind in its first round, hits every role, and keeps out of the quiet tail', () => {
    for (let seed = 0; seed < 50; seed++) {
      const plan = planFaults(new SeededRandom(seed), OPTIONS);
      assert.deepEqual(new Set(plan.slice(0, FAULT_KINDS.length).map((f) => f.kind)), new Set(FAULT_KINDS));
      assert.deepEqual(new Set(plan.map((f) => f.role)), new Set(SOAK_ROLES));
      for (const f of plan) {
        assert.ok(f.at < OPTIONS.duration - OPTIONS.quietTail);
        assert.ok(f.index < OPTIONS.counts[f.role]);
        if (f.kind === 'reload') assert.equal(f.role, 'business');
      }
      for (let i = 1; i < plan.length; i++) {
        const gap = plan[i]!.at - plan[i - 1]!.at;
        assert.ok(gap >= 0.5 * OPTIONS.every - 1 && gap <= 1.5 * OPTIONS.every + 1, `gap ${gap}`);
      }
    }
  });

  it('plans no reload when workers are not faulted', () => {
    const plan = planFaults(new SeededRandom(1), { ...OPTIONS, roles: ['gateway'] });
    assert.ok(plan.length > 0 && plan.every((f) => f.role === 'gateway' && f.kind !== 'reload'));
  });

  it('reads times as the flags give them', () => {
    assert.equal(parseDuration('10m'), 600_000);
    assert.equal(parseDuration('45s'), 45_000);
    assert.equal(parseDuration('600'), 600_000);
    assert.equal(parseDuration('1500ms'), 1500);
    assert.throws(() => parseDuration('ten'));
  });
});

const MB = 1 << 20;
const series = (f: (t: number) => number, seconds = 300): RssSample[] =>
  Array.from({ length: seconds / 2 }, (_, i) => ({ at: i * 2000, rss: f(i * 2000) }));

describe('soak memory trend', () => {
  it('calls a steady leak growing', () => {
    const v = memoryTrend(series((t) => 80 * MB + (t / 1000) * 0.2 * MB));
    assert.ok(v.judged && v.growing);
  });

  it('calls a warm-up then a plateau (with GC noise) flat', () => {
    const v = memoryTrend(series((t) => 80 * MB + Math.min(t, 60_000) * 300 + ((t / 2000) % 5) * MB));
    assert.ok(v.judged && !v.growing);
  });

  it('calls memory that stepped up once (more clients on a gateway) and stayed there flat', () => {
    const v = memoryTrend(series((t) => (t > 110_000 ? 95 : 80) * MB));
    assert.ok(v.judged && !v.growing);
  });

  it('does not judge a process sampled too briefly', () => {
    assert.equal(memoryTrend(series((t) => t * MB, 40)).judged, false);
  });
});

describe('soak metrics reading', () => {
  it('sums a counter and tells a missing one from 0', () => {
    const text = [
      '# HELP switchboard_worker_handler_timeouts_total Handlers past --handler-timeout',
      '# TYPE switchboard_worker_handler_timeouts_total counter',
      'switchboard_worker_handler_timeouts_total{event="message"} 2',
      'switchboard_worker_handler_timeouts_total{event="close"} 1',
      'switchboard_worker_handler_timeouts_total_created 17',
    ].join('\n');
    assert.equal(counterValue(text, 'switchboard_worker_handler_timeouts_total'), 3);
    assert.equal(counterValue('switchboard_gateway_lost_events_total 0\n', 'switchboard_gateway_lost_events_total'), 0);
    assert.equal(counterValue(text, 'switchboard_gateway_lost_events_total'), null);
  });
});
