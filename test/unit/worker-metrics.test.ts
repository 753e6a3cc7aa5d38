import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WorkerMetrics } from '../../business/worker-metrics.ts';

describe('WorkerMetrics', () => {
  it('turns the plain per-event totals into Prometheus counters and a cumulative histogram when scraped', async () => {
    const metrics = new WorkerMetrics(
      () => 3,
      () => 2,
    );
    metrics.handled('message', 0.0002);
    metrics.handled('message', 0.003);
    metrics.handled('message', 7);
    metrics.handled('connect', 0.02);
    metrics.handlerError('message');
    metrics.slowHandler();
    metrics.handlerTimeout();
    metrics.handlerTimeout();
    metrics.internalError();
    const text = await metrics.registry.metrics();
    const line = (prefix: string) => text.split('\n').find((l) => l.startsWith(prefix + ' '));
    assert.equal(
      line('switchboard_worker_events_total{event="message"}'),
      'switchboard_worker_events_total{event="message"} 3',
    );
    assert.equal(line('switchboard_worker_events_total{event="connect"}')?.split(' ')[1], '1');
    assert.equal(line('switchboard_worker_events_total{event="close"}'), undefined, 'no line for events never seen');
    assert.equal(line('switchboard_worker_handler_errors_total{event="message"}')?.split(' ')[1], '1');
    assert.equal(line('switchboard_worker_slow_handlers_total')?.split(' ')[1], '1');
    assert.equal(line('switchboard_worker_internal_errors_total')?.split(' ')[1], '1');
    assert.equal(line('switchboard_worker_handler_timeouts_total')?.split(' ')[1], '2');
    const bucket = (le: string) =>
      Number(line(`switchboard_worker_handler_duration_seconds_bucket{le="${le}",event="message"}`)?.split(' ')[1]);
    assert.deepEqual(['0.0005', '0.001', '0.005', '5', '+Inf'].map(bucket), [1, 1, 2, 2, 3]);
    assert.equal(line('switchboard_worker_handler_duration_seconds_count{event="message"}')?.split(' ')[1], '3');
    assert.equal(
      Number(line('switchboard_worker_handler_duration_seconds_sum{event="message"}')?.split(' ')[1]),
      7.0032,
    );
    assert.match(text, /^# TYPE switchboard_worker_handler_duration_seconds histogram$/m);
    assert.equal(line('switchboard_worker_events_in_flight')?.split(' ')[1], '3');
  });
});
