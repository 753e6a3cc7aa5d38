import { parseHostPort, type HostPort } from '../shared/address.ts';
import { createLogger, type Logger } from '../shared/logger.ts';
import { checkHeartbeatInterval, DEFAULT_REGISTER_ADDRESS, resolveSecret } from '../shared/options.ts';
import type { LinkOptions } from '../shared/link.ts';
import type { LinkTls } from '../shared/link-tls.ts';

export interface RegisterOptions {
  /** Address to listen on for gateways, workers and clients. @default 127.0.0.1:1236 */
  listen?: string | HostPort;
  /** Shared secret; required unless listening on loopback. @default SWITCHBOARD_SECRET */
  secret?: string;
  /** @default 16 MiB */
  maxFrameSize?: number;
  /** @default 5000 ms */
  handshakeTimeout?: number;
  /** Bytes waiting for a peer that does not read before its link is closed (SB_ERR_LINK_BACKLOG). @default 64 MiB */
  maxLinkBacklog?: number;
  /**
   * Ms between pings on internal links; a peer silent for 3 of them (noticed within 4) is dropped. Every
   * side pings on its own clock, so processes may use different values. @default 5000
   */
  heartbeatInterval?: number;
  /** Connections allowed mid-handshake at once; more are dropped. @default 128 */
  maxPendingHandshakes?: number;
  /** TLS on internal links: this process's certificate and key, and the cluster's CA. @default none (plain TCP) */
  tls?: LinkTls;
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
    link: {
      secret: resolveSecret(options.secret, [listen], 'register'),
      maxFrameSize: options.maxFrameSize,
      handshakeTimeout: options.handshakeTimeout,
      maxLinkBacklog: options.maxLinkBacklog,
      heartbeatInterval: checkHeartbeatInterval(options.heartbeatInterval),
      tls: options.tls,
      maxPendingHandshakes: options.maxPendingHandshakes,
      log: options.log ?? createLogger({ role: 'register', pid: process.pid }),
    },
  };
}
