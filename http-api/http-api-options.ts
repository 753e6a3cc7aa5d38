import { isLoopback, parseHostPort, type HostPort } from '../shared/address.ts';
import { ErrorCode, SwitchboardError } from '../shared/errors.ts';
import { createLogger, type Logger } from '../shared/logger.ts';
import { checkInteger } from '../shared/options.ts';
import type { GatewayClientOptions } from '../gateway-api/gateway-client.ts';

export const DEFAULT_API_LISTEN = '127.0.0.1:8080';
/** @default 1 MiB */
export const DEFAULT_MAX_BODY = 1024 * 1024;
/** @default 1000 */
export const DEFAULT_MAX_BATCH = 1000;

export interface HttpApiOptions extends GatewayClientOptions {
  /** Address of the HTTP server. @default 127.0.0.1:8080 */
  listen?: string | HostPort;
  /**
   * Bearer token every request must carry (`Authorization: Bearer TOKEN`). Required unless listening on
   * loopback. @default SWITCHBOARD_API_TOKEN
   */
  token?: string;
  /** Largest request body in bytes; larger gets 413. @default 1 MiB */
  maxBody?: number;
  /** Most calls in one `POST /v1/batch`. @default 1000 */
  maxBatch?: number;
}

export interface ResolvedHttpApiOptions {
  listen: HostPort;
  token: string | null;
  maxBody: number;
  maxBatch: number;
  client: GatewayClientOptions;
  log: Logger;
}

export function parseHttpApiOptions(options: HttpApiOptions = {}): ResolvedHttpApiOptions {
  const { listen: listenOption, token: tokenOption, maxBody, maxBatch, ...client } = options;
  const listen = typeof listenOption === 'object' ? listenOption : parseHostPort(listenOption ?? DEFAULT_API_LISTEN);
  const token = tokenOption || process.env.SWITCHBOARD_API_TOKEN || null;
  if (!token && !isLoopback(listen.host)) {
    throw new SwitchboardError(
      ErrorCode.TokenRequired,
      `api: ${listen.host} can be reached from other hosts, so a token is required: ` +
        'pass --token T (or set SWITCHBOARD_API_TOKEN) and send "Authorization: Bearer T"',
    );
  }
  const log = client.log ?? createLogger({ role: 'api', pid: process.pid });
  return {
    listen,
    token,
    maxBody: checkInteger('maxBody', maxBody ?? DEFAULT_MAX_BODY, 1),
    maxBatch: checkInteger('maxBatch', maxBatch ?? DEFAULT_MAX_BATCH, 1),
    client: { ...client, log },
    log,
  };
}
