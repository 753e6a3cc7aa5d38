import { hostname } from 'node:os';
import { parseHostPortList, type HostPort } from '../shared/address.ts';
import { ErrorCode, SwitchboardError } from '../shared/errors.ts';
import type { LinkOptions } from '../shared/link.ts';
import { createLogger, type Logger } from '../shared/logger.ts';
import {
  checkInteger,
  DEFAULT_REGISTER_ADDRESS,
  linkOptions,
  resolveSecret,
  type LinkSettings,
} from '../shared/options.ts';
import {
  parseGatewayApiOptions,
  parseHistoryOptions,
  type ResolvedHistoryOptions,
  type GatewayApiOptions,
  type ResolvedGatewayApiOptions,
} from '../gateway-api/gateway-api-options.ts';
import type { EventHandlers } from './event-handlers.ts';

/** Besides the link settings and the Gateway API's own options (queryTimeout, routing): */
export interface BusinessWorkerOptions extends LinkSettings, GatewayApiOptions {
  /** The handlers: a module path (`.ts` or `.js`) or the handler functions themselves. @default 'business/events.ts' */
  events?: string | EventHandlers;
  /** Register addresses, one or many. @default ['127.0.0.1:1236'] */
  register?: string | readonly string[];
  /** Shared secret; required unless every register address is loopback. @default SWITCHBOARD_SECRET */
  secret?: string;
  /** How the worker names itself in other processes' logs. @default 'PID@HOSTNAME' */
  name?: string;
  /** A handler running longer than this many ms is logged as slow, with the client id and event. @default 1000 */
  slowHandlerMs?: number;
  /**
   * A handler still running after this many ms is timed out: logged with the client id, event and age while it
   * runs, counted (`switchboard_worker_handler_timeouts_total`), and the client's next event goes ahead. The
   * handler itself cannot be stopped; the Gateway calls it makes afterwards throw SB_ERR_HANDLER_TIMEOUT. A drain
   * (reload, SIGTERM) waits for a hung handler this long at most. 0: no timeout.
   * @default 10000
   */
  handlerTimeoutMs?: number;
  /** This worker's index in its group, `worker.id` in onWorkerStart (the CLI sets it per copy). @default 0 */
  id?: number;
  /** The size of the worker's group, `worker.count` in onWorkerStart. @default 1 */
  count?: number;
  log?: Logger;
}

export interface ResolvedWorkerOptions extends ResolvedGatewayApiOptions, ResolvedHistoryOptions {
  events: string | EventHandlers;
  registers: HostPort[];
  name: string;
  slowHandlerMs: number;
  handlerTimeoutMs: number;
  id: number;
  count: number;
  link: LinkOptions;
  log: Logger;
}

export const DEFAULT_EVENTS_FILE = 'business/events.ts';
export const DEFAULT_SLOW_HANDLER_MS = 1000;
/**
 * Ten times the slow-handler threshold: room for a handler that waits on a slow database or HTTP call, and short
 * enough that a reload held up by one hung handler still takes seconds, not half a minute.
 */
export const DEFAULT_HANDLER_TIMEOUT_MS = 10_000;
/** How long a drain may take in all without a handler timeout (`handlerTimeoutMs: 0`). */
export const DEFAULT_DRAIN_TIMEOUT_MS = 30_000;
/** What a drain allows beyond the handler timeout: for the events queued behind a hung one, and the last sends. */
export const DRAIN_MARGIN_MS = 5000;

/**
 * How long a drain may take in all: the handler timeout and a margin, so one hung handler holds a reload for
 * about the handler timeout; past it the worker leaves with what is left (counted as lost by the gateways).
 */
export function drainTimeoutMs(handlerTimeoutMs: number): number {
  return handlerTimeoutMs > 0 ? handlerTimeoutMs + DRAIN_MARGIN_MS : DEFAULT_DRAIN_TIMEOUT_MS;
}

function workerIndex(id: number, count: number): { id: number; count: number } {
  checkInteger('count', count, 1);
  checkInteger('id', id, 0, count - 1);
  return { id, count };
}

export function parseWorkerOptions(options: BusinessWorkerOptions = {}): ResolvedWorkerOptions {
  const registers = parseHostPortList(options.register ?? DEFAULT_REGISTER_ADDRESS);
  if (registers.length === 0) {
    throw new SwitchboardError(ErrorCode.InvalidOption, 'business: give at least one --register address');
  }
  const log = options.log ?? createLogger({ role: 'business', pid: process.pid });
  return {
    events: options.events ?? DEFAULT_EVENTS_FILE,
    registers,
    name: options.name ?? `${process.pid}@${hostname()}`,
    ...parseGatewayApiOptions(options),
    ...parseHistoryOptions(options),
    slowHandlerMs: checkInteger('slowHandlerMs', options.slowHandlerMs ?? DEFAULT_SLOW_HANDLER_MS, 0),
    handlerTimeoutMs: checkInteger('handlerTimeoutMs', options.handlerTimeoutMs ?? DEFAULT_HANDLER_TIMEOUT_MS, 0),
    ...workerIndex(options.id ?? 0, options.count ?? 1),
    link: linkOptions(options, resolveSecret(options.secret, registers, 'business'), log),
    log,
  };
}
