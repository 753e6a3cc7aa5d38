import { Registry } from 'prom-client';
import { collectProcessMetrics } from '../shared/process-metrics.ts';
import { scrapedMetrics } from '../shared/scraped-metrics.ts';
import type { RegisterServer } from './register-server.ts';

/** The register's Prometheus metrics (`switchboard register --metrics-listen`), read when scraped. */
export function registerMetrics(server: RegisterServer): Registry {
  const registry = new Registry();
  const { gauge } = scrapedMetrics(registry);
  gauge('switchboard_register_gateways', 'Gateways announced now', () => server.gatewayAddresses.length);
  gauge(
    'switchboard_register_subscribers',
    'Workers and clients subscribed to the gateway list',
    () => server.subscriberCount,
  );
  gauge(
    'switchboard_register_history_streams',
    'Uids and groups with kept messages in the embedded history (--history memory); expired ones until swept',
    () => server.history.streamCount,
  );
  collectProcessMetrics(registry, 'register');
  return registry;
}
