import { formatHostPort, isLoopback, type HostPort } from './address.ts';
import { ErrorCode, SwitchboardError } from './errors.ts';
import { DEFAULT_HEARTBEAT_INTERVAL, MIN_HEARTBEAT_INTERVAL, type LinkOptions } from './link.ts';
import type { Logger } from './logger.ts';

/** @default 127.0.0.1:1236: where the register listens, and where every other role looks for it. */
export const DEFAULT_REGISTER_ADDRESS = '127.0.0.1:1236';

/**
 * Used when no secret is given and every address involved is loopback: a single machine that nobody else
 * can reach. Any other address needs a real secret.
 */
export const LOOPBACK_SECRET = 'switchboard-loopback-only';

/**
 * The secret to use: the given one, else SWITCHBOARD_SECRET, else (only when every address in `addresses`
 * is loopback) a fixed loopback-only secret. Throws SB_ERR_SECRET_REQUIRED otherwise.
 */
export function resolveSecret(secret: string | undefined, addresses: readonly HostPort[], role: string): string {
  const given = secret || process.env.SWITCHBOARD_SECRET;
  if (given) return given;
  const exposed = addresses.find((a) => !isLoopback(a.host));
  if (exposed) {
    throw new SwitchboardError(
      ErrorCode.SecretRequired,
      `${role}: ${formatHostPort(exposed)} can be reached from other hosts, so a shared secret is required: ` +
        'pass --secret S (or set SWITCHBOARD_SECRET) with the same value on every process of the cluster',
    );
  }
  return LOOPBACK_SECRET;
}

/** Throws SB_ERR_INVALID_OPTION unless `value` is an integer in [min, max]. */
export function checkInteger(name: string, value: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new SwitchboardError(
      ErrorCode.InvalidOption,
      `${name} must be an integer from ${min} to ${max}, got ${value}`,
    );
  }
  return value;
}

/** The link heartbeat period: the default when not given, else an integer of at least 50 ms. */
export function checkHeartbeatInterval(value: number | undefined): number {
  return checkInteger('heartbeatInterval', value ?? DEFAULT_HEARTBEAT_INTERVAL, MIN_HEARTBEAT_INTERVAL);
}

/**
 * The internal-link settings every role and GatewayClient accept (see LinkOptions for each one's meaning and
 * default); the secret and the logger are worked out by the role.
 */
export type LinkSettings = Pick<
  LinkOptions,
  'maxFrameSize' | 'handshakeTimeout' | 'maxLinkBacklog' | 'heartbeatInterval' | 'tls' | 'maxPendingHandshakes'
>;

/** LinkOptions from a role's settings, its resolved secret and its logger; the heartbeat period is checked. */
export function linkOptions(settings: LinkSettings, secret: string, log: Logger): LinkOptions {
  return {
    secret,
    maxFrameSize: settings.maxFrameSize,
    handshakeTimeout: settings.handshakeTimeout,
    maxLinkBacklog: settings.maxLinkBacklog,
    heartbeatInterval: checkHeartbeatInterval(settings.heartbeatInterval),
    tls: settings.tls,
    maxPendingHandshakes: settings.maxPendingHandshakes,
    log,
  };
}
