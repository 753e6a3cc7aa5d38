import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ErrorCode, SwitchboardError } from '../shared/errors.ts';
import type { Context } from './context.ts';

/** Who is running the handlers; passed to onWorkerStart and onWorkerStop. */
export interface WorkerInfo {
  name: string;
  pid: number;
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
  /** A message from a client: a string for text frames, a Buffer for binary frames. */
  onMessage?(clientId: string, data: string | Buffer, ctx: Context): unknown;
  /** The client is gone; its session and uid are still readable in `ctx`. */
  onClose?(clientId: string, ctx: Context): unknown;
  /** The worker is stopping. */
  onWorkerStop?(worker: WorkerInfo): unknown;
}

const HANDLER_NAMES = ['onWorkerStart', 'onConnect', 'onMessage', 'onClose', 'onWorkerStop'] as const;

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

/** Imports an events module (JavaScript, or TypeScript through tsx) and checks its exports. */
export async function loadEventHandlers(file: string): Promise<EventHandlers> {
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
