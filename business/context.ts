import { AsyncLocalStorage } from 'node:async_hooks';
import type { ClientRequest, SessionData } from '../shared/commands.ts';
import type { GatewayDirectory } from '../gateway-api/gateway-directory.ts';

/** What a handler knows about the event it is handling. */
export interface Context {
  /** The client the event is about. */
  readonly clientId: string;
  readonly event: 'connect' | 'message' | 'close';
  /**
   * The client's session: change it freely; after the handler returns, a changed session is written back to
   * the gateway before the client's next event is handled, so the next handler sees it.
   */
  session: SessionData;
  /** The uid bound to the client, or null. Kept up to date by Gateway.bindUid/unbindUid on this client. */
  uid: string | null;
  /** The HTTP upgrade request: url, query, headers, ip, port. Only in onConnect and onWebSocketConnect. */
  readonly request?: ClientRequest;
  /**
   * The client's address as its gateway sees it, in every event (GatewayWorker's `$_SERVER['REMOTE_ADDR']`).
   * Behind a proxy, read X-Forwarded-For from `ctx.request.headers` in onConnect.
   */
  readonly ip: string;
  /** The client's remote port (`$_SERVER['REMOTE_PORT']`). */
  readonly port: number;
  /** The client's route key (Gateway.setRouteKey), or null when it is routed per client. */
  routeKey: string | null;
  /** Inner address of the gateway that holds the client. */
  readonly gateway: string;
}

/** The event being handled, kept across awaits and timers by AsyncLocalStorage. */
export interface EventScope {
  ctx: Context;
  /** The session as last written back (or received); the handler's changes are measured against it. */
  baseline: string;
  /** A handler closed or destroyed this client: onWebSocketConnect is not called after such an onConnect. */
  closed?: boolean;
  /**
   * The handler ran past `--handler-timeout`: the worker went on without it, and the Gateway calls it makes from
   * now on throw SB_ERR_HANDLER_TIMEOUT, so nothing it does later reaches a gateway.
   */
  timedOut?: boolean;
}

/** JSON text of a session, to tell whether a handler changed it. */
export function sessionSnapshot(session: SessionData): string {
  // Most sessions stay empty; this runs twice per event.
  for (const _ in session) return JSON.stringify(session);
  return '{}';
}

interface Runtime {
  events: AsyncLocalStorage<EventScope>;
  /** The running worker's gateways; null outside a worker. */
  directory: GatewayDirectory | null;
}

// Kept on globalThis so that two copies of this module (an app importing 'switchboard' from another path)
// still share one worker runtime.
const KEY = Symbol.for('switchboard.worker-runtime');
const holder = globalThis as unknown as Record<symbol, Runtime | undefined>;
export const runtime: Runtime = (holder[KEY] ??= { events: new AsyncLocalStorage(), directory: null });

/** The event being handled right now (also inside its awaits and timers), or undefined. */
export function currentScope(): EventScope | undefined {
  return runtime.events.getStore();
}
