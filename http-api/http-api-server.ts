import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { listenOn } from '../shared/listen.ts';
import { GatewayClient } from '../gateway-api/gateway-client.ts';
import { formatHostPort, type HostPort } from '../shared/address.ts';
import { ErrorCode, SwitchboardError } from '../shared/errors.ts';
import { parseHttpApiOptions, type HttpApiOptions, type ResolvedHttpApiOptions } from './http-api-options.ts';
import { CALLS, callNamed, matchGet, type CallName, type Success } from './routes.ts';

/** HTTP status for each error code a request can end with. */
const STATUS: Partial<Record<string, number>> = {
  [ErrorCode.Unauthorized]: 401,
  [ErrorCode.BadJson]: 400,
  [ErrorCode.InvalidArgument]: 400,
  [ErrorCode.InvalidClientId]: 400,
  [ErrorCode.NotFound]: 404,
  [ErrorCode.BodyTooLarge]: 413,
  [ErrorCode.NoGateway]: 503,
  [ErrorCode.GatewayUnavailable]: 503,
  [ErrorCode.HistoryUnavailable]: 503,
  [ErrorCode.QueryTimeout]: 504,
};

type Outcome = Success | { ok: false; error: { code: string; message: string } };

/**
 * The push and query calls as JSON over HTTP, for programs in any language. Built on a GatewayClient:
 * `POST /v1/<call>` with named parameters, a few `GET` shortcuts, `POST /v1/batch`, bearer-token auth,
 * a body limit, and every error as JSON `{ ok: false, error: { code, message } }` with a fitting status.
 */
export class HttpApiServer {
  readonly options: ResolvedHttpApiOptions;
  readonly client: GatewayClient;
  private readonly server: Server;
  private readonly token: Buffer | null;

  constructor(options: HttpApiOptions = {}) {
    this.options = parseHttpApiOptions(options);
    this.token = this.options.token ? Buffer.from(`Bearer ${this.options.token}`) : null;
    this.client = new GatewayClient(this.options.client);
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((err) => this.reply(res, failure(err)));
    });
  }

  async start(): Promise<HostPort> {
    const bound = await listenOn(this.server, this.options.listen);
    if (!this.token)
      this.options.log.warn('HTTP API without a token: anyone who can reach it can push to every client');
    this.options.log.info(`HTTP API listening on http://${formatHostPort(bound)}`, { listen: formatHostPort(bound) });
    return bound;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
    await this.client.close();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!this.authorized(req)) {
      res.setHeader('WWW-Authenticate', 'Bearer');
      return this.reply(
        res,
        fail(ErrorCode.Unauthorized, 'missing or wrong token: send "Authorization: Bearer TOKEN"'),
      );
    }
    // The path as sent, without query string or trailing slashes (no URL parsing: '//x' is not a host here).
    const path = (req.url ?? '/').split('?')[0]!.replace(/\/+$/, '');
    if (req.method === 'GET') {
      if (path === '/v1/health') return this.health(res);
      const route = matchGet(path);
      if (!route) return this.reply(res, notFound(req.method, path));
      return this.reply(res, await this.run(route.call, route.params));
    }
    if (req.method !== 'POST' || !path.startsWith('/v1/')) return this.reply(res, notFound(req.method, path));
    const name = path.slice('/v1/'.length);
    const call = name === 'batch' ? 'batch' : callNamed(name);
    if (!call) return this.reply(res, notFound(req.method, path));
    const body = await this.readJson(req);
    if (call !== 'batch') return this.reply(res, await this.run(call, body));
    const calls = body.calls;
    if (!Array.isArray(calls) || calls.length > this.options.maxBatch) {
      throw new SwitchboardError(
        ErrorCode.InvalidArgument,
        `batch needs "calls": an array of at most ${this.options.maxBatch} objects like {"call":"send-to-uid","uid":"42","data":"hi"}`,
      );
    }
    // One after another, so a bind followed by a send in the same batch reaches the new member.
    const results: Outcome[] = [];
    for (const item of calls) {
      const named = isObject(item) && typeof item.call === 'string' ? callNamed(item.call) : undefined;
      results.push(
        named && isObject(item)
          ? await this.run(named, item)
          : fail(ErrorCode.NotFound, `batch item ${results.length}: "call" must name an API call, e.g. "send-to-uid"`),
      );
    }
    this.reply(res, { ok: true, result: results });
  }

  /** Runs one call with parameters taken by name from `params`; errors become an outcome, not a throw. */
  private async run(call: CallName, params: Record<string, unknown>): Promise<Outcome> {
    try {
      return await CALLS[call].invoke(this.client, call, params);
    } catch (err) {
      return failure(err);
    }
  }

  private async health(res: ServerResponse): Promise<void> {
    try {
      await this.client.ready();
      this.reply(res, { ok: true });
    } catch (err) {
      this.reply(res, failure(err));
    }
  }

  private authorized(req: IncomingMessage): boolean {
    if (!this.token) return true;
    const given = Buffer.from(req.headers.authorization ?? '');
    return given.length === this.token.length && timingSafeEqual(given, this.token);
  }

  /** Reads the body (at most maxBody bytes) and parses it as a JSON object; an empty body is `{}`. */
  private async readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
    const limit = this.options.maxBody;
    const tooLarge = () =>
      new SwitchboardError(ErrorCode.BodyTooLarge, `request body is larger than ${limit} bytes (--max-body)`);
    if (Number(req.headers['content-length'] ?? 0) > limit) throw tooLarge();
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > limit) throw tooLarge();
      chunks.push(chunk);
    }
    if (size === 0) return {};
    let body: unknown;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch (cause) {
      throw new SwitchboardError(ErrorCode.BadJson, `request body is not valid JSON: ${(cause as Error).message}`);
    }
    if (!isObject(body)) throw new SwitchboardError(ErrorCode.BadJson, 'request body must be a JSON object');
    return body;
  }

  private reply(res: ServerResponse, outcome: Outcome): void {
    if (res.headersSent) return;
    const status = outcome.ok ? 200 : (STATUS[outcome.error.code] ?? 500);
    if (status >= 500) this.options.log.warn(`HTTP API call failed: ${outcome.ok ? '' : outcome.error.message}`);
    const body = JSON.stringify(outcome);
    res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
    // A body we refused to read is not drained: close instead of keeping the connection.
    if (status === 413) res.once('finish', () => res.socket?.destroy());
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function fail(code: string, message: string): Outcome {
  return { ok: false, error: { code, message } };
}

function notFound(method: string | undefined, path: string): Outcome {
  return fail(ErrorCode.NotFound, `no endpoint ${method} ${path}: see "HTTP push API" in the README`);
}

function failure(err: unknown): Outcome {
  if (err instanceof SwitchboardError) return fail(err.code, err.message);
  return fail(ErrorCode.Internal, err instanceof Error ? err.message : String(err));
}
