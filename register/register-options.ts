import { parseHostPort, type HostPort } from '../shared/address.ts';
import { createLogger, type Logger } from '../shared/logger.ts';
import { DEFAULT_REGISTER_ADDRESS, linkOptions, resolveSecret, type LinkSettings } from '../shared/options.ts';
import type { LinkOptions } from '../shared/link.ts';

export interface RegisterOptions extends LinkSettings {
  /** Address to listen on for gateways, workers and clients. @default 127.0.0.1:1236 */
  listen?: string | HostPort;
  /** Shared secret; required unless listening on loopback. @default SWITCHBOARD_SECRET */
  secret?: string;
  log?: Logger;
}

export interface ResolvedRegisterOptions {
  listen: HostPort;
  link: LinkOptions;
}

export function parseRegisterOptions(options: RegisterOptions = {}): ResolvedRegisterOptions {
  const listen =
    typeof options.listen === 'object' ? options.listen : parseHostPort(options.listen ?? DEFAULT_REGISTER_ADDRESS);
  return {
    listen,
    link: linkOptions(
      options,
      resolveSecret(options.secret, [listen], 'register'),
      options.log ?? createLogger({ role: 'register', pid: process.pid }),
    ),
  };
}
