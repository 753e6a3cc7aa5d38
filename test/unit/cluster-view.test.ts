// What the dashboard makes of the supervisor's samples: rates from raw totals, per process (a restarted one
// starts again from 0), fault counters that add up across restarts, chart points bounded in number.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ProcessSample } from '../../cli/supervisor.ts';
import { ClusterHistory, processName, WATCHED_METRICS } from '../../dashboard/cluster-view.ts';

function gateway(pid: number | null, messagesIn: number, slowConsumers?: number): ProcessSample {
  return {
    role: 'gateway',
    index: 0,
    pid,
    state: pid === null ? 'restarting' : 'up',
    startedAt: pid === null ? null : 0,
    restarts: 0,
    stats:
      pid === null ? null : { rss: 1, connections: 3, uids: 2, groups: 1, messagesIn, messagesOut: 2 * messagesIn },
    metrics: slowConsumers === undefined ? {} : { switchboard_gateway_slow_consumers_total: slowConsumers },
  };
}

const worker = (inFlight: number): ProcessSample => ({
  role: 'business',
  index: 1,
  pid: 200,
  state: 'up',
  startedAt: 0,
  restarts: 2,
  stats: { rss: 1, inFlight },
  metrics: { switchboard_worker_internal_errors_total: 1 },
});

describe('ClusterHistory', () => {
  it('names processes as switchboard status does', () => {
    assert.equal(processName({ role: 'register', index: 0 }), 'register');
    assert.equal(processName({ role: 'gateway', index: 0 }), 'gateway#0');
    assert.equal(processName({ role: 'gateway', label: 'gateway[text]', index: 1 }), 'gateway[text]#1');
  });

  it('asks for every watched metric, handler timeouts included', () => {
    assert.ok(WATCHED_METRICS.includes('switchboard_worker_handler_timeouts_total'));
    assert.ok(WATCHED_METRICS.includes('switchboard_gateway_lost_events_total'));
  });

  it('makes per-second rates from totals, and sums the processes', () => {
    const history = new ClusterHistory(10);
    history.add([gateway(100, 1000), worker(4)], 10_000);
    const view = history.add([gateway(100, 1500), worker(6)], 12_000);
    const [g, w] = view.processes;
    assert.equal(g!.name, 'gateway#0');
    assert.equal(g!.messagesInPerSec, 250);
    assert.equal(g!.messagesOutPerSec, 500);
    assert.equal(w!.inFlight, 6);
    assert.equal(w!.restarts, 2);
    assert.deepEqual(view.totals, {
      connections: 3,
      uids: 2,
      groups: 1,
      messagesInPerSec: 250,
      messagesOutPerSec: 500,
      inFlight: 6,
      queuedEvents: 0,
    });
    assert.deepEqual(history.points.at(-1), {
      at: 12_000,
      connections: 3,
      messagesInPerSec: 250,
      messagesOutPerSec: 500,
      inFlight: 6,
      queuedEvents: 0,
    });
  });

  it('starts a restarted process from 0, and keeps counting its faults across the restart', () => {
    const history = new ClusterHistory(10);
    history.add([gateway(100, 1000, 3)], 1000);
    history.add([gateway(100, 1200, 5)], 2000);
    const down = history.add([gateway(null, 0)], 3000);
    assert.equal(down.processes[0]!.state, 'restarting');
    assert.equal(down.counters.slowConsumers, 5);
    const back = history.add([gateway(101, 40, 1)], 4000);
    assert.equal(back.processes[0]!.messagesInPerSec, 0, 'no rate from a process seen once');
    assert.equal(back.counters.slowConsumers, 6, '5 of the old process, 1 of the new');
    assert.equal(history.add([gateway(101, 140, 1)], 5000).processes[0]!.messagesInPerSec, 100);
  });

  it('keeps the last counter value when a process does not answer a metrics request, without counting it twice', () => {
    const history = new ClusterHistory(10);
    history.add([gateway(100, 0, 2)], 1000);
    const missed = history.add([gateway(100, 0)], 2000);
    assert.equal(missed.processes[0]!.counters.slowConsumers, 2);
    assert.equal(history.add([gateway(100, 0, 2)], 3000).counters.slowConsumers, 2);
  });

  it('leaves out a counter no process has', () => {
    const view = new ClusterHistory(10).add([gateway(100, 0, 0), worker(0)], 1000);
    assert.equal(view.counters.handlerTimeouts, undefined);
    assert.equal(view.counters.internalErrors, 1);
    assert.equal(view.counters.slowConsumers, 0);
  });

  it('keeps only the last historySize points; a sample between ticks adds none', () => {
    const history = new ClusterHistory(3);
    for (let i = 0; i < 5; i++) history.add([gateway(100, i)], i * 1000);
    history.add([gateway(100, 9)], 4500, false);
    assert.deepEqual(
      history.points.map((p) => p.at),
      [2000, 3000, 4000],
    );
  });
});
