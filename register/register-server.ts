import type { Server } from 'node:net';
import { formatHostPort, parseHostPort, type HostPort } from '../shared/address.ts';
import { Cmd, type Message } from '../shared/commands.ts';
import { ErrorCode, SwitchboardError } from '../shared/errors.ts';
import { DEFAULT_HANDSHAKE_TIMEOUT } from '../shared/handshake.ts';
import type { Link } from '../shared/link.ts';
import { listenOn } from '../shared/listen.ts';
import { DEFAULT_MAX_FRAME_SIZE } from '../shared/codec.ts';
import { createLinkListener } from '../shared/link-server.ts';
import { GatewayWorkerRegister } from './gatewayworker-register.ts';
import { HistoryAnswers, isHistoryRequest } from './history-answers.ts';
import { parseRegisterOptions, type RegisterOptions, type ResolvedRegisterOptions } from './register-options.ts';

/**
 * Discovery: gateways announce their inner address, workers and GatewayClients subscribe and get the full
 * list at once and every change as it happens. Never on the data path of ordinary sends, so its loss stops no
 * such traffic. It also holds the embedded history of kept messages (`--history memory`, HistoryAnswers):
 * senders append to it and gateways read it, over the links they have to it anyway.
 */
export class RegisterServer {
  private readonly options: ResolvedRegisterOptions;
  private readonly server: Server;
  /** Each gateway link and the address it announced. */
  private readonly gateways = new Map<Link, string>();
  private readonly subscribers = new Set<Link>();
  private readonly links = new Set<Link>();
  /** Each gateway link and the GatewayWorker-protocol address it announced, if any. */
  private readonly gatewayWorkers = new Map<Link, string>();
  /** PHP GatewayClient's register protocol (`gatewayWorkerListen`), when on. */
  private readonly gatewayWorker: GatewayWorkerRegister | null;
  /** The embedded history: answered by every register, used by the processes that list it first. */
  readonly history: HistoryAnswers;

  constructor(options: RegisterOptions = {}) {
    this.options = parseRegisterOptions(options);
    const roles = ['gateway', 'worker', 'client'] as const;
    this.history = new HistoryAnswers((this.options.link.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE) - 4096);
    this.server = createLinkListener(
      { ...this.options.link, answersHistory: true },
      'register',
      roles,
      (link) => {
        this.links.add(link);
        link.onClose = () => this.closed(link);
      },
      (link) => this.opened(link),
    );
    const gw = this.options.gatewayWorker;
    this.gatewayWorker = gw
      ? new GatewayWorkerRegister(
          {
            ...gw,
            authTimeout: this.options.link.handshakeTimeout ?? DEFAULT_HANDSHAKE_TIMEOUT,
            log: this.options.link.log,
          },
          () => [...new Set(this.gatewayWorkers.values())],
        )
      : null;
  }

  /** The gateway addresses currently announced, without duplicates. */
  get gatewayAddresses(): string[] {
    return [...new Set(this.gateways.values())];
  }

  /** Workers and GatewayClients subscribed to the gateway list. */
  get subscriberCount(): number {
    return this.subscribers.size;
  }

  async start(): Promise<HostPort> {
    const bound = await listenOn(this.server, this.options.listen);
    this.options.link.log.info(`register listening on ${formatHostPort(bound)}`, { listen: formatHostPort(bound) });
    await this.gatewayWorker?.start();
    return bound;
  }

  async stop(): Promise<void> {
    for (const link of this.links) link.close();
    await Promise.all([new Promise<void>((resolve) => this.server.close(() => resolve())), this.gatewayWorker?.stop()]);
    this.history.close();
  }

  private opened(link: Link): void {
    if (link.role === 'gateway') {
      link.onMessage = (msg) => this.fromGateway(link, msg);
      return;
    }
    this.subscribers.add(link);
    link.onMessage = (msg) => {
      if (isHistoryRequest(msg)) return this.history.answer(link, msg);
      throw new SwitchboardError(ErrorCode.BadFrame, `a ${link.role} may not send command ${msg.cmd} to a register`);
    };
    link.send({ cmd: Cmd.GatewayList, addresses: this.gatewayAddresses });
  }

  private fromGateway(link: Link, msg: Message): void {
    if (isHistoryRequest(msg)) return this.history.answer(link, msg);
    if (msg.cmd !== Cmd.GatewayAnnounce) {
      throw new SwitchboardError(
        ErrorCode.BadFrame,
        `a gateway may only announce itself to a register (got ${msg.cmd})`,
      );
    }
    const address = formatHostPort(parseHostPort(msg.address));
    const known = this.gatewayAddresses.includes(address);
    this.gateways.set(link, address);
    this.options.link.log.info(`gateway ${address} joined`, { gateway: address });
    if (!known) this.broadcast({ cmd: Cmd.GatewayJoined, address });
    if (msg.gatewayWorker != null) {
      this.gatewayWorkers.set(link, formatHostPort(parseHostPort(msg.gatewayWorker)));
      this.gatewayWorker?.changed();
    }
  }

  private closed(link: Link): void {
    this.links.delete(link);
    this.subscribers.delete(link);
    const address = this.gateways.get(link);
    if (address === undefined) return;
    this.gateways.delete(link);
    if (this.gatewayWorkers.delete(link)) this.gatewayWorker?.changed();
    this.options.link.log.info(`gateway ${address} left`, { gateway: address });
    if (!this.gatewayAddresses.includes(address)) this.broadcast({ cmd: Cmd.GatewayLeft, address });
  }

  private broadcast(msg: Message): void {
    for (const link of this.subscribers) link.send(msg);
  }
}
