import { Counter, Gauge, type Registry } from 'prom-client';

/** Makes a metric of `registry` whose value is read from the process's own state each time it is scraped. */
type ScrapedMetric = (name: string, help: string, read: () => number) => void;

/**
 * Counters and gauges read when scraped: hot paths bump plain numbers, and Prometheus objects are touched only
 * by a scrape.
 */
export function scrapedMetrics(registry: Registry): { counter: ScrapedMetric; gauge: ScrapedMetric } {
  return {
    counter: (name, help, read) =>
      void new Counter({
        name,
        help,
        registers: [registry],
        collect() {
          this.reset();
          this.inc(read());
        },
      }),
    gauge: (name, help, read) =>
      void new Gauge({
        name,
        help,
        registers: [registry],
        collect() {
          this.set(read());
        },
      }),
  };
}
