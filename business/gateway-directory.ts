import { parseHostPort, type HostPort } from '../shared/address.ts';
import { Cmd, cmdName, type Message } from '../shared/commands.ts';
import { ErrorCode, SwitchboardError } from '../shared/errors.ts';
import type { Link, LinkOptions, PeerRole } from '../shared/link.ts';
import { PersistentLink } from '../shared/persistent-link.ts';

/** @default 5000 ms: how long a query waits for each gateway before it rejects with SB_ERR_QUERY_TIMEOUT. */
export const DEFAULT_QUERY_TIMEOUT = 5000;

export interface DirectoryOptions {
  registers: HostPort[];
  link: LinkOptions;
  role: Extract<PeerRole, 'worker' | 'client'>;
  /** How this process introduces itself to registers and gateways, for their logs. */
  name: string;
  queryTimeout: number;
  /** Client events from gateways (workers only). */
  onEvent?: (msg: Message, link: Link, gateway: string) => void;
  /** A link to a gateway was (re)established. */
  onGatewayOpen?: (gateway: string) => void;
}

/** One known gateway: our link to it, and which registers currently list it. */
interface GatewayEntry {
  link: PersistentLink;
  listedBy: Set<number>;
}

interface PendingQuery {
  gateway: string;
  resolve: (value: unknown) => void;
  reject: (err: SwitchboardError) => void;
  timer: NodeJS.Timeout;
}

/**
 * Every gateway a worker (or GatewayClient) knows of, learnt from all the registers, with one persistent
 * authenticated link to each. A gateway is forgotten only when our own link to it is down *and* no register
 * lists it any more: a register that just restarted and knows little never cuts a working link. What a register
 * said last is kept while our link to that register is down, so with every register down the known gateways
 * stay known (and are reconnected to if they restart); a register's fresh list replaces it when it is back.
 *
 * A gateway that is known but not linked (our link is down or not up yet, and some register still lists it)
 * is "unreachable": calls about one of its clients treat the client as offline, and aggregate queries reject
 * at once with SB_ERR_GATEWAY_UNAVAILABLE rather than undercount or wait.
 */
export class GatewayDirectory {
  private readonly gateways = new Map<string, GatewayEntry>();
  private readonly registers: PersistentLink[];
  private readonly pending = new Map<number, PendingQuery>();
  private nextQueryId = 1;
  /** Some register has sent its list: an empty directory then means "no gateways", not "don't know yet". */
  private heardFromRegister = false;

  constructor(private readonly options: DirectoryOptions) {
    this.registers = options.registers.map(
      (address, index) =>
        new PersistentLink(address, 'register', options.link, options.role, options.name, {
          open: () => {},
          message: (msg) => this.fromRegister(index, msg),
          close: () => {},
        }),
    );
  }

  /** Addresses (`host:port`) of every known gateway, linked or not. */
  get addresses(): string[] {
    return [...this.gateways.keys()];
  }

  /** The open link to the gateway at `address`, or null. */
  link(address: string): Link | null {
    const link = this.gateways.get(address)?.link.link;
    return link?.isOpen ? link : null;
  }

  /** Open links to every known gateway. */
  *openLinks(): Iterable<Link> {
    for (const entry of this.gateways.values()) if (entry.link.link?.isOpen) yield entry.link.link;
  }

  /** Throws SB_ERR_NO_GATEWAY while no gateway is known and no register has answered. */
  requireGateways(call: string): void {
    if (this.gateways.size > 0 || this.heardFromRegister) return;
    const where = this.options.registers.map((r) => `${r.host}:${r.port}`).join(', ');
    throw new SwitchboardError(
      ErrorCode.NoGateway,
      `${call}: no gateway is known yet; check that the register (${where}) is running and reachable with the same secret`,
    );
  }

  /** Asks one gateway; rejects with a coded error naming it if it is not linked or does not answer in time. */
  query(gateway: string, q: string, args: Record<string, unknown>): Promise<unknown> {
    const link = this.link(gateway);
    if (!link) {
      return Promise.reject(
        new SwitchboardError(ErrorCode.GatewayUnavailable, `gateway ${gateway} is not connected (query ${q})`),
      );
    }
    const id = this.nextQueryId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(
          new SwitchboardError(
            ErrorCode.QueryTimeout,
            `gateway ${gateway} did not answer ${q} within ${this.options.queryTimeout} ms`,
          ),
        );
      }, this.options.queryTimeout);
      this.pending.set(id, { gateway, resolve, reject, timer });
      link.send({ cmd: Cmd.Query, id, q, args });
    });
  }

  /**
   * Asks every known gateway in parallel; rejects if any of them cannot answer (never undercounts): at once
   * with SB_ERR_GATEWAY_UNAVAILABLE for an unreachable one, after `queryTimeout` with SB_ERR_QUERY_TIMEOUT for
   * a linked one that stays silent, or when its link breaks while we wait.
   */
  queryAll(q: string, args: Record<string, unknown>): Promise<unknown[]> {
    this.requireGateways(q);
    return Promise.all(this.addresses.map((gateway) => this.query(gateway, q, args)));
  }

  stop(): void {
    for (const register of this.registers) register.stop();
    for (const entry of this.gateways.values()) entry.link.stop();
    this.gateways.clear();
    for (const [id, pending] of this.pending) {
      clearTimeout(pending.timer);
      pending.reject(
        new SwitchboardError(ErrorCode.GatewayUnavailable, `stopped before gateway ${pending.gateway} answered`),
      );
      this.pending.delete(id);
    }
  }

  private fromRegister(register: number, msg: Message): void {
    switch (msg.cmd) {
      case Cmd.GatewayList: {
        this.heardFromRegister = true;
        const listed = new Set(msg.addresses);
        for (const [address, entry] of this.gateways) {
          if (!listed.has(address) && entry.listedBy.delete(register)) this.unlisted(register, address);
        }
        for (const address of listed) this.ensure(address).listedBy.add(register);
        return;
      }
      case Cmd.GatewayJoined:
        this.ensure(msg.address).listedBy.add(register);
        return;
      case Cmd.GatewayLeft: {
        const entry = this.gateways.get(msg.address);
        if (entry?.listedBy.delete(register)) this.unlisted(register, msg.address);
        return;
      }
      default:
        throw new SwitchboardError(ErrorCode.BadFrame, `unexpected ${cmdName(msg.cmd)} from a register`);
    }
  }

  private ensure(address: string): GatewayEntry {
    let entry = this.gateways.get(address);
    if (entry) return entry;
    const link = new PersistentLink(
      parseHostPort(address),
      'gateway',
      this.options.link,
      this.options.role,
      this.options.name,
      {
        open: () => this.options.onGatewayOpen?.(address),
        message: (msg, l) => this.fromGateway(address, msg, l),
        close: () => {
          this.failPending(address);
          this.forgetIfGone(address);
        },
        failed: () => this.forgetIfGone(address),
      },
    );
    entry = { link, listedBy: new Set() };
    this.gateways.set(address, entry);
    return entry;
  }

  /**
   * A register no longer lists a gateway. If our link to it looks open, it is probed at once: the link to a
   * gateway that died or was cut off closes within one heartbeat interval instead of three or four, and one
   * that is only out of touch with that register answers the probe and stays.
   */
  private unlisted(register: number, address: string): void {
    const link = this.gateways.get(address)?.link.link;
    if (link?.isOpen) {
      this.options.link.log.debug(
        `register ${this.registers[register]?.address} does not list gateway ${address}; checking our link`,
        { gateway: address },
      );
      link.probe();
    }
    this.forgetIfGone(address);
  }

  private forgetIfGone(address: string): void {
    const entry = this.gateways.get(address);
    if (!entry || entry.listedBy.size > 0 || entry.link.isOpen) return;
    entry.link.stop();
    this.gateways.delete(address);
    this.options.link.log.info(`forgot gateway ${address}: our link is down and no register lists it`);
  }

  private failPending(gateway: string): void {
    for (const [id, pending] of this.pending) {
      if (pending.gateway !== gateway) continue;
      clearTimeout(pending.timer);
      this.pending.delete(id);
      pending.reject(
        new SwitchboardError(ErrorCode.GatewayUnavailable, `gateway ${gateway} went away before answering`),
      );
    }
  }

  private fromGateway(gateway: string, msg: Message, link: Link): void {
    switch (msg.cmd) {
      case Cmd.QueryResult:
      case Cmd.QueryError: {
        const pending = this.pending.get(msg.id);
        if (!pending) return; // answered after its timeout
        this.pending.delete(msg.id);
        clearTimeout(pending.timer);
        if (msg.cmd === Cmd.QueryResult) pending.resolve(msg.value);
        else pending.reject(new SwitchboardError(msg.code as ErrorCode, `gateway ${gateway}: ${msg.message}`));
        return;
      }
      case Cmd.EvConnect:
      case Cmd.EvMessage:
      case Cmd.EvClose:
        if (!this.options.onEvent) {
          throw new SwitchboardError(ErrorCode.BadFrame, `a client does not take events (from gateway ${gateway})`);
        }
        return this.options.onEvent(msg, link, gateway);
      default:
        throw new SwitchboardError(ErrorCode.BadFrame, `unexpected ${cmdName(msg.cmd)} from gateway ${gateway}`);
    }
  }
}
