import type { Server } from 'node:net';
import { DEFAULT_HANDSHAKE_TIMEOUT } from './handshake.ts';
import { DEFAULT_MAX_PENDING_HANDSHAKES, HandshakeGate } from './handshake-gate.ts';
import { Link, type LinkOptions, type PeerRole } from './link.ts';
import { createLinkServer } from './link-tls.ts';

/**
 * A listener for internal links (a register, a gateway's inner port): TLS when configured, a bound on
 * connections mid-handshake, and the secret handshake on every connection. `onLink` gets each accepted
 * connection (to track it), `onOpen` each one that proved the secret.
 */
export function createLinkListener(
  options: LinkOptions,
  serverRole: string,
  roles: readonly PeerRole[],
  onLink: (link: Link) => void,
  onOpen: (link: Link) => void,
): Server {
  const gate = new HandshakeGate(options.maxPendingHandshakes ?? DEFAULT_MAX_PENDING_HANDSHAKES, options.log);
  let lastTlsWarning = 0;
  return createLinkServer(
    options.tls,
    options.handshakeTimeout ?? DEFAULT_HANDSHAKE_TIMEOUT,
    (socket) => {
      const link = Link.accept(socket, options, serverRole, roles, onOpen, gate);
      if (link) onLink(link);
    },
    (err, socket) => {
      // A stranger without the CA's certificate: logged at most once a second, so it cannot flood the log.
      const now = Date.now();
      if (now - lastTlsWarning < 1000) return;
      lastTlsWarning = now;
      options.log.warn(`TLS handshake refused: ${err.message}`, {
        code: 'SB_ERR_AUTH_FAILED',
        peer: socket.remoteAddress,
      });
    },
  );
}
