import { Counter, collectDefaultMetrics, type Registry } from 'prom-client';

/** What a process is, as the `role` label of its process and Node.js metrics: its `switchboard` command. */
export type MetricsRole = 'register' | 'gateway' | 'business' | 'api';

/**
 * Adds prom-client's process and Node.js metrics to `registry` under their standard names
 * (`process_cpu_seconds_total`, `process_resident_memory_bytes`, `nodejs_eventloop_lag_seconds` …), so stock
 * Node.js dashboards work, each labelled with `role`. Switchboard's own metrics carry the role in their name
 * (`switchboard_gateway_…`) and no such label.
 *
 * prom-client serves three gauges under a counter's `_total` suffix (`nodejs_active_handles_total`,
 * `nodejs_active_requests_total`, `nodejs_active_resources_total`), which `promtool check metrics` rejects.
 * Dashboards query those names, so they keep them and are typed `untyped` (what the exposition format has for a
 * value whose type it does not promise): the values and names stay, and the page lints clean.
 */
export function collectProcessMetrics(registry: Registry, role: MetricsRole): void {
  const before = new Set(registry.getMetricsAsArray().map((m) => m.name));
  collectDefaultMetrics({ register: registry, labels: { role } });
  for (const { name, help, aggregator } of registry.getMetricsAsArray()) {
    const metric = registry.getSingleMetric(name);
    if (before.has(name) || !name.endsWith('_total') || !metric || metric instanceof Counter) continue;
    registry.removeSingleMetric(name);
    registry.registerMetric({
      name,
      help,
      type: 'untyped',
      aggregator,
      get: async () => ({ ...(await metric.get()), type: 'untyped' }),
      reset: () => metric.reset(),
    } as never);
  }
}
