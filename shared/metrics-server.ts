import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';
import { formatHostPort, type HostPort } from './address.ts';
import type { Health } from './health.ts';
import type { Logger } from './logger.ts';

/**
 * Serves `GET /metrics` (Prometheus text format) from `registry` on its own port, and with `health` the
 * orchestrator's probes `GET /livez` and `GET /readyz` (see Health).
 */
export function serveMetrics(registry: Registry, listen: HostPort, log: Logger, health?: Health): Server {
  const server = createServer((req, res) => {
    if ((req.method === 'GET' || req.method === 'HEAD') && health?.answer(req, res)) return;
    if (req.method !== 'GET' || !req.url?.startsWith('/metrics')) {
      const more = health ? ', /livez, /readyz' : '';
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end(`only GET /metrics${more} here\n`);
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { 'Content-Type': registry.contentType }).end(text),
      (err: Error) => res.writeHead(500, { 'Content-Type': 'text/plain' }).end(`${err.message}\n`),
    );
  });
  // The port may still be held by the process this one replaces (a reload): keep trying until it is free.
  // One 'listening' handler for all attempts: listen(options, callback) would add one per attempt, all of
  // which fire (and log) when the port frees at last.
  let warned = false;
  server.once('listening', () => {
    server.unref();
    log.info(`metrics on http://${formatHostPort(listen)}/metrics`);
  });
  const bind = (): void => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EADDRINUSE') return log.error(`metrics server: ${err.message}`, { error: err });
      if (!warned) log.warn(`metrics port ${formatHostPort(listen)} is busy; retrying until it is free`);
      warned = true;
      setTimeout(bind, 500).unref();
    });
    server.listen({ port: listen.port, host: listen.host, exclusive: true });
  };
  bind();
  return server;
}
