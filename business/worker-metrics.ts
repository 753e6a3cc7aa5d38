import { Counter, Gauge, Registry } from 'prom-client';
import { collectProcessMetrics } from '../shared/process-metrics.ts';

export type EventKind = 'connect' | 'message' | 'close';
const EVENT_KINDS: readonly EventKind[] = ['connect', 'message', 'close'];

/** Upper bounds (seconds) of the handler duration histogram. */
const BUCKETS = [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5];

/** Running totals for one event kind: plain numbers, cheap to update once per event. */
class EventTotals {
  handled = 0;
  errors = 0;
  seconds = 0;
  /** Events per bucket (not cumulative); the last slot is above the largest bound. */
  readonly buckets = new Array<number>(BUCKETS.length + 1).fill(0);

  record(seconds: number): void {
    this.handled++;
    this.seconds += seconds;
    let i = 0;
    while (i < BUCKETS.length && seconds > BUCKETS[i]!) i++;
    this.buckets[i]!++;
  }
}

/**
 * The business worker's Prometheus metrics (served with `--metrics-listen`). Events are counted in plain
 * fields on the hot path and turned into metrics only when scraped: prom-client's labelled `inc` and
 * `observe` hash their labels on every call, which cost the worker about a tenth of its time per event.
 */
export class WorkerMetrics {
  readonly registry = new Registry();
  private readonly totals = Object.fromEntries(EVENT_KINDS.map((e) => [e, new EventTotals()])) as Record<
    EventKind,
    EventTotals
  >;
  private slowHandlers = 0;
  private handlerTimeouts = 0;
  private internalErrors = 0;

  /**
   * @param handlers the handlers running now: how many are past the handler timeout, and the oldest one's age
   *   (ms, 0 when none runs).
   */
  constructor(
    inFlight: () => number,
    gatewaysLinked: () => number,
    handlers: { overdue(): number; oldestAgeMs(): number } = { overdue: () => 0, oldestAgeMs: () => 0 },
  ) {
    const { totals } = this;
    const perEvent = (name: string, help: string, read: (t: EventTotals) => number) =>
      new Counter({
        name,
        help,
        labelNames: ['event'] as const,
        registers: [this.registry],
        collect() {
          this.reset();
          for (const event of EVENT_KINDS) if (totals[event].handled > 0) this.inc({ event }, read(totals[event]));
        },
      });
    perEvent('switchboard_worker_events_total', 'Client events handled, by event', (t) => t.handled);
    perEvent('switchboard_worker_handler_errors_total', 'Handlers that threw', (t) => t.errors);
    const metrics = this;
    new Counter({
      name: 'switchboard_worker_slow_handlers_total',
      help: 'Handlers that ran longer than the slow-handler threshold',
      registers: [this.registry],
      collect() {
        this.reset();
        this.inc(metrics.slowHandlers);
      },
    });
    new Counter({
      name: 'switchboard_worker_handler_timeouts_total',
      help: "Handlers still running past --handler-timeout: the worker went on with their clients' next events",
      registers: [this.registry],
      collect() {
        this.reset();
        this.inc(metrics.handlerTimeouts);
      },
    });
    new Gauge({
      name: 'switchboard_worker_handlers_overdue',
      help: 'Handlers past --handler-timeout that are still running (given up, not yet ended)',
      registers: [this.registry],
      collect() {
        this.set(handlers.overdue());
      },
    });
    new Gauge({
      name: 'switchboard_worker_oldest_event_seconds',
      help: 'How long the oldest running handler has run, timed-out ones included (0 when none runs)',
      registers: [this.registry],
      collect() {
        this.set(handlers.oldestAgeMs() / 1000);
      },
    });
    new Counter({
      name: 'switchboard_worker_internal_errors_total',
      help: "Exceptions of the worker's own code while handling a valid message (SB_ERR_INTERNAL, logged with a stack)",
      registers: [this.registry],
      collect() {
        this.reset();
        this.inc(metrics.internalErrors);
      },
    });
    this.registry.registerMetric(handlerDurations(totals) as never);
    new Gauge({
      name: 'switchboard_worker_events_in_flight',
      help: 'Events being handled now',
      registers: [this.registry],
      collect() {
        this.set(inFlight());
      },
    });
    new Gauge({
      name: 'switchboard_worker_gateways_linked',
      help: 'Gateways this worker has an open link to',
      registers: [this.registry],
      collect() {
        this.set(gatewaysLinked());
      },
    });
    collectProcessMetrics(this.registry, 'business');
  }

  /** One handled event: how long from its arrival to its handler finishing. */
  handled(event: EventKind, seconds: number): void {
    this.totals[event].record(seconds);
  }

  handlerError(event: EventKind): void {
    this.totals[event].errors++;
  }

  slowHandler(): void {
    this.slowHandlers++;
  }

  /** A handler ran past the handler timeout. */
  handlerTimeout(): void {
    this.handlerTimeouts++;
  }

  /** Our own code threw while handling a message from a gateway (logged by the link as SB_ERR_INTERNAL). */
  internalError(): void {
    this.internalErrors++;
  }
}

/** The handler duration histogram as a prom-client metric, read from the totals when scraped. */
function handlerDurations(totals: Record<EventKind, EventTotals>) {
  const name = 'switchboard_worker_handler_duration_seconds';
  const help = 'Time from an event arriving to its handler finishing (awaits included)';
  const get = () => {
    const values: { metricName: string; labels: Record<string, string | number>; value: number }[] = [];
    for (const event of EVENT_KINDS) {
      const t = totals[event];
      if (t.handled === 0) continue;
      let cumulative = 0;
      BUCKETS.forEach((le, i) => {
        cumulative += t.buckets[i]!;
        values.push({ metricName: `${name}_bucket`, labels: { le, event }, value: cumulative });
      });
      values.push({ metricName: `${name}_bucket`, labels: { le: '+Inf', event }, value: t.handled });
      values.push({ metricName: `${name}_sum`, labels: { event }, value: t.seconds });
      values.push({ metricName: `${name}_count`, labels: { event }, value: t.handled });
    }
    return { name, help, type: 'histogram', values, aggregator: 'sum' };
  };
  return { name, help, type: 'histogram', aggregator: 'sum', get, reset: () => {} };
}
