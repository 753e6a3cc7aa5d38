import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The business worker's Prometheus metrics (served with `--metrics-listen`). */
export class WorkerMetrics {
  readonly registry = new Registry();
  readonly events = new Counter({
    name: 'switchboard_worker_events_total',
    help: 'Client events handled, by event',
    labelNames: ['event'] as const,
    registers: [this.registry],
  });
  readonly handlerErrors = new Counter({
    name: 'switchboard_worker_handler_errors_total',
    help: 'Handlers that threw',
    labelNames: ['event'] as const,
    registers: [this.registry],
  });
  readonly slowHandlers = new Counter({
    name: 'switchboard_worker_slow_handlers_total',
    help: 'Handlers that ran longer than the slow-handler threshold',
    registers: [this.registry],
  });
  readonly handlerSeconds = new Histogram({
    name: 'switchboard_worker_handler_duration_seconds',
    help: 'Time from an event arriving to its handler finishing (awaits included)',
    labelNames: ['event'] as const,
    buckets: [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
    registers: [this.registry],
  });

  constructor(inFlight: () => number, gatewaysLinked: () => number) {
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
    collectDefaultMetrics({ register: this.registry, prefix: 'switchboard_worker_' });
  }
}
