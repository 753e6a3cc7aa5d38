import { readdir } from 'node:fs/promises';
import type { Registry } from 'prom-client';
import type { Health } from '../shared/health.ts';
import type { HttpServer } from './http-server.ts';
import { readStaticFile, serveFile } from './static-files.ts';
import { PACKAGE_ROOT } from '../shared/package-root.ts';

/** The browser client library (`switchboard/client`), served to pages under the URL path /client/. */
const BROWSER_CLIENT_DIR = new URL('browser-client/', PACKAGE_ROOT);
const DEMO_DIR = new URL('demo/', PACKAGE_ROOT);

/** The demo page talks only to its own origin, over HTTP and WebSocket, and runs no inline code. */
const DEMO_PAGE_POLICY =
  "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; base-uri 'none'; frame-ancestors 'none'";

/**
 * Serves the browser client library's modules (browser-client/) under /client/, so a page loads them straight
 * from its gateway with no build step. Other origins may import them too (module scripts need CORS for that).
 */
export async function addClientLibraryRoutes(http: HttpServer): Promise<void> {
  for (const name of await filesIn(BROWSER_CLIENT_DIR, ['.js'])) {
    const file = await readStaticFile(new URL(name, BROWSER_CLIENT_DIR));
    http.get(`/client/${name}`, serveFile(file, { 'Access-Control-Allow-Origin': '*' }));
  }
}

/** Serves the demo chat: the page at / and its scripts and styles under /demo/. */
export async function addDemoRoutes(http: HttpServer): Promise<void> {
  const page = serveFile(await readStaticFile(new URL('index.html', DEMO_DIR)), {
    'Content-Security-Policy': DEMO_PAGE_POLICY,
  });
  http.get('/', page);
  http.get('/index.html', page);
  for (const name of await filesIn(DEMO_DIR, ['.js', '.css'])) {
    http.get(`/demo/${name}`, serveFile(await readStaticFile(new URL(name, DEMO_DIR))));
  }
}

/** Prometheus metrics of this gateway process at /metrics. */
export function addMetricsRoute(http: HttpServer, registry: Registry): void {
  http.get('/metrics', (_req, res) => {
    registry.metrics().then(
      (body) => res.writeHead(200, { 'Content-Type': registry.contentType }).end(body),
      (err: Error) => res.writeHead(500, { 'Content-Type': 'text/plain' }).end(`${err.message}\n`),
    );
  });
}

/** The orchestrator's probes on the public port too: `/livez` and `/readyz` (see Health). */
export function addHealthRoutes(http: HttpServer, health: Health): void {
  const answer = (req: Parameters<Health['answer']>[0], res: Parameters<Health['answer']>[1]) =>
    void health.answer(req, res);
  http.get('/livez', answer);
  http.get('/readyz', answer);
}

async function filesIn(dir: URL, extensions: string[]): Promise<string[]> {
  const names = await readdir(dir);
  return names.filter((name) => extensions.some((ext) => name.endsWith(ext))).sort();
}
