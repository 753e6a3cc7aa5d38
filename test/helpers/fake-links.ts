import { formatHostPort } from '../../shared/address.ts';
import type { Message } from '../../shared/commands.ts';
import { ErrorCode, SwitchboardError } from '../../shared/errors.ts';
import type { Link } from '../../shared/link.ts';
import type { PersistentLinkEvents } from '../../shared/persistent-link.ts';
import type { Connect, ReconnectingLink } from '../../gateway-api/reconnecting-link.ts';

/** An open link that records what is sent on it. */
export class FakeLink {
  readonly sent: Message[] = [];
  isOpen = true;
  probes = 0;

  send(message: Message): void {
    this.sent.push(message);
  }

  probe(): void {
    this.probes++;
  }

  close(): void {
    this.isOpen = false;
  }
}

/** A reconnecting link driven by the test: `open()`, `close()`, `fail()`, `deliver(msg)`. */
export class FakeConnection implements ReconnectingLink {
  link: Link | null = null;
  fake: FakeLink | null = null;
  stopped = false;

  constructor(
    readonly address: string,
    private readonly events: PersistentLinkEvents,
  ) {}

  get isOpen(): boolean {
    return this.fake?.isOpen ?? false;
  }

  open(): FakeLink {
    const fake = new FakeLink();
    this.fake = fake;
    // The directory only calls send, probe, close and isOpen on a link.
    this.link = fake as unknown as Link;
    this.events.open(this.link);
    return fake;
  }

  close(): void {
    this.fake = null;
    this.link = null;
    this.events.close(new SwitchboardError(ErrorCode.ConnectionLost, 'closed by the test'));
  }

  fail(): void {
    this.events.failed?.(new SwitchboardError(ErrorCode.ConnectionLost, 'refused by the test'));
  }

  deliver(message: Message): void {
    this.events.message(message, this.link!);
  }

  stop(): Promise<void> {
    this.stopped = true;
    this.fake = null;
    this.link = null;
    return Promise.resolve();
  }
}

/** A Connect that makes FakeConnections, kept by `register HOST:PORT` / `gateway HOST:PORT`. */
export function fakeConnect(): { connect: Connect; made: Map<string, FakeConnection> } {
  const made = new Map<string, FakeConnection>();
  const connect: Connect = (peer, address, events) => {
    const connection = new FakeConnection(formatHostPort(address), events);
    made.set(`${peer} ${connection.address}`, connection);
    return connection;
  };
  return { connect, made };
}
