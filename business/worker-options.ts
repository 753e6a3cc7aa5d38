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
  id: number;
  count: number;
  link: LinkOptions;
  log: Logger;
}

export const DEFAULT_EVENTS_FILE = 'business/events.ts';
export const DEFAULT_SLOW_HANDLER_MS = 1000;

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
    ...workerIndex(options.id ?? 0, options.count ?? 1),
    link: linkOptions(options, resolveSecret(options.secret, registers, 'business'), log),
    log,
  };
}
