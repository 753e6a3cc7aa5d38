import type { Message } from '../shared/commands.ts';
import { Cmd } from '../shared/commands.ts';
import type { Link } from '../shared/link.ts';
import type { Routing } from './gateway-api-options.ts';
import { GatewayMembership } from './gateway-membership.ts';

/**
 * With `directory` routing, which uids and groups each linked gateway holds (a GatewayMembership per open
 * link), so uid and group sends skip the gateways that hold none of their names. With `all` routing it knows
 * nothing and every send goes to every gateway.
 */
export class MembershipRouting {
  private readonly byGateway = new Map<string, GatewayMembership>();

  constructor(private readonly routing: Routing) {}

  /** Our link to `gateway` opened: with `directory` routing, subscribe to what it holds. */
  opened(gateway: string, link: Pick<Link, 'send'>): void {
    if (this.routing !== 'directory') return;
    // A fresh link starts from a fresh snapshot: what we knew before may have changed meanwhile.
    this.byGateway.set(gateway, new GatewayMembership());
    link.send({ cmd: Cmd.MembershipSubscribe });
  }

  /** Our link to `gateway` is down: until it is back, sends to it are not narrowed. */
  closed(gateway: string): void {
    this.byGateway.delete(gateway);
  }

  /** Takes in a MembershipUpdate, MembershipSynced or MembershipApplied from `gateway`. */
  receive(gateway: string, msg: Message): void {
    this.byGateway.get(gateway)?.receive(msg);
  }

  /** Notes a message we are about to send `gateway` (our own binds and joins count until it confirms them). */
  sending(gateway: string, msg: Message): void {
    this.byGateway.get(gateway)?.sending(msg);
  }

  /** The part of `msg` that `gateway` needs, or null when it needs none of it (see GatewayMembership.narrow). */
  narrow(gateway: string, msg: Message): Message | null {
    const membership = this.byGateway.get(gateway);
    return membership ? membership.narrow(msg) : msg;
  }
}
