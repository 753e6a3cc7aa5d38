import { Registry } from 'prom-client';
import { collectProcessMetrics } from '../shared/process-metrics.ts';

/** The HTTP API's Prometheus metrics (`switchboard api --metrics-listen`): its process and Node.js metrics. */
export function apiMetrics(): Registry {
  const registry = new Registry();
  collectProcessMetrics(registry, 'api');
  return registry;
}
