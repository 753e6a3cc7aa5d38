import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { ProcessChange, ProcessSample } from '../cli/supervisor.ts';
import { formatHostPort } from '../shared/address.ts';
import { ErrorCode, SwitchboardError } from '../shared/errors.ts';
import type { Logger } from '../shared/logger.ts';
import { PACKAGE_ROOT } from '../shared/package-root.ts';
import { ClusterHistory, WATCHED_METRICS, type ClusterPoint, type ClusterView } from './cluster-view.ts';
import { checkAccess, TOKEN_COOKIE } from './dashboard-access.ts';
import type { DashboardOptions } from './dashboard-options.ts';

/** What the dashboard needs of the supervisor: its processes' figures, and word of every change. */
export interface ClusterSource {
  sample(metrics: readonly string[]): Promise<ProcessSample[]>;
  watch(listener: (change: ProcessChange) => void): () => void;
}

/** One sample a second; the charts show the last ten minutes. */
export const SAMPLE_INTERVAL_MS = 1000;
export const HISTORY_SAMPLES = 600;
/** Pages watching at once; more get a 503 (each costs one open response and one JSON encoding a second). */
const MAX_WATCHERS = 64;
/** What a page may leave unread of its stream before it is cut off. */
const MAX_UNREAD_BYTES = 1 << 20;
/** After a process change, the view is sampled again this soon, so a restart shows at once. */
const CHANGE_RESAMPLE_MS = 50;

/** The page's files (dashboard/page/), by URL path: nothing else is served from the disk. */
const PAGE_FILES: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/dashboard.js': { file: 'dashboard.js', type: 'text/javascript; charset=utf-8' },
  '/charts.js': { file: 'charts.js', type: 'text/javascript; charset=utf-8' },
  '/dashboard.css': { file: 'dashboard.css', type: 'text/css; charset=utf-8' },
};
const PAGE_DIR = new URL('dashboard/page/', PACKAGE_ROOT);

/** No script, style or connection from anywhere but this server: the page works with no network. */
const SECURITY_HEADERS = {
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; " +
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
};

/** What the page gets first: the view now and the chart points so far. Then `update`s, one per sample. */
export interface DashboardHello {
  intervalMs: number;
  historySize: number;
  view: ClusterView | null;
  points: ClusterPoint[];
}

/**
 * The live dashboard of `switchboard start`: an HTTP server for the page (dashboard/page/), its data as JSON
 * (`GET /api/state`) and as a stream of server-sent events (`GET /api/events`: `hello`, then `update` each
 * second and at each process change). It samples the supervisor once a second whether or not a page watches,
 * so the charts have the last minutes when one is opened. Read-only: it has no buttons that change anything.
 */
export class DashboardServer {
  private readonly history = new ClusterHistory(HISTORY_SAMPLES);
  private readonly watchers = new Set<ServerResponse>();
  private readonly server: Server;
  private timer: NodeJS.Timeout | null = null;
  private resample: NodeJS.Timeout | null = null;
  private sampling: Promise<void> | null = null;
  private unwatch: (() => void) | null = null;
  /** The address it listens on (the port chosen, for port 0). */
  address: { host: string; port: number };

  constructor(
    private readonly source: ClusterSource,
    private readonly options: DashboardOptions,
    private readonly log: Logger,
  ) {
    this.address = options.listen;
    this.server = createServer((req, res) => this.handle(req, res));
  }

  /** The page's URL. */
  get url(): string {
    return `http://${formatHostPort(this.address)}/`;
  }

  /**
   * Listens, then samples. Rejects with SB_ERR_DASHBOARD_LISTEN when the address cannot be had; the caller
   * decides whether that is fatal (an address given) or worth a warning (the default one).
   */
  async start(): Promise<void> {
    const { host, port } = this.options.listen;
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', (err: NodeJS.ErrnoException) =>
        reject(
          new SwitchboardError(
            ErrorCode.DashboardListen,
            `dashboard: cannot listen on ${formatHostPort(this.options.listen)} (${err.code ?? err.message}): ` +
              'pass --dashboard HOST:PORT with a free port of this host, or --no-dashboard',
            { cause: err },
          ),
        ),
      );
      this.server.listen({ host, port, exclusive: true }, () => resolve());
    });
    this.server.on('error', (err) => this.log.error(`dashboard: ${err.message}`, { error: err }));
    const bound = this.server.address();
    if (bound && typeof bound === 'object') this.address = { host, port: bound.port };
    this.unwatch = this.source.watch((change) => this.onChange(change));
    this.timer = setInterval(() => void this.sample(true), SAMPLE_INTERVAL_MS);
    this.timer.unref();
    void this.sample(true);
  }

  /** Ends every page's stream and stops listening. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    if (this.resample) clearTimeout(this.resample);
    this.unwatch?.();
    for (const res of this.watchers) res.end();
    this.watchers.clear();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private onChange(change: ProcessChange): void {
    this.history.change(change);
    if (this.resample) return;
    this.resample = setTimeout(() => {
      this.resample = null;
      void this.sample(false);
    }, CHANGE_RESAMPLE_MS);
    this.resample.unref();
  }

  /** One sample; `point`: a regular one, which adds a chart point. A sample never overlaps the previous. */
  private sample(point: boolean): Promise<void> {
    if (this.sampling) {
      // A change during a sample: take another once it ends, so the change is not missed.
      if (!point) void this.sampling.then(() => this.sample(false));
      return this.sampling;
    }
    this.sampling = this.source
      .sample(WATCHED_METRICS)
      .then((samples) => {
        const view = this.history.add(samples, Date.now(), point);
        const latest = point ? this.history.points.at(-1)! : null;
        this.broadcast('update', { view, point: latest });
      })
      .catch((err: Error) => this.log.warn(`dashboard: sampling failed: ${err.message}`))
      .finally(() => (this.sampling = null));
    return this.sampling;
  }

  private broadcast(event: string, data: unknown): void {
    if (this.watchers.size === 0) return;
    const frame = `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
    for (const res of this.watchers) {
      // A page that stopped reading is cut off (its EventSource reconnects) rather than buffered for without end.
      if (res.writableLength > MAX_UNREAD_BYTES) res.destroy();
      else res.write(frame);
    }
  }

  private hello(): DashboardHello {
    return {
      intervalMs: SAMPLE_INTERVAL_MS,
      historySize: HISTORY_SAMPLES,
      view: this.history.view,
      points: this.history.points,
    };
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://dashboard');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return void res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain' }).end('GET only\n');
    }
    const access = checkAccess(req, url, this.options.token);
    if (!access.allowed) {
      return void res
        .writeHead(access.status, { 'Content-Type': 'text/plain', ...SECURITY_HEADERS })
        .end(`${access.reason}\n`);
    }
    if (access.setCookie) {
      // The token leaves the address bar (and the history) for a cookie only this server's requests carry.
      url.searchParams.delete('token');
      const cookie = `${TOKEN_COOKIE}=${encodeURIComponent(this.options.token!)}; HttpOnly; SameSite=Strict; Path=/`;
      return void res
        .writeHead(303, { Location: url.pathname + url.search, 'Set-Cookie': cookie, ...SECURITY_HEADERS })
        .end();
    }
    if (url.pathname === '/api/state') {
      const body = JSON.stringify(this.hello());
      return void res.writeHead(200, { 'Content-Type': 'application/json', ...SECURITY_HEADERS }).end(body);
    }
    if (url.pathname === '/api/events') return this.stream(res);
    const page = PAGE_FILES[url.pathname];
    if (!page) return void res.writeHead(404, { 'Content-Type': 'text/plain', ...SECURITY_HEADERS }).end('not found\n');
    readFile(new URL(page.file, PAGE_DIR)).then(
      (body) =>
        res
          .writeHead(200, { 'Content-Type': page.type, ...SECURITY_HEADERS })
          .end(req.method === 'HEAD' ? undefined : body),
      (err: Error) => {
        this.log.error(`dashboard: cannot read its page: ${err.message}`, { error: err });
        res
          .writeHead(500, { 'Content-Type': 'text/plain' })
          .end('the dashboard page is missing from this installation\n');
      },
    );
  }

  private stream(res: ServerResponse): void {
    if (this.watchers.size >= MAX_WATCHERS) {
      return void res
        .writeHead(503, { 'Content-Type': 'text/plain', 'Retry-After': '10' })
        .end('too many dashboards open\n');
    }
    res.writeHead(200, { 'Content-Type': 'text/event-stream', Connection: 'keep-alive', ...SECURITY_HEADERS });
    res.write(`retry: 2000\nevent: hello\ndata: ${JSON.stringify(this.hello())}\n\n`);
    this.watchers.add(res);
    res.on('close', () => this.watchers.delete(res));
  }
}

/**
 * Starts the dashboard of `switchboard start` and announces its URL in one log line. When the default address
 * is taken (another `start` on this machine) it warns and returns null: `start` goes on without it. An address
 * given with `--dashboard` that cannot be had throws SB_ERR_DASHBOARD_LISTEN, before any process is started.
 */
export async function startDashboard(
  source: ClusterSource,
  options: DashboardOptions,
  log: Logger,
): Promise<DashboardServer | null> {
  const dashboard = new DashboardServer(source, options, log);
  try {
    await dashboard.start();
  } catch (err) {
    if (options.explicit) throw err;
    log.warn(
      `dashboard not started: ${formatHostPort(options.listen)} is taken (another switchboard start?); ` +
        'pass --dashboard HOST:PORT for another address, or --no-dashboard',
      { code: ErrorCode.DashboardListen },
    );
    return null;
  }
  const how = options.token ? ' (open it once as /?token=<--dashboard-token>)' : ' (loopback only)';
  log.info(`dashboard on ${dashboard.url}${how}`, { url: dashboard.url });
  return dashboard;
}
