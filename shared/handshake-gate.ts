import { ErrorCode } from './errors.ts';
import type { Logger } from './logger.ts';

/** What the gate needs of a socket (a net.Socket, or a Link's socket). */
export interface GatedSocket {
  readonly remoteAddress?: string | undefined;
  destroy(): unknown;
  once(event: 'close', listener: () => void): unknown;
}

/** @default 128: connections allowed to be mid-handshake at once on one listener. */
export const DEFAULT_MAX_PENDING_HANDSHAKES = 128;

/**
 * Bounds the connections on one listener that have not proved the secret yet, so a flood of strangers costs
 * a fixed amount of memory and never crowds out the peers that do know it. Past the bound, new connections
 * are dropped at once; that is logged at most once a second.
 */
export class HandshakeGate {
  private pending = 0;
  private lastWarning = 0;
  private dropped = 0;

  constructor(
    private readonly max: number,
    private readonly log: Logger,
  ) {}

  /** Admits `socket` into the handshake, or destroys it; call `passed()` once it proved the secret. */
  admit(socket: GatedSocket): { passed(): void } | null {
    if (this.pending >= this.max) {
      this.dropped++;
      const now = Date.now();
      if (now - this.lastWarning > 1000) {
        this.log.warn(`${this.max} connections are mid-handshake: dropping new ones (${this.dropped} so far)`, {
          code: ErrorCode.AuthTimeout,
          peer: socket.remoteAddress,
        });
        this.lastWarning = now;
      }
      socket.destroy();
      return null;
    }
    this.pending++;
    let counted = true;
    const leave = () => {
      if (counted) this.pending--;
      counted = false;
    };
    socket.once('close', leave);
    return { passed: leave };
  }
}
