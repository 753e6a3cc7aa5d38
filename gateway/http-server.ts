import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { HostPort } from '../shared/address.ts';

/** Answers one plain HTTP request (GET or HEAD; Node leaves the body out of HEAD answers by itself). */
export type RouteHandler = (req: IncomingMessage, res: ServerResponse) => void;

/** Takes over the socket of a request asking for a WebSocket. */
export type UpgradeHandler = (req: IncomingMessage, socket: Duplex, head: Buffer) => void;

/** Certificate and key (PEM) of the public port. */
export interface PublicTls {
  cert: Buffer;
  key: Buffer;
}

/** A client that has not sent its request headers within this time is cut off (slow-header attacks). */
const HEADERS_TIMEOUT_MS = 10_000;
/** A whole plain request (the gateway takes no bodies) must be in within this time. */
const REQUEST_TIMEOUT_MS = 15_000;
/**
 * Connections the kernel may hold for the public port before the gateway accepts them (capped by
 * net.core.somaxconn). Node's default, 511, overflows when thousands of clients reconnect at once after a
 * gateway restart: the excess wait for SYN retries, seconds later.
 */
const LISTEN_BACKLOG = 4096;

/**
 * The gateway's public port: one HTTP server whose upgrade requests become client WebSockets and whose plain
 * requests go to a table of routes (the client library, the demo page, and whatever else is added with `get`).
 * Unknown paths get 404 and other methods 405, as short text that says what this port is for.
 */
export class HttpServer {
  private readonly server: Server | HttpsServer;
  private readonly routes = new Map<string, RouteHandler>();

  /** With `tls`, the port speaks HTTPS and `wss://`. */
  constructor(upgrade: UpgradeHandler, tls?: PublicTls) {
    const options = { headersTimeout: HEADERS_TIMEOUT_MS, requestTimeout: REQUEST_TIMEOUT_MS };
    const onRequest = (req: IncomingMessage, res: ServerResponse) => this.request(req, res);
    this.server = tls
      ? createHttpsServer({ ...options, ...tls, minVersion: 'TLSv1.2' }, onRequest)
      : createServer(options, onRequest);
    this.server.on('upgrade', upgrade);
  }

  /** Swaps the certificate for new connections (open ones keep theirs). */
  setTls(tls: PublicTls): void {
    if (!('setSecureContext' in this.server)) throw new Error('this port was started without TLS');
    this.server.setSecureContext({ ...tls, minVersion: 'TLSv1.2' });
  }

  /** Answers GET and HEAD requests for exactly `path` (the query string is ignored). */
  get(path: string, handler: RouteHandler): void {
    this.routes.set(path, handler);
  }

  /** Paths with a route, in the order they were added. */
  get paths(): string[] {
    return [...this.routes.keys()];
  }

  /** Starts listening; resolves with the bound address (port 0 picks a free port). */
  async listen(at: HostPort): Promise<HostPort> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen({ port: at.port, host: at.host, backlog: LISTEN_BACKLOG }, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    return { host: at.host, port: (this.server.address() as AddressInfo).port };
  }

  /** Stops accepting connections; the open ones stay (a drain closes them itself). */
  stopAccepting(): void {
    if (this.server.listening) this.server.close();
  }

  /**
   * Stops accepting connections and resolves once every connection is gone, WebSockets included: close those
   * first. Idle keep-alive connections are closed here.
   */
  close(): Promise<void> {
    return new Promise((resolve) => {
      if (!this.server.listening) {
        this.server.closeAllConnections();
        return resolve();
      }
      this.server.close(() => resolve());
      this.server.closeIdleConnections();
    });
  }

  private request(req: IncomingMessage, res: ServerResponse): void {
    // The path as sent, without the query (no URL parsing: a request line like '//[' must not throw here).
    const path = (req.url ?? '/').split('?')[0]!;
    const handler = this.routes.get(path);
    if (!handler) {
      return text(
        res,
        404,
        `${path} is not here. This is a Switchboard gateway: connect a WebSocket client to this address` +
          (this.routes.has('/') ? ', or open / for the demo chat.\n' : '.\n'),
      );
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      return text(res, 405, `${req.method} is not allowed on ${path}: use GET.\n`);
    }
    handler(req, res);
  }
}

function text(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, {
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
    'X-Content-Type-Options': 'nosniff',
  });
  res.end(body);
}
