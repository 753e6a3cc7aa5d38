import { ErrorCode, SwitchboardError } from '../shared/errors.ts';
import { checkInteger } from '../shared/options.ts';
import type { HistoryOptions } from '../history/history-store.ts';

export { parseHistoryOptions, type ResolvedHistoryOptions } from '../history/history-store.ts';

/**
 * How uid and group sends pick their gateways: `directory` sends each only to the gateways that hold one of
 * its uids or groups (they tell us who they hold); `all` sends each to every gateway, as GatewayWorker does.
 */
export type Routing = 'directory' | 'all';
export const ROUTINGS: readonly Routing[] = ['directory', 'all'];
/** @default 'directory' */
export const DEFAULT_ROUTING: Routing = 'directory';
/** @default 5000 ms: how long a query waits for each gateway before it rejects with SB_ERR_QUERY_TIMEOUT. */
export const DEFAULT_QUERY_TIMEOUT = 5000;
/** @default 5000 ms: how long a GatewayClient's calls wait for the gateways to become known before failing. */
export const DEFAULT_CONNECT_TIMEOUT = 5000;

/** The options of the Gateway API itself, the same in a business worker, a GatewayClient and the HTTP API. */
export interface GatewayApiOptions extends HistoryOptions {
  /** Ms a query waits for each gateway. @default 5000 */
  queryTimeout?: number;
  /**
   * `directory`: uid and group sends go only to the gateways holding one of their uids or groups (each
   * gateway tells this process which it holds). `all`: every such send goes to every gateway. @default 'directory'
   */
  routing?: Routing;
}

/** The options of the calls themselves; the history options are resolved with parseHistoryOptions. */
export type ResolvedGatewayApiOptions = Required<Omit<GatewayApiOptions, keyof HistoryOptions>>;

/** The routing option's value, defaulted; SB_ERR_INVALID_OPTION for anything else. */
export function checkRouting(value: unknown = DEFAULT_ROUTING): Routing {
  for (const routing of ROUTINGS) if (value === routing) return routing;
  throw new SwitchboardError(
    ErrorCode.InvalidOption,
    `routing must be ${ROUTINGS.map((r) => `"${r}"`).join(' or ')}, got ${JSON.stringify(value)}`,
  );
}

/** The Gateway API options with their defaults; SB_ERR_INVALID_OPTION for a value that cannot work. */
export function parseGatewayApiOptions(options: GatewayApiOptions): ResolvedGatewayApiOptions {
  return {
    queryTimeout: checkInteger('queryTimeout', options.queryTimeout ?? DEFAULT_QUERY_TIMEOUT, 1),
    routing: checkRouting(options.routing),
  };
}
