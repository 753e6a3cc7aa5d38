import type { HostPort } from '../shared/address.ts';
import { Cmd, cmdName, type Message } from '../shared/commands.ts';
import { ErrorCode, SwitchboardError } from '../shared/errors.ts';
import type { Link, LinkOptions, PeerRole } from '../shared/link.ts';
import { isResultOf, type QueryArgs, type QueryName, type QueryResult } from '../shared/queries.ts';
import type { HistoryStore } from '../history/history-store.ts';
import { RedisHistory } from '../history/redis-history.ts';
import { RegisterHistory } from '../history/register-history.ts';
import { DEFAULT_HISTORY_SIZE, DEFAULT_HISTORY_TTL } from '../history/history-store.ts';
import { formatHostPort } from '../shared/address.ts';
import type { ResolvedGatewayApiOptions } from './gateway-api-options.ts';
import { GatewayLinks } from './gateway-links.ts';
import { MembershipRouting } from './membership-routing.ts';
import { PendingQueries } from './pending-queries.ts';
import { ReadyWaiters } from './ready-waiters.ts';
import { persistentLinks, type Connect } from './reconnecting-link.ts';
import { RegisterDiscovery } from './register-discovery.ts';

/** A client event a gateway forwards to a worker. */
export type ClientEvent = Extract<Message, { cmd: typeof Cmd.EvConnect | typeof Cmd.EvMessage | typeof Cmd.EvClose }>;

export interface DirectoryOptions extends ResolvedGatewayApiOptions {
  /** Where kept sends write their history (`memory`: the first register's). @default 'memory' */
  history?: string;
  historySize?: number;
  historyTtl?: number;
  registers: HostPort[];
  link: LinkOptions;
  role: Extract<PeerRole, 'worker' | 'client'>;
  /** How this process introduces itself to registers and gateways, for their logs. */
  name: string;
  /** Client events from gateways (workers only). */
  onEvent?: (msg: ClientEvent, link: Link, gateway: string) => void;
  /** A link to a gateway was (re)established. */
  onGatewayOpen?: (gateway: string, link: Link) => void;
  /** A gateway has no event of ours in flight any more, after we said we are draining. */
  onDrained?: (gateway: string) => void;
  /** Our link to a gateway broke. */
  onGatewayClose?: (gateway: string) => void;
  /** How links to registers and gateways are made. @default a PersistentLink each */
  connect?: Connect;
}

/**
 * Every gateway a worker (or GatewayClient) knows of, learnt from all the registers, with one persistent
 * authenticated link to each. A gateway is forgotten only when our own link to it is down *and* no register
 * lists it any more: a register that just restarted and knows little never cuts a working link.
 *
 * A gateway that is known but not linked (our link is down or not up yet, and some register still lists it)
 * is "unreachable": calls about one of its clients treat the client as offline, and aggregate queries reject
 * at once with SB_ERR_GATEWAY_UNAVAILABLE rather than undercount or wait.
 *
 * Made of one part per job: RegisterDiscovery (which gateways the registers list), GatewayLinks (our links to
 * them), MembershipRouting (who each holds, to narrow sends), PendingQueries (requests waiting for an answer)
 * and ReadyWaiters (callers waiting for the gateways to be known). This class wires them together.
 */
export class GatewayDirectory {
  private readonly discovery: RegisterDiscovery;
  private readonly links: GatewayLinks;
  private readonly routing: MembershipRouting;
  private readonly pending: PendingQueries;
  private readonly waiters: ReadyWaiters;
  /**
   * The history that kept sends write before they leave: Redis, or the embedded one held by the first register
   * (reached over our link to it).
   */
  readonly history: HistoryStore;

  constructor(private readonly options: DirectoryOptions) {
    const { history = 'memory' } = options;
    const size = options.historySize ?? DEFAULT_HISTORY_SIZE;
    const ttl = options.historyTtl ?? DEFAULT_HISTORY_TTL;
    const first = options.registers[0];
    // The embedded history is the first register's: every process must list the registers in the same order.
    const embedded =
      history === 'memory' ? new RegisterHistory(first ? formatHostPort(first) : 'none', size, ttl) : null;
    this.history = embedded ?? new RedisHistory(RedisHistory.addressOf(history), size, ttl);
    const connect = options.connect ?? persistentLinks(options.link, options.role, options.name);
    this.routing = new MembershipRouting(options.routing);
    this.pending = new PendingQueries(options.queryTimeout);
    this.waiters = new ReadyWaiters(() => this.isReady && this.links.size > 0);
    this.links = new GatewayLinks(connect, {
      open: (address, link) => {
        this.routing.opened(address, link);
        this.waiters.check();
        this.options.onGatewayOpen?.(address, link);
      },
      message: (address, msg, link) => this.fromGateway(address, msg, link),
      close: (address) => {
        this.routing.closed(address);
        this.options.onGatewayClose?.(address);
        this.pending.failGateway(address, `gateway ${address} went away before answering`);
        this.forgetIfGone(address);
      },
      failed: (address) => {
        this.forgetIfGone(address);
        this.waiters.check();
      },
    });
    this.discovery = new RegisterDiscovery(options.registers, connect, {
      listed: (address) => this.links.add(address),
      unlisted: (address, register) => this.unlisted(address, register),
      listReceived: () => this.waiters.check(),
      ...(embedded ? { firstRegister: embedded } : {}),
    });
  }

  /** Addresses (`host:port`) of every known gateway, linked or not. */
  get addresses(): string[] {
    return this.links.addresses;
  }

  /** The open link to the gateway at `address`, or null. */
  link(address: string): Link | null {
    return this.links.open(address);
  }

  /** Sends `message` to the gateway at `address` if it is linked (else drops it: its clients are gone). */
  send(address: string, message: Message): void {
    const link = this.links.open(address);
    if (!link) return;
    this.routing.sending(address, message);
    link.send(message);
  }

  /**
   * For a message meant for every gateway, calls `each` with every known gateway (linked or not) that must
   * get it, and the part of it that gateway needs: with `directory` routing, a uid or group send skips the
   * gateways that hold none of its names.
   */
  forEachTarget(message: Message, each: (address: string, message: Message) => void): void {
    for (const address of this.links.addresses) {
      const part = this.routing.narrow(address, message);
      if (part) each(address, part);
    }
  }

  /** Sends a message meant for every gateway to each linked one that must get it (see forEachTarget). */
  sendToTargets(message: Message): void {
    this.forEachTarget(message, this.sendToOne);
  }

  private readonly sendToOne = (address: string, message: Message) => this.send(address, message);

  /**
   * Readiness of this process as a caller (`/readyz` of workers and the HTTP API): null when linked to a
   * register and to every gateway it knows, else what is missing.
   */
  notReady(): string | null {
    const registers = this.discovery.linkedRegisters;
    if (registers.linked === 0) return `no register linked (${this.discovery.where})`;
    if (!this.discovery.heardFromRegister) return 'no register has sent its gateway list yet';
    const known = this.links.addresses;
    const down = known.filter((address) => !this.links.isOpen(address));
    if (down.length > 0)
      return `${down.length} of ${known.length} gateway(s) not linked: ${down.slice(0, 5).join(', ')}`;
    return null;
  }

  /** Open links to every known gateway. */
  openLinks(): Iterable<Link> {
    return this.links.openLinks();
  }

  /** Throws SB_ERR_NO_GATEWAY, saying what is missing, when no gateway is known. */
  requireGateways(call: string): void {
    const missing = this.noGateway(call);
    if (missing) throw missing;
  }

  private noGateway(call: string): SwitchboardError | null {
    if (this.links.size > 0) return null;
    const where = this.discovery.where;
    return new SwitchboardError(
      ErrorCode.NoGateway,
      this.discovery.heardFromRegister
        ? `${call}: no gateway is running: the register (${where}) lists none; start a gateway with --register ${where}`
        : `${call}: no gateway is known: no register (${where}) has answered; check that it runs and that every process has the same secret`,
    );
  }

  /** Some register answered and every gateway it listed has been tried once. */
  get isReady(): boolean {
    return this.discovery.heardFromRegister && this.links.allTried;
  }

  /**
   * Resolves once the gateways are known (see isReady) and at least one is linked; rejects with
   * SB_ERR_NO_GATEWAY after `timeoutMs`, saying what is missing.
   */
  whenReady(timeoutMs: number): Promise<void> {
    return this.waiters.wait(
      timeoutMs,
      () =>
        this.noGateway(`waited ${timeoutMs} ms`) ??
        new SwitchboardError(
          ErrorCode.GatewayUnavailable,
          `no gateway could be reached within ${timeoutMs} ms: ${this.addresses.join(', ')}`,
        ),
    );
  }

  /** Asks one gateway; rejects with a coded error naming it if it is not linked or does not answer in time. */
  query<Q extends QueryName>(gateway: string, q: Q, args: QueryArgs<Q>): Promise<QueryResult<Q>> {
    return this.request(
      gateway,
      q,
      (id) => ({ cmd: Cmd.Query, id, q, args }),
      (value) => isResultOf(q, value),
    );
  }

  /**
   * Sends the message `build(id)` to one gateway and resolves with the value of its QueryResult for that id,
   * once `isValid` accepts it. `what` names the request in errors.
   */
  request<T>(
    gateway: string,
    what: string,
    build: (id: number) => Message,
    isValid: (value: unknown) => value is T,
  ): Promise<T> {
    const link = this.links.open(gateway);
    if (!link) {
      return Promise.reject(
        new SwitchboardError(ErrorCode.GatewayUnavailable, `gateway ${gateway} is not connected (${what})`),
      );
    }
    const { id, answer } = this.pending.add(gateway, what, isValid);
    link.send(build(id));
    return answer;
  }

  /**
   * Asks every known gateway in parallel; rejects if any of them cannot answer (never undercounts): at once
   * with SB_ERR_GATEWAY_UNAVAILABLE for an unreachable one, after `queryTimeout` with SB_ERR_QUERY_TIMEOUT for
   * a linked one that stays silent, or when its link breaks while we wait.
   */
  queryAll<Q extends QueryName>(q: Q, args: QueryArgs<Q>): Promise<QueryResult<Q>[]> {
    this.requireGateways(q);
    return Promise.all(this.addresses.map((gateway) => this.query(gateway, q, args)));
  }

  /** Closes every link and fails what still waits; resolves when the sockets are closed. */
  async stop(): Promise<void> {
    const closing = [this.discovery.stop(), this.links.stop(), this.history.close()];
    this.pending.failAll();
    this.waiters.cancel(new SwitchboardError(ErrorCode.NoGateway, 'stopped before the gateways were reached'));
    await Promise.all(closing);
  }

  /**
   * A register no longer lists a gateway. If our link to it looks open, it is probed at once: the link to a
   * gateway that died or was cut off closes within one heartbeat interval instead of three or four, and one
   * that is only out of touch with that register answers the probe and stays.
   */
  private unlisted(address: string, register: string): void {
    const link = this.links.open(address);
    if (link) {
      this.options.link.log.debug(`register ${register} does not list gateway ${address}; checking our link`, {
        gateway: address,
      });
      link.probe();
    }
    this.forgetIfGone(address);
  }

  private forgetIfGone(address: string): void {
    if (!this.links.has(address) || this.discovery.isListed(address) || this.links.isOpen(address)) return;
    this.links.forget(address);
    this.options.link.log.info(`forgot gateway ${address}: our link is down and no register lists it`);
  }

  private fromGateway(gateway: string, msg: Message, link: Link): void {
    switch (msg.cmd) {
      case Cmd.MembershipUpdate:
      case Cmd.MembershipSynced:
      case Cmd.MembershipApplied:
        return this.routing.receive(gateway, msg);
      case Cmd.QueryResult:
      case Cmd.QueryError:
        this.pending.settle(gateway, msg); // false: answered after its timeout
        return;
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
