import { createHash, timingSafeEqual } from 'node:crypto';
import { formatHostPort, isLoopback, type HostPort } from './address.ts';
import { ErrorCode, SwitchboardError } from './errors.ts';
import { LOOPBACK_SECRET } from './options.ts';

/**
 * GatewayWorker's protocol, unlike Switchboard's internal links, sends the secret itself, in clear text
 * (`Gateway::$secretKey` in a JSON field). What the register and the gateways that serve it have in common:
 * which secret a PHP caller must send, how it is compared, and the refusal to take it off loopback unless the
 * operator says the network is private.
 */

/** The flag that accepts GatewayWorker's clear-text secret on a non-loopback address. */
export const ALLOW_PLAINTEXT_FLAG = '--gatewayworker-allow-plaintext-secret';

/**
 * The secret a PHP caller must send: the cluster's `--secret`, or none (GatewayClient's default empty
 * `$secretKey`) when the cluster runs on loopback without one.
 */
export function gatewayWorkerSecret(linkSecret: string): string {
  return linkSecret === LOOPBACK_SECRET ? '' : linkSecret;
}

/** True when `given` is the expected secret; the comparison takes the same time whatever `given` is. */
export function secretMatches(given: unknown, expected: string): boolean {
  if (typeof given !== 'string') return false;
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/**
 * Throws SB_ERR_PLAINTEXT_SECRET when a GatewayWorker-protocol port would take the secret in clear text from
 * other hosts and the operator did not accept that.
 */
export function checkPlaintextSecret(at: HostPort, allowed: boolean, flag: string): void {
  if (allowed || isLoopback(at.host)) return;
  throw new SwitchboardError(
    ErrorCode.PlaintextSecret,
    `${flag} ${formatHostPort(at)} is reachable from other hosts, and GatewayWorker's protocol sends the secret ` +
      `in clear text: keep it on loopback, or put it on a private network and add ${ALLOW_PLAINTEXT_FLAG}`,
  );
}
