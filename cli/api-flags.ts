import { DEFAULT_API_LISTEN, DEFAULT_MAX_BODY, type HttpApiOptions } from '../http-api/http-api-options.ts';
import type { Logger } from '../shared/logger.ts';
import {
  historyFlags,
  linkFlags,
  linkTls,
  logLevelFlag,
  queryTimeoutFlag,
  metricsFlag,
  registerFlag,
  routingFlag,
  secretFlag,
} from './common-flags.ts';
import { integer, toOptions, type Flag, type FlagValues } from './flags.ts';

/** `switchboard api`, in `--help` order, with the HttpApiOptions field each flag sets. */
export const apiFlags: Flag<HttpApiOptions>[] = [
  {
    flags: '--listen <host:port>',
    description: 'address of the HTTP server',
    default: DEFAULT_API_LISTEN,
    field: 'listen',
  },
  {
    flags: '--token <token>',
    description: 'bearer token clients must send (required off loopback)',
    env: 'SWITCHBOARD_API_TOKEN',
    field: 'token',
  },
  registerFlag,
  secretFlag,
  {
    flags: '--max-body <bytes>',
    description: 'largest request body; larger gets 413',
    parse: integer,
    default: DEFAULT_MAX_BODY,
    field: 'maxBody',
  },
  queryTimeoutFlag,
  routingFlag,
  ...historyFlags,
  ...linkFlags,
  metricsFlag,
  logLevelFlag,
];

/** The options of the HTTP API server the flags describe. */
export function apiOptions(values: FlagValues, log: Logger): HttpApiOptions {
  return { ...toOptions(apiFlags, values), tls: linkTls(values), name: `api ${process.pid}`, log };
}
