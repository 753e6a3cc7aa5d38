import { parseHostPort } from '../shared/address.ts';
import type { Message } from '../shared/commands.ts';
import type { Link } from '../shared/link.ts';
import type { Connect, ReconnectingLink } from './reconnecting-link.ts';

export interface GatewayLinkEvents {
  /** Our link to the gateway at `address` was (re)established. */
  open(address: string, link: Link): void;
  message(address: string, msg: Message, link: Link): void;
  /** Our open link to it broke; it is being reconnected. */
  close(address: string): void;
  /** An attempt to link to it failed; another follows. */
  failed(address: string): void;
}

interface KnownGateway {
  connection: ReconnectingLink;
  /** The first connection attempt has succeeded or failed. */
  tried: boolean;
}

/** One reconnecting, authenticated link to every gateway we know of, until told to forget one. */
export class GatewayLinks {
  private readonly known = new Map<string, KnownGateway>();

  constructor(
    private readonly connect: Connect,
    private readonly events: GatewayLinkEvents,
  ) {}

  /** Addresses (`host:port`) of every known gateway, linked or not. */
  get addresses(): string[] {
    return [...this.known.keys()];
  }

  get size(): number {
    return this.known.size;
  }

  has(address: string): boolean {
    return this.known.has(address);
  }

  /** Every known gateway has been tried once (linked, or failed at least once). */
  get allTried(): boolean {
    for (const gateway of this.known.values()) if (!gateway.tried) return false;
    return true;
  }

  /** Starts linking to the gateway at `address`, unless it is known already. */
  add(address: string): void {
    if (this.known.has(address)) return;
    const gateway: KnownGateway = {
      tried: false,
      connection: this.connect('gateway', parseHostPort(address), {
        open: (link) => {
          gateway.tried = true;
          this.events.open(address, link);
        },
        message: (msg, link) => this.events.message(address, msg, link),
        close: () => this.events.close(address),
        failed: () => {
          gateway.tried = true;
          this.events.failed(address);
        },
      }),
    };
    this.known.set(address, gateway);
  }

  /** The open link to the gateway at `address`, or null. */
  open(address: string): Link | null {
    const link = this.known.get(address)?.connection.link;
    return link?.isOpen ? link : null;
  }

  isOpen(address: string): boolean {
    return this.known.get(address)?.connection.isOpen ?? false;
  }

  /** Open links to every known gateway. */
  *openLinks(): Iterable<Link> {
    for (const { connection } of this.known.values()) if (connection.link?.isOpen) yield connection.link;
  }

  /** Stops linking to the gateway at `address` and forgets it. */
  forget(address: string): void {
    const gateway = this.known.get(address);
    if (!gateway) return;
    this.known.delete(address);
    void gateway.connection.stop();
  }

  /** Closes every link and forgets every gateway; resolves when their sockets are closed. */
  async stop(): Promise<void> {
    const closing = [...this.known.values()].map((g) => g.connection.stop());
    this.known.clear();
    await Promise.all(closing);
  }
}
