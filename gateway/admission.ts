import type { IncomingHttpHeaders } from 'node:http';

/** Why a client was refused: an HTTP status (before the upgrade) or a close code (after), and the reason. */
export interface Refusal {
  status: number;
  reason: string;
}

export interface AdmissionLimits {
  /** Most client connections on this gateway; 0 = no limit. */
  maxConnections: number;
  /** Most client connections from one IP address; 0 = no limit. */
  maxConnectionsPerIp: number;
  /** Origins (`https://example.com`) allowed to connect; empty allows any, including none. */
  allowedOrigins: readonly string[];
}

/**
 * Decides whether a client may connect: allowed origins (checked before the upgrade) and connection limits per
 * gateway and per IP (counted on connection, so the counts are exact).
 */
export class Admission {
  private total = 0;
  private readonly perIp = new Map<string, number>();
  private readonly origins: Set<string>;

  constructor(private readonly limits: AdmissionLimits) {
    this.origins = new Set(limits.allowedOrigins.map((o) => o.toLowerCase()));
  }

  /** Before the upgrade: is the request's Origin allowed? Refused upgrades get a plain HTTP 403. */
  checkOrigin(req: { headers: IncomingHttpHeaders }): Refusal | null {
    if (this.origins.size === 0) return null;
    const origin = String(req.headers.origin ?? '').toLowerCase();
    return this.origins.has(origin) ? null : { status: 403, reason: `origin ${origin || '(none)'} is not allowed` };
  }

  /** A new connection from `ip`: counted until `release(ip)`, or refused when a limit is reached. */
  admit(ip: string): Refusal | null {
    const { maxConnections, maxConnectionsPerIp } = this.limits;
    if (maxConnections > 0 && this.total >= maxConnections) {
      return { status: 1013, reason: `gateway is full (${maxConnections} connections)` };
    }
    const fromIp = this.perIp.get(ip) ?? 0;
    if (maxConnectionsPerIp > 0 && fromIp >= maxConnectionsPerIp) {
      return { status: 1008, reason: `too many connections from ${ip} (${maxConnectionsPerIp})` };
    }
    this.total++;
    this.perIp.set(ip, fromIp + 1);
    return null;
  }

  release(ip: string): void {
    this.total--;
    const left = (this.perIp.get(ip) ?? 1) - 1;
    if (left > 0) this.perIp.set(ip, left);
    else this.perIp.delete(ip);
  }
}
