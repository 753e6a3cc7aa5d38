import type { HostPort } from '../shared/address.ts';
import type { Link, LinkOptions, PeerRole } from '../shared/link.ts';
import { PersistentLink, type PersistentLinkEvents } from '../shared/persistent-link.ts';

/** What the directory needs of a link that reconnects by itself (a PersistentLink). */
export interface ReconnectingLink {
  /** `host:port` of the peer. */
  readonly address: string;
  /** The link while one is up, else null. */
  readonly link: Link | null;
  readonly isOpen: boolean;
  /** Stops reconnecting and closes the link; resolves when its socket is closed. */
  stop(): Promise<void>;
}

/** Opens a reconnecting link to a register or a gateway, reporting to `events`. */
export type Connect = (
  peer: 'register' | 'gateway',
  address: HostPort,
  events: PersistentLinkEvents,
) => ReconnectingLink;

/** The real Connect: an authenticated PersistentLink per peer. Unit tests pass a fake one instead. */
export function persistentLinks(options: LinkOptions, role: PeerRole, name: string): Connect {
  return (peer, address, events) => new PersistentLink(address, peer, options, role, name, events);
}
