import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ErrorCode, SwitchboardError } from '../shared/errors.ts';
import type { ClientRequest } from '../shared/commands.ts';
import type { Context } from './context.ts';

/** Who is running the handlers; passed to onWorkerStart and onWorkerStop. */
export interface WorkerInfo {
  name: string;
  pid: number;
  /**
   * This worker's index in its group, from 0 (GatewayWorker's `$worker->id`): copy i of `business --count N`
   * or of `start --workers N`; 0 for a worker run alone. A replaced worker (reload, crash) keeps the index.
   * @example
   * export function onWorkerStart(worker: WorkerInfo) {
   *   if (worker.id === 0) setInterval(cleanUp, 60_000); // one timer for the whole group
   * }
   */
  id: number;
  /** The number of workers in the group (`$worker->count`): N of `--count N` / `--workers N`; 1 alone. */
  count: number;
}

/**
 * What onWebSocketConnect gets: the WebSocket upgrade request (GatewayWorker's `$data['get']`, `['server']`,
 * `['cookie']`).
 */
export interface WebSocketConnectData extends ClientRequest {
  /** The Cookie header parsed, `{ name: value }`. */
  cookies: Record<string, string>;
}

/**
 * The contract of `business/events.ts`: export any of these (all may be async, all are optional).
 * For one client, a handler finishes (awaits included) before the next event of that client starts.
 */
export interface EventHandlers {
  /** Before the worker takes any event: open database pools, start timers. */
  onWorkerStart?(worker: WorkerInfo): unknown;
  /** A client connected; `ctx.request` has the url, query, headers and address. Close it here to refuse it. */
  onConnect?(clientId: string, ctx: Context): unknown;
  /**
   * Right after onConnect (in the same event, before the client's first message), with the upgrade request:
   * query, headers, parsed cookies; where GatewayWorker apps check a token and close the client. Not called
   * when onConnect already closed the client.
   */
  onWebSocketConnect?(clientId: string, data: WebSocketConnectData, ctx: Context): unknown;
  /** A message from a client: a string for text frames, a Buffer for binary frames. */
  onMessage?(clientId: string, data: string | Buffer, ctx: Context): unknown;
  /** The client is gone; its session and uid are still readable in `ctx`. */
  onClose?(clientId: string, ctx: Context): unknown;
  /** The worker is stopping. */
  onWorkerStop?(worker: WorkerInfo): unknown;
}

/** Every handler an events module may export. */
export const HANDLER_NAMES = [
  'onWorkerStart',
  'onConnect',
  'onWebSocketConnect',
  'onMessage',
  'onClose',
  'onWorkerStop',
] as const;

/** Levenshtein distance, for "did you mean". Names are short. */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length]!;
}

/** The handler name `key` is probably a misspelling of, or undefined when it is close to none. */
export function closestHandler(key: string): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const handler of HANDLER_NAMES) {
    const d = key.toLowerCase() === handler.toLowerCase() ? 0 : distance(key, handler);
    if (d < bestDistance) [best, bestDistance] = [handler, d];
  }
  return best;
}

/** An export name that reads like a handler: `on` then a capital (onMesage, onclose, OnConnect are caught too). */
const looksLikeHandler = (key: string) => /^on[A-Z_]/.test(key) || closestHandler(key) !== undefined;

/** Names a module namespace may carry besides the module's own exports (`default`, CommonJS interop). */
const MODULE_KEYS: ReadonlySet<string> = new Set(['default', '__esModule', 'module.exports']);

/**
 * Checks the names a module exports. A name that reads like a handler but is none (`onMesage`, `onclose`,
 * `onWebsocketConnect`) is an error: its events would be dropped silently. Any other export (a helper, a
 * constant) is reported through `warn` and otherwise ignored.
 */
export function checkExportNames(
  source: string,
  keys: Iterable<string>,
  warn: (message: string) => void = () => {},
): void {
  const known: ReadonlySet<string> = new Set(HANDLER_NAMES);
  for (const key of keys) {
    if (known.has(key) || MODULE_KEYS.has(key)) continue;
    const hint = closestHandler(key);
    const message = `${source}: ${key} is not a handler${hint ? `: did you mean ${hint}?` : ''} (handlers: ${HANDLER_NAMES.join(', ')})`;
    if (looksLikeHandler(key)) throw new SwitchboardError(ErrorCode.UnknownHandler, message);
    warn(`${message}; ignored`);
  }
}

/**
 * Imports a module; a TypeScript one that Node cannot load by itself (the installed package runs as plain
 * JavaScript) is loaded again with tsx's loader, installed for this process the first time it is needed.
 */
async function importModule(url: string): Promise<Record<string, unknown>> {
  try {
    return (await import(url)) as Record<string, unknown>;
  } catch (err) {
    if ((err as { code?: unknown }).code !== 'ERR_UNKNOWN_FILE_EXTENSION') throw err;
    const { register } = await import('tsx/esm/api');
    register();
    // A new URL: the failed first attempt stays cached under the old one.
    return (await import(`${url}?typescript`)) as Record<string, unknown>;
  }
}

/**
 * Imports an events module (JavaScript, or TypeScript through tsx) and checks its exports: SB_ERR_EVENTS_MODULE
 * when it cannot load or a handler is not a function, SB_ERR_UNKNOWN_HANDLER for a misspelt handler name
 * (checkExportNames); `warn` hears of the other exports that are not handlers.
 */
export async function loadEventHandlers(file: string, warn?: (message: string) => void): Promise<EventHandlers> {
  const path = resolve(file);
  let mod: Record<string, unknown>;
  try {
    mod = await importModule(pathToFileURL(path).href);
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    // In a package without "type": "module", a .ts file is CommonJS and cannot import this ESM package.
    const hint = /require\(\)|ES Module/.test(reason)
      ? ' (events modules are ES modules: add "type": "module" to your package.json, or name the file .mts)'
      : '';
    throw new SwitchboardError(ErrorCode.EventsModule, `cannot load the events module ${path}: ${reason}${hint}`, {
      cause,
    });
  }
  // `export default { onMessage … }` is accepted as well as named exports.
  const source = typeof mod.default === 'object' && mod.default !== null ? { ...(mod.default as object), ...mod } : mod;
  checkExportNames(path, Object.keys(source), warn);
  const handlers: Record<string, unknown> = {};
  for (const key of HANDLER_NAMES) {
    const value = (source as Record<string, unknown>)[key];
    if (value === undefined) continue;
    if (typeof value !== 'function') {
      throw new SwitchboardError(ErrorCode.EventsModule, `${path}: export ${key} must be a function`);
    }
    handlers[key] = value;
  }
  return handlers as EventHandlers;
}
