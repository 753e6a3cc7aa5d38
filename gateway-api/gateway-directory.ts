import { formatHostPort, parseHostPort, type HostPort } from '../shared/address.ts';
import { Cmd, cmdName, type Message } from '../shared/commands.ts';
import { ErrorCode, SwitchboardError } from '../shared/errors.ts';
import type { Link, LinkOptions, PeerRole } from '../shared/link.ts';
import { PersistentLink } from '../shared/persistent-link.ts';
import type { Routing } from './gateway-api-options.ts';
import { GatewayMembership } from './gateway-membership.ts';

export interface DirectoryOptions {
  registers: HostPort[];
  link: LinkOptions;
  role: Extract<PeerRole, 'worker' | 'client'>;
  /** How this process introduces itself to registers and gateways, for their logs. */
  name: string;
  queryTimeout: number;
  routing: Routing;
  /** Client events from gateways (workers only). */
  onEvent?: (msg: Message, link: Link, gateway: string) => void;
  /** A link to a gateway was (re)established. */
  onGatewayOpen?: (gateway: string, link: Link) => void;
  /** A gateway has no event of ours in flight any more, after we said we are draining. */
  onDrained?: (gateway: string) => void;
  /** Our link to a gateway broke. */
  onGatewayClose?: (gateway: string) => void;
}

/** One known gateway: our link to it, and which registers currently list it. */
interface GatewayEntry {
  link: PersistentLink;
  listedBy: Set<number>;
  /** The first connection attempt has succeeded or failed. */
  tried: boolean;
  /** What it holds, while our link is open and routing is `directory`. */
  membership: GatewayMembership | null;
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
  /** Some register has sent its list. */
  private heardFromRegister = false;
  /** Callers of whenReady waiting for the state to change. */
  private readyWaiters: (() => void)[] = [];

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

  /** Sends `message` to the gateway at `address` if it is linked (else drops it: its clients are gone). */
  send(address: string, message: Message): void {
    const entry = this.gateways.get(address);
    const link = entry?.link.link;
    if (!link?.isOpen) return;
    entry!.membership?.sending(message);
    link.send(message);
  }

  /**
   * For a message meant for every gateway, calls `each` with every known gateway (linked or not) that must
   * get it, and the part of it that gateway needs: with `directory` routing, a uid or group send skips the
   * gateways that hold none of its names.
   */
  forEachTarget(message: Message, each: (address: string, message: Message) => void): void {
    for (const [address, entry] of this.gateways) {
      const part = entry.membership ? entry.membership.narrow(message) : message;
      if (part) each(address, part);
    }
  }

  /** Sends a message meant for every gateway to each linked one that must get it (see forEachTarget). */
  sendToTargets(message: Message): void {
    this.forEachTarget(message, this.sendToOne);
  }

  private readonly sendToOne = (address: string, message: Message) => this.send(address, message);

  /** Open links to every known gateway. */
  *openLinks(): Iterable<Link> {
    for (const entry of this.gateways.values()) if (entry.link.link?.isOpen) yield entry.link.link;
  }

  /** Throws SB_ERR_NO_GATEWAY, saying what is missing, when no gateway is known. */
  requireGateways(call: string): void {
    if (this.gateways.size > 0) return;
    const where = this.options.registers.map((r) => formatHostPort(r)).join(', ');
    throw new SwitchboardError(
      ErrorCode.NoGateway,
      this.heardFromRegister
        ? `${call}: no gateway is running: the register (${where}) lists none; start a gateway with --register ${where}`
        : `${call}: no gateway is known: no register (${where}) has answered; check that it runs and that every process has the same secret`,
    );
  }

  /** Some register answered and every gateway it listed has been tried once. */
  get isReady(): boolean {
    if (!this.heardFromRegister) return false;
    for (const entry of this.gateways.values()) if (!entry.tried) return false;
    return true;
  }

  /**
   * Resolves once the gateways are known (see isReady) and at least one is linked; rejects with
   * SB_ERR_NO_GATEWAY after `timeoutMs`, saying what is missing.
   */
  whenReady(timeoutMs: number): Promise<void> {
    const done = () => this.isReady && this.gateways.size > 0;
    if (done()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!done()) return void this.readyWaiters.push(check);
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.readyWaiters = this.readyWaiters.filter((w) => w !== check);
        try {
          this.requireGateways(`waited ${timeoutMs} ms`);
          reject(
            new SwitchboardError(
              ErrorCode.GatewayUnavailable,
              `no gateway could be reached within ${timeoutMs} ms: ${this.addresses.join(', ')}`,
            ),
          );
        } catch (err) {
          reject(err);
        }
      }, timeoutMs);
      this.readyWaiters.push(check);
    });
  }

  private stateChanged(): void {
    const waiters = this.readyWaiters;
    this.readyWaiters = [];
    for (const waiter of waiters) waiter();
  }

  /** Asks one gateway; rejects with a coded error naming it if it is not linked or does not answer in time. */
  query(gateway: string, q: string, args: Record<string, unknown>): Promise<unknown> {
    return this.request(gateway, q, (id) => ({ cmd: Cmd.Query, id, q, args }));
  }

  /**
   * Sends the message `build(id)` to one gateway and resolves with the value of its QueryResult for that id.
   * `what` names the request in errors.
   */
  request(gateway: string, what: string, build: (id: number) => Message): Promise<unknown> {
    const link = this.link(gateway);
    if (!link) {
      return Promise.reject(
        new SwitchboardError(ErrorCode.GatewayUnavailable, `gateway ${gateway} is not connected (${what})`),
      );
    }
    const id = this.nextQueryId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(
          new SwitchboardError(
            ErrorCode.QueryTimeout,
            `gateway ${gateway} did not answer ${what} within ${this.options.queryTimeout} ms`,
          ),
        );
      }, this.options.queryTimeout);
      this.pending.set(id, { gateway, resolve, reject, timer });
      link.send(build(id));
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

  /** Closes every link; resolves when their sockets are closed. */
  async stop(): Promise<void> {
    const closing = [...this.registers, ...[...this.gateways.values()].map((e) => e.link)].map((l) => l.stop());
    this.gateways.clear();
    for (const [id, pending] of this.pending) {
      clearTimeout(pending.timer);
      pending.reject(
        new SwitchboardError(ErrorCode.GatewayUnavailable, `stopped before gateway ${pending.gateway} answered`),
      );
      this.pending.delete(id);
    }
    await Promise.all(closing);
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
        this.stateChanged();
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
    const known = this.gateways.get(address);
    if (known) return known;
    const tried = () => {
      entry.tried = true;
      this.stateChanged();
    };
    const entry: GatewayEntry = {
      listedBy: new Set(),
      tried: false,
      membership: null,
      link: new PersistentLink(
        parseHostPort(address),
        'gateway',
        this.options.link,
        this.options.role,
        this.options.name,
        {
          open: (link) => {
            if (this.options.routing === 'directory') {
              // A fresh link starts from a fresh snapshot: what we knew before may have changed meanwhile.
              entry.membership = new GatewayMembership();
              link.send({ cmd: Cmd.MembershipSubscribe });
            }
            tried();
            this.options.onGatewayOpen?.(address, link);
          },
          message: (msg, link) => this.fromGateway(address, msg, link),
          close: () => {
            entry.membership = null;
            this.options.onGatewayClose?.(address);
            this.failPending(address);
            this.forgetIfGone(address);
          },
          failed: () => {
            this.forgetIfGone(address);
            tried();
          },
        },
      ),
    };
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
    void entry.link.stop();
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
      case Cmd.MembershipUpdate:
      case Cmd.MembershipSynced:
      case Cmd.MembershipApplied:
        this.gateways.get(gateway)?.membership?.receive(msg);
        return;
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
      case Cmd.WorkerDrained:
        this.options.onDrained?.(gateway);
        return;
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
