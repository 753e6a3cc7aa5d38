import { parseHostPort, type HostPort } from '../shared/address.ts';
import { createLogger, type Logger } from '../shared/logger.ts';
import { DEFAULT_REGISTER_ADDRESS, linkOptions, resolveSecret, type LinkSettings } from '../shared/options.ts';
import type { LinkOptions } from '../shared/link.ts';
import { checkPlaintextSecret, gatewayWorkerSecret } from '../shared/gatewayworker-secret.ts';

export interface RegisterOptions extends LinkSettings {
  /** Address to listen on for gateways, workers and clients. @default 127.0.0.1:1236 */
  listen?: string | HostPort;
  /** Shared secret; required unless listening on loopback. @default SWITCHBOARD_SECRET */
  secret?: string;
  /**
   * Also answer PHP GatewayClient's register protocol on this address (GatewayWorker's `registerAddress`). Off
   * unless given. @default none
   */
  gatewayWorkerListen?: string | HostPort;
  /**
   * Accept GatewayWorker's clear-text secret on a `gatewayWorkerListen` that is not loopback (the network between
   * PHP and the register must then be private). @default false
   */
  gatewayWorkerAllowPlaintextSecret?: boolean;
  log?: Logger;
}

export interface ResolvedRegisterOptions {
  listen: HostPort;
  link: LinkOptions;
  /** GatewayWorker's register protocol: where, and the secret PHP must send (empty for none); or off. */
  gatewayWorker: { listen: HostPort; secret: string } | null;
}

export function parseRegisterOptions(options: RegisterOptions = {}): ResolvedRegisterOptions {
  const listen =
    typeof options.listen === 'object' ? options.listen : parseHostPort(options.listen ?? DEFAULT_REGISTER_ADDRESS);
  const gwListen =
    options.gatewayWorkerListen === undefined || options.gatewayWorkerListen === ''
      ? null
      : typeof options.gatewayWorkerListen === 'object'
        ? options.gatewayWorkerListen
        : parseHostPort(options.gatewayWorkerListen);
  const secret = resolveSecret(options.secret, gwListen ? [listen, gwListen] : [listen], 'register');
  if (gwListen) {
    checkPlaintextSecret(gwListen, options.gatewayWorkerAllowPlaintextSecret === true, '--gatewayworker-listen');
  }
  return {
    listen,
    link: linkOptions(options, secret, options.log ?? createLogger({ role: 'register', pid: process.pid })),
    gatewayWorker: gwListen ? { listen: gwListen, secret: gatewayWorkerSecret(secret) } : null,
  };
}
