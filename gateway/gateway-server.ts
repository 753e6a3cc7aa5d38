import type { IncomingMessage } from 'node:http';
import type { Server } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import { formatHostPort, type HostPort } from '../shared/address.ts';
import { ClientIdFactory } from '../shared/client-id.ts';
import { Cmd, cmdName, type ClientRequest, type Message } from '../shared/commands.ts';
import { ErrorCode, SwitchboardError } from '../shared/errors.ts';
import { Link, type LinkOptions } from '../shared/link.ts';
import { listenOn } from '../shared/listen.ts';
import { createLinkListener } from '../shared/link-server.ts';
import { PersistentLink } from '../shared/persistent-link.ts';
import { ClientHeartbeat } from './client-heartbeat.ts';
import { ClientRegistry, ClientState } from './client-registry.ts';
import { parseGatewayOptions, type GatewayOptions, type ResolvedGatewayOptions } from './gateway-options.ts';
import { HttpServer, type PublicTls } from './http-server.ts';
import { readFileSync } from 'node:fs';
import { answerQuery } from './queries.ts';
import { addClientLibraryRoutes, addDemoRoutes, addHealthRoutes, addMetricsRoute } from './web-routes.ts';
import { WorkerRouter, type RoutedWorker } from './worker-router.ts';
import { Admission } from './admission.ts';
import { ClientInput } from './client-input.ts';
import { GatewayCounters, gatewayMetrics } from './gateway-metrics.ts';
import { MembershipFeed, namesNotHeld } from './membership-feed.ts';
import { ClientCommands } from './client-commands.ts';
import { acceptRecovery, chooseProtocol } from './kept-handshake.ts';
import { KeptMessages } from './kept-messages.ts';
import { CloseCode } from './close-codes.ts';
import { DEFAULT_GW_MAX_PACKET } from './gatewayworker-protocol.ts';
import { GatewayWorkerListener } from './gatewayworker-listener.ts';
import { DEFAULT_HANDSHAKE_TIMEOUT } from '../shared/handshake.ts';
import { drainGateway } from './gateway-drain.ts';
import { ReplyBatch } from './reply-batch.ts';
import { Health } from '../shared/health.ts';
import { codecWire, websocketWire, type ClientConnection, type ClientWire } from './client-connection.ts';
import { loadProtocol } from './protocols/load-protocol.ts';
import type { ReadFailure } from './protocols/message-reader.ts';
import type { TcpClient } from './tcp-client.ts';
import { TcpListener } from './tcp-listener.ts';

export { CloseCode };

/**
 * A gateway owns client connections and nothing else: it forwards each client event to one business worker
 * and carries out the commands workers send back. No application code runs here.
 */
export class GatewayServer {
  readonly options: ResolvedGatewayOptions;
  readonly registry = new ClientRegistry();
  readonly router: WorkerRouter;
  readonly counters = new GatewayCounters();
  /** `/livez` and `/readyz`: ready while linked to a register and to at least one worker, and not draining. */
  readonly health = new Health()
    .add('registers', () => (this.registers.some((r) => r.isOpen) ? null : 'no register linked'))
    .add('workers', () => (this.router.workerCount > 0 ? null : 'no business worker linked'));
  private accepting = true;
  private readonly membership = new MembershipFeed(this.registry);
  /** Replies wait for the end of an input that changed membership, so its changes leave as one update. */
  private readonly replies = new ReplyBatch(() => this.membership.hasPending);
  private readonly admission: Admission;
  private readonly input: ClientInput;
  /** Made by start, once the protocol is loaded. */
  private commands!: ClientCommands;
  private kept: KeptMessages | null = null;
  private wire: ClientWire = websocketWire;
  /** Register links lost (each is then re-established with backoff). */
  reconnects = 0;
  /** Clients whose connection is gone but whose close event is not handled yet. */
  private readonly closing = new Map<string, ClientState>();
  private ids!: ClientIdFactory;
  private innerAddress = '';
  private readonly innerServer: Server;
  private readonly innerLinks = new Set<Link>();
  private wss: WebSocketServer | null = null;
  private http: HttpServer | null = null;
  private tcp: TcpListener | null = null;
  private registers: PersistentLink[] = [];
  private heartbeat: ClientHeartbeat | null = null;
  /** GatewayWorker's protocol for PHP GatewayClient (`gatewayWorkerPort`), when on. */
  private gatewayWorker: GatewayWorkerListener | null = null;
  /** The options of every internal link, with failures of our own command handling counted. */
  private readonly link: LinkOptions;
  private get log() {
    return this.options.log;
  }

  constructor(options: GatewayOptions = {}) {
    this.options = parseGatewayOptions(options);
    this.link = { ...this.options.link, onInternalError: () => this.counters.internalErrors++ };
    this.admission = new Admission(this.options);
    const { maxPendingEvents, maxEventsInFlight } = this.options;
    this.router = new WorkerRouter(this.log, maxPendingEvents, (c) => this.closing.delete(c.id), maxEventsInFlight);
    this.input = new ClientInput(this.options, this.counters, this.router);
    this.innerServer = createLinkListener(
      this.link,
      'gateway',
      ['worker', 'client'],
      (link) => {
        this.innerLinks.add(link);
        link.onClose = () => this.innerLinks.delete(link);
      },
      (link) => this.peerOpened(link),
    );
  }

  /** The inner address workers use, `host:port`; client ids encode it. */
  get address(): string {
    return this.innerAddress;
  }

  /** What clients speak: `websocket`, `text`, `frame` or a codec's name (known once started). */
  get protocol(): string {
    return this.wire.protocol;
  }

  /**
   * Loads the protocol, starts the inner server, then the public port (WebSocket, or the TCP listener), then
   * announces itself to the registers.
   */
  async start(): Promise<{ listen: HostPort; inner: HostPort }> {
    const { inner, innerListen, listen } = this.options;
    const codec = await loadProtocol(this.options.protocol);
    if (codec) this.wire = codecWire(codec, this.log);
    this.commands = new ClientCommands(
      this.registry,
      this.membership,
      this.options,
      this.counters,
      this.log,
      this.wire,
      (this.kept = new KeptMessages(this.options, this.log)),
    );
    const kept = this.kept;
    // Under a supervisor each gateway owns its inner port (listenOn is exclusive); only the public port is shared.
    const { port } = await listenOn(this.innerServer, innerListen);
    // Workers are told the advertised address; the bound port is the same (innerPort, or the one picked for 0).
    const innerBound = { host: inner.host, port };
    const bindAddress = formatHostPort({ host: innerListen.host, port: innerBound.port });
    this.innerAddress = formatHostPort(innerBound);
    this.ids = new ClientIdFactory(innerBound);
    const gw = this.options.gatewayWorker;
    if (gw) {
      this.gatewayWorker = new GatewayWorkerListener(this.registry, this.commands, this.counters, {
        listen: gw.listen,
        advertisedHost: inner.host,
        secret: gw.secret,
        maxPacket: this.link.maxFrameSize ?? DEFAULT_GW_MAX_PACKET,
        authTimeout: this.link.handshakeTimeout ?? DEFAULT_HANDSHAKE_TIMEOUT,
        log: this.log,
      });
      await this.gatewayWorker.start(this.ids.prefix);
    }

    let listenBound: HostPort;
    let scheme: string;
    if (codec) {
      this.tcp = new TcpListener(codec, this.options.maxMessageSize, this.tcpEvents, this.readPublicTls());
      listenBound = await this.tcp.listen(listen);
      scheme = codec.name;
    } else {
      listenBound = await this.startWebSocket(listen);
      scheme = this.options.publicTls ? 'wss' : 'ws';
    }

    // --ping-interval 0: no heartbeats at all, as in GatewayWorker.
    const ping = this.options.pingInterval > 0 ? this.wire.heartbeat(this.options.pingData) : null;
    this.heartbeat = ping
      ? new ClientHeartbeat(this.registry, this.options.pingInterval, this.options.pingNotResponseLimit, ping, (id) =>
          this.log.info(`client ${id} missed ${this.options.pingNotResponseLimit} heartbeats: disconnected`),
        )
      : null;
    // The first register also holds the embedded history, which replays read over this link (KeptMessages).
    this.registers = this.options.registers.map(
      (address, index) =>
        new PersistentLink(address, 'register', this.link, 'gateway', `gateway ${this.innerAddress}`, {
          open: (link) => {
            link.send({
              cmd: Cmd.GatewayAnnounce,
              address: this.innerAddress,
              ...(this.gatewayWorker ? { gatewayWorker: this.gatewayWorker.address } : {}),
            });
            if (index === 0) kept.registerOpened(link);
          },
          message: (msg) => {
            if (index === 0 && kept.fromRegister(msg)) return;
            throw new SwitchboardError(ErrorCode.BadFrame, `unexpected ${cmdName(msg.cmd)} from a register`);
          },
          close: () => {
            this.reconnects++;
            if (index === 0) kept.registerLost();
          },
        }),
    );
    const bound = bindAddress === this.innerAddress ? '' : ` (bound to ${bindAddress})`;
    const tls = codec && this.options.publicTls ? ' (TLS)' : '';
    this.log.info(
      `gateway listening on ${scheme}://${formatHostPort(listenBound)}${tls}, inner ${this.innerAddress}${bound}`,
      {
        listen: formatHostPort(listenBound),
        inner: this.innerAddress,
        innerListen: bindAddress,
        protocol: this.wire.protocol,
      },
    );
    if (this.options.demo) this.log.info(`demo chat page on http://${formatHostPort(listenBound)}/`);
    return { listen: listenBound, inner: innerBound };
  }

  /** One public port: WebSocket upgrades become clients, plain HTTP requests go to the routes. */
  private async startWebSocket(listen: HostPort): Promise<HostPort> {
    const wss = new WebSocketServer({
      noServer: true,
      maxPayload: this.options.maxMessageSize,
      perMessageDeflate: false,
      clientTracking: false,
      handleProtocols: chooseProtocol,
      verifyClient: (info, done) => {
        const refusal = this.admission.checkOrigin(info.req);
        if (refusal) this.log.info(`refused a client: ${refusal.reason}`, { ip: info.req.socket.remoteAddress });
        if (refusal) done(false, refusal.status, refusal.reason);
        else done(true);
      },
    });
    this.wss = wss;
    const http = new HttpServer(
      (req, socket, head) => wss.handleUpgrade(req, socket, head, (ws) => this.clientConnected(ws, req)),
      this.readPublicTls(),
    );
    this.http = http;
    await addClientLibraryRoutes(http);
    addHealthRoutes(http, this.health);
    if (this.options.httpMetrics) addMetricsRoute(http, gatewayMetrics(this));
    if (this.options.demo) await addDemoRoutes(http);
    return http.listen(listen);
  }

  /** Reads the public port's certificate and key again (SIGHUP, `switchboard reload --tls`). */
  reloadTls(): void {
    const port = this.http ?? this.tcp;
    if (!port || !this.options.publicTls) return;
    try {
      port.setTls(this.readPublicTls()!);
      this.log.info('reloaded the TLS certificate of the public port');
    } catch (err) {
      this.log.error(`TLS certificate not reloaded, the old one stays: ${(err as Error).message}`, { error: err });
    }
  }

  private readPublicTls(): PublicTls | undefined {
    const files = this.options.publicTls;
    if (!files) return undefined;
    const read = (flag: string, path: string) => {
      try {
        return readFileSync(path);
      } catch (cause) {
        throw new SwitchboardError(ErrorCode.InvalidOption, `${flag} ${path}: ${(cause as Error).message}`, { cause });
      }
    };
    return { cert: read('--cert', files.certFile), key: read('--key', files.keyFile) };
  }

  /** Coalesced membership update frames sent to subscribers (metrics). */
  get membershipUpdates(): number {
    return this.membership.updateFrames;
  }

  /** Figures for `switchboard status`. */
  stats(): Record<string, number> {
    return {
      connections: this.registry.clients.size,
      uids: this.registry.uids.size,
      groups: this.registry.groups.size,
      messagesIn: this.counters.messagesIn,
      messagesOut: this.counters.messagesOut,
      workers: this.router.workerCount,
      queuedEvents: this.router.queuedEvents(),
      lostEvents: this.router.lostEvents,
    };
  }

  /**
   * SIGTERM: with `drainTime` > 0, drains (gateway-drain.ts: not ready, stop accepting, clients closed with
   * 1012 over drainTime, then stop); else stops at once.
   */
  shutdown(): Promise<void> {
    if (this.options.drainTime === 0) return this.stop();
    return drainGateway(
      {
        health: this.health,
        clientConnections: () => [...this.registry.clients.values()].map((c) => c.conn),
        unfinishedClients: () => this.registry.clients.size + this.closing.size,
        stopAccepting: () => {
          this.accepting = false;
          this.http?.stopAccepting();
          this.tcp?.stopAccepting();
        },
        stop: () => this.stop(),
      },
      this.options.drainTime,
      this.log,
    );
  }

  /** Closes every client with 1001 (going away), then the servers and links. */
  async stop(): Promise<void> {
    this.heartbeat?.cancel();
    for (const client of this.registry.clients.values()) client.conn.close(CloseCode.GoingAway, 'gateway stopping');
    for (const register of this.registers) register.stop();
    for (const link of this.innerLinks) link.close();
    await Promise.all([
      new Promise<void>((resolve) => (this.wss ? this.wss.close(() => resolve()) : resolve())),
      this.http?.close(),
      this.tcp?.close(),
      new Promise<void>((resolve) => this.innerServer.close(() => resolve())),
      this.gatewayWorker?.stop(),
      this.kept?.close(),
    ]);
  }

  private clientConnected(ws: WebSocket, req: IncomingMessage): void {
    const url = req.url ?? '/';
    const request: ClientRequest = {
      url,
      // URLSearchParams never throws, whatever the client sent (new URL() does, e.g. for '//[').
      query: Object.fromEntries(new URLSearchParams(url.split('?')[1] ?? '')),
      headers: req.headers,
      ip: req.socket.remoteAddress ?? '',
      port: req.socket.remotePort ?? 0,
      protocol: 'websocket',
    };
    const client = this.addClient(ws, request);
    if (!client) return;
    (ws as ClientSocket)[CLIENT] = client;
    acceptRecovery(client, ws, req);
    const on = this.clientListeners;
    ws.on('message', on.message);
    ws.on('pong', on.pong);
    ws.on('error', on.error);
    ws.on('close', on.close);
  }

  /**
   * The listeners of every client socket, made once: ws calls them with the socket as `this`, and the socket
   * carries its client, so a connection costs no closures of its own (idle memory per connection counts).
   */
  private readonly clientListeners = this.makeClientListeners();

  private makeClientListeners() {
    const server = this;
    return {
      message(this: WebSocket, data: Buffer, isBinary: boolean) {
        server.clientMessage(clientOf(this), data, isBinary);
      },
      pong(this: WebSocket) {
        clientOf(this).missedPings = 0;
      },
      error(this: WebSocket, err: Error & { code?: string }) {
        const client = clientOf(this);
        server.log.info(`client ${client.id} closed: ${err.message}`, { code: err.code, ip: client.ip });
      },
      close(this: WebSocket) {
        const client = clientOf(this);
        server.admission.release(client.ip);
        server.clientClosed(client);
      },
    };
  }

  /** The listeners of every TCP client, made once (the connection carries its client). */
  private readonly tcpEvents = {
    connected: (conn: TcpClient) => this.tcpConnected(conn),
    message: (conn: TcpClient, data: string | Buffer, bytes: number) => {
      if (this.input.admit(conn.client!, bytes)) this.input.queue(conn.client!, data);
    },
    badInput: (conn: TcpClient, failure: ReadFailure) => {
      this.counters.badMessages++;
      const client = conn.client!;
      this.log.warn(`client ${client.id} cut off: ${failure.reason}`, {
        code: failure.code,
        ip: client.ip,
        ...(failure.cause === undefined ? {} : { error: failure.cause }),
      });
    },
    error: (conn: TcpClient, err: Error & { code?: string }) => {
      const client = conn.client;
      if (client) this.log.info(`client ${client.id} closed: ${err.message}`, { code: err.code, ip: client.ip });
    },
    closed: (conn: TcpClient) => {
      const client = conn.client;
      if (!client) return;
      this.admission.release(client.ip);
      this.clientClosed(client);
    },
  };

  private tcpConnected(conn: TcpClient): void {
    const { socket } = conn;
    const request: ClientRequest = {
      url: '',
      query: {},
      headers: {},
      ip: socket.remoteAddress ?? '',
      port: socket.remotePort ?? 0,
      protocol: this.wire.protocol,
    };
    const client = this.addClient(conn, request);
    if (client) conn.client = client;
  }

  /**
   * A new client of either protocol: refused while draining or by admission (closed with the reason's code,
   * which only WebSocket clients see), else registered and its connect event queued.
   */
  private addClient(conn: ClientConnection, request: ClientRequest): ClientState | null {
    if (!this.accepting) {
      conn.close(CloseCode.ServiceRestart, 'gateway draining');
      return null;
    }
    const refusal = this.admission.admit(request.ip);
    if (refusal) {
      this.log.warn(`refused a client: ${refusal.reason}`, { ip: request.ip });
      conn.close(refusal.status, refusal.reason);
      return null;
    }
    const client = new ClientState(this.ids.next(), conn, request.ip);
    if (this.gatewayWorker) request.gatewayWorkerClientId = this.gatewayWorker.toGatewayWorkerId(client.id);
    client.port = request.port;
    this.registry.add(client);
    this.counters.connectionsOpened++;
    this.router.enqueue(client, { kind: 'connect', request });
    return client;
  }

  private clientMessage(client: ClientState, data: Buffer, isBinary: boolean): void {
    if (this.input.admit(client, data.length)) this.input.queue(client, isBinary ? data : data.toString());
  }

  private clientClosed(client: ClientState): void {
    if (client.gone) return;
    client.gone = true;
    this.input.left(client);
    this.registry.remove(client);
    this.closing.set(client.id, client);
    this.router.enqueue(client, { kind: 'close' });
  }

  private peerOpened(link: Link): void {
    const worker = link.role === 'worker' ? this.router.addWorker(link) : null;
    this.log.info(`${link.role} ${link.name} connected`, { peer: link.remote });
    const execute = (msg: Message) => this.command(link, worker, msg);
    link.onMessage = (msg) => this.replies.handle(msg, execute);
    link.onClose = (err) => {
      this.innerLinks.delete(link);
      this.membership.unsubscribe(link);
      if (worker) this.router.removeWorker(worker);
      this.log.info(`${link.role} ${link.name} disconnected${err ? `: ${err.message}` : ''}`, { code: err?.code });
    };
  }

  /** Carries out one command from a worker or client. Arguments were type-checked by parseMessage. */
  private command(link: Link, worker: RoutedWorker | null, msg: Message): void {
    const { registry } = this;
    switch (msg.cmd) {
      case Cmd.EventDone: {
        const client = registry.get(msg.client) ?? this.closing.get(msg.client);
        if (client && worker) this.router.done(worker, client);
        return;
      }
      case Cmd.SendToClients:
      case Cmd.SendToUids:
      case Cmd.SendToGroups:
      case Cmd.SendToAll: {
        this.counters.sendCommands++;
        if (msg.cmd === Cmd.SendToUids) this.counters.namesNotHeld += namesNotHeld(registry, msg.uids, 'uid');
        if (msg.cmd === Cmd.SendToGroups) this.counters.namesNotHeld += namesNotHeld(registry, msg.groups, 'group');
        const delivered = this.commands.send(msg);
        if (msg.id != null) link.send({ cmd: Cmd.QueryResult, id: msg.id, value: delivered });
        return;
      }
      case Cmd.BindUid:
      case Cmd.JoinGroup:
        this.commands.client(msg);
        // The subscriber counts on this answer to know its own bind or join has taken effect here.
        this.membership.applied(link);
        return;
      case Cmd.UnbindUid:
      case Cmd.LeaveGroup:
      case Cmd.SetSession:
      case Cmd.UpdateSession:
      case Cmd.CloseClient:
      case Cmd.DestroyClient:
      case Cmd.SetRouteKey:
        return this.commands.client(msg);
      case Cmd.Ungroup:
        return registry.ungroup(msg.group);
      case Cmd.WorkerDraining:
        if (worker) this.router.drain(worker);
        return;
      case Cmd.MembershipSubscribe:
        return this.membership.subscribe(link);
      case Cmd.Query:
        try {
          link.send({ cmd: Cmd.QueryResult, id: msg.id, value: answerQuery(registry, msg.q, msg.args) });
        } catch (err) {
          const e = err instanceof SwitchboardError ? err : new SwitchboardError(ErrorCode.QueryFailed, String(err));
          link.send({ cmd: Cmd.QueryError, id: msg.id, code: e.code, message: e.message });
        }
        return;
      default:
        throw new SwitchboardError(ErrorCode.BadFrame, `a gateway does not accept ${cmdName(msg.cmd)}`);
    }
  }
}

/** Where a client socket keeps its client, for the shared listeners. */
const CLIENT = Symbol('client');
type ClientSocket = WebSocket & { [CLIENT]: ClientState };
const clientOf = (ws: WebSocket) => (ws as ClientSocket)[CLIENT];
