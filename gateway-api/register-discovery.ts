import type { HostPort } from '../shared/address.ts';
import { Cmd, cmdName, type Message } from '../shared/commands.ts';
import { ErrorCode, SwitchboardError } from '../shared/errors.ts';
import type { Link } from '../shared/link.ts';
import type { Connect, ReconnectingLink } from './reconnecting-link.ts';

export interface DiscoveryEvents {
  /** Some register lists the gateway at `address` (it may have been listed already). */
  listed(address: string): void;
  /** The register at `register` listed the gateway at `address` and no longer does (others may still). */
  unlisted(address: string, register: string): void;
  /** A register sent its whole list. */
  listReceived(): void;
  /**
   * Who else uses the link to the first register (the embedded history, which that register holds): told when
   * it opens and is lost, and offered each message that is not about gateways.
   */
  firstRegister?: { attach(link: Link): void; detach(): void; receive(msg: Message): boolean };
}

/**
 * Which gateways the registers list: a link to every register, and for each gateway the registers that list
 * it now. What a register said last is kept while our link to it is down, so with every register down the
 * known gateways stay known; a register's fresh list replaces it when it is back.
 */
export class RegisterDiscovery {
  private readonly links: ReconnectingLink[];
  /** Gateway address -> indexes of the registers that list it; never an empty set. */
  private readonly listedBy = new Map<string, Set<number>>();
  /** Some register has sent its list. */
  heardFromRegister = false;

  constructor(
    registers: readonly HostPort[],
    connect: Connect,
    private readonly events: DiscoveryEvents,
  ) {
    const first = events.firstRegister;
    this.links = registers.map((address, index) =>
      connect('register', address, {
        open: (link) => {
          if (index === 0) first?.attach(link);
        },
        message: (msg) => {
          if (index === 0 && first?.receive(msg)) return;
          this.receive(index, msg);
        },
        close: () => {
          if (index === 0) first?.detach();
        },
      }),
    );
  }

  /** The registers' addresses, `host:port`, comma-separated: for messages that tell a person where to look. */
  get where(): string {
    return this.links.map((l) => l.address).join(', ');
  }

  /** Registers we have an open link to now, and how many we were given. */
  get linkedRegisters(): { linked: number; total: number } {
    return { linked: this.links.filter((l) => l.isOpen).length, total: this.links.length };
  }

  /** Some register lists the gateway at `address`. */
  isListed(address: string): boolean {
    return this.listedBy.has(address);
  }

  /** Closes the links to the registers; resolves when their sockets are closed. */
  async stop(): Promise<void> {
    await Promise.all(this.links.map((l) => l.stop()));
  }

  private receive(register: number, msg: Message): void {
    switch (msg.cmd) {
      case Cmd.GatewayList: {
        this.heardFromRegister = true;
        const listed = new Set(msg.addresses);
        for (const [address, registers] of this.listedBy) {
          if (!listed.has(address) && registers.has(register)) this.drop(register, address);
        }
        for (const address of listed) this.add(register, address);
        this.events.listReceived();
        return;
      }
      case Cmd.GatewayJoined:
        return this.add(register, msg.address);
      case Cmd.GatewayLeft:
        if (this.listedBy.get(msg.address)?.has(register)) this.drop(register, msg.address);
        return;
      default:
        throw new SwitchboardError(ErrorCode.BadFrame, `unexpected ${cmdName(msg.cmd)} from a register`);
    }
  }

  private add(register: number, address: string): void {
    const registers = this.listedBy.get(address);
    if (registers) registers.add(register);
    else this.listedBy.set(address, new Set([register]));
    this.events.listed(address);
  }

  private drop(register: number, address: string): void {
    const registers = this.listedBy.get(address);
    registers?.delete(register);
    if (registers?.size === 0) this.listedBy.delete(address);
    this.events.unlisted(address, this.links[register]?.address ?? `register ${register}`);
  }
}
