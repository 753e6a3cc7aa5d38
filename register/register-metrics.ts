import { Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { RegisterServer } from './register-server.ts';

/** The register's Prometheus metrics (`switchboard register --metrics-listen`), read when scraped. */
export function registerMetrics(server: RegisterServer): Registry {
  const registry = new Registry();
  const gauge = (name: string, help: string, read: () => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(read());
      },
    });
  gauge('switchboard_register_gateways', 'Gateways announced now', () => server.gatewayAddresses.length);
  gauge(
    'switchboard_register_subscribers',
    'Workers and clients subscribed to the gateway list',
    () => server.subscriberCount,
  );
  collectDefaultMetrics({ register: registry, prefix: 'switchboard_register_' });
  return registry;
}
