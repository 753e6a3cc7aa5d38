import { isIP } from 'node:net';
import { ErrorCode, SwitchboardError } from './errors.ts';

/** A TCP endpoint. `host` is an IPv4/IPv6 literal or a host name, without brackets. */
export interface HostPort {
  host: string;
  port: number;
}

/**
 * Parses `HOST:PORT`, `[IPv6]:PORT`, or `:PORT` / `PORT` (host then `defaultHost`).
 * @example parseHostPort('[::1]:2900') // { host: '::1', port: 2900 }
 */
export function parseHostPort(text: string, defaultHost = '127.0.0.1'): HostPort {
  const value = text.trim();
  let host: string;
  let portText: string;
  const bracketed = /^\[([^\]]+)\]:(\d+)$/.exec(value);
  if (bracketed) {
    host = bracketed[1]!;
    portText = bracketed[2]!;
  } else if (/^:?\d+$/.test(value)) {
    host = defaultHost;
    portText = value.replace(':', '');
  } else {
    const colon = value.lastIndexOf(':');
    if (colon <= 0 || value.indexOf(':') !== colon) {
      throw new SwitchboardError(
        ErrorCode.InvalidOption,
        `"${text}" is not an address: write HOST:PORT, e.g. 127.0.0.1:1236 or [::1]:1236`,
      );
    }
    host = value.slice(0, colon);
    portText = value.slice(colon + 1);
  }
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port < 0 || port > 65535) {
    throw new SwitchboardError(ErrorCode.InvalidOption, `"${text}" has no valid port (0-65535)`);
  }
  return { host, port };
}

/** Parses a comma-separated list of addresses, e.g. a `--register` flag. */
export function parseHostPortList(text: string | readonly string[]): HostPort[] {
  const parts = (typeof text === 'string' ? text.split(',') : text).map((s) => s.trim()).filter(Boolean);
  return parts.map((part) => parseHostPort(part));
}

/** `host:port`, with brackets around IPv6: the canonical key of an endpoint. */
export function formatHostPort({ host, port }: HostPort): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}

/** True for 127.0.0.0/8, ::1 and `localhost`: addresses no other host can reach. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host) || host === '::ffff:127.0.0.1';
}
