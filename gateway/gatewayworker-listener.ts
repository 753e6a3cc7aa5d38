import { createServer, type Server, type Socket } from 'node:net';
import { formatHostPort, type HostPort } from '../shared/address.ts';
import { ErrorCode, SwitchboardError } from '../shared/errors.ts';
import { secretMatches } from '../shared/gatewayworker-secret.ts';
import { listenOn } from '../shared/listen.ts';
import type { Logger } from '../shared/logger.ts';
import type { ClientCommands } from './client-commands.ts';
import type { ClientRegistry } from './client-registry.ts';
import type { GatewayCounters } from './gateway-metrics.ts';
import {
  encodeAnswer,
  GatewayWorkerIds,
  GwCmd,
  gwCmdName,
  GwPacketDecoder,
  type GwPacket,
} from './gatewayworker-protocol.ts';
import { GatewayWorkerCommands, json } from './gatewayworker-commands.ts';

/** What the gateway hands its GatewayWorker-protocol listener. */
export interface GatewayWorkerListenerOptions {
  /** Where to bind (the inner bind address and `--gatewayworker-port`). */
  listen: HostPort;
  /** The address advertised in client ids and to the register (the `--lan-ip`); its port is the bound one. */
  advertisedHost: string;
  /** The secret a caller must send first; empty when none is needed. */
  secret: string;
  /** Largest packet accepted. */
  maxPacket: number;
  /** Ms a connection has to send the secret, when one is needed. */
  authTimeout: number;
  log: Logger;
}

/**
 * Serves GatewayWorker's gateway protocol to PHP's GatewayClient on `--gatewayworker-port`: each command is
 * carried out by the same `ClientCommands` and `answerQuery` that serve workers, and answered as a GatewayWorker
 * gateway answers it. Client ids are translated both ways by GatewayWorkerIds.
 */
export class GatewayWorkerListener {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private ids: GatewayWorkerIds | null = null;
  private exec: GatewayWorkerCommands | null = null;
  private bound: HostPort | null = null;

  constructor(
    private readonly registry: ClientRegistry,
    private readonly commands: ClientCommands,
    private readonly counters: GatewayCounters,
    private readonly options: GatewayWorkerListenerOptions,
  ) {
    this.server = createServer((socket) => this.connected(socket));
  }

  /** The advertised `host:port` PHP reaches this gateway at (after start). */
  get address(): string {
    return this.bound ? formatHostPort(this.bound) : '';
  }

  /** The GatewayWorker form of one of this gateway's client ids (after start). */
  toGatewayWorkerId(clientId: string): string {
    return this.ids!.toGatewayWorker(clientId);
  }

  /** Binds; `idPrefix` is the prefix of this gateway process's Switchboard client ids. */
  async start(idPrefix: string): Promise<HostPort> {
    const { port } = await listenOn(this.server, this.options.listen);
    this.bound = { host: this.options.advertisedHost, port };
    this.ids = new GatewayWorkerIds(this.bound, idPrefix);
    this.exec = new GatewayWorkerCommands(this.registry, this.commands, this.counters, this.ids);
    this.options.log.info(
      `GatewayWorker protocol for PHP GatewayClient on ${this.address}` +
        (this.options.secret ? ' (its secret travels in clear text: keep this port on a private network)' : ''),
      { gatewayWorker: this.address },
    );
    return this.bound;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private connected(socket: Socket): void {
    this.sockets.add(socket);
    const peer = `${socket.remoteAddress}:${socket.remotePort}`;
    const decoder = new GwPacketDecoder(this.options.maxPacket);
    let authorized = this.options.secret === '';
    const timer = authorized
      ? null
      : setTimeout(() => {
          this.refuse(
            socket,
            peer,
            new SwitchboardError(
              ErrorCode.AuthTimeout,
              `sent no secret within ${this.options.authTimeout} ms (set Gateway::$secretKey to the cluster's --secret)`,
            ),
          );
        }, this.options.authTimeout);
    // Packets decoded and not yet carried out: while the caller does not read its answers, the rest of what it
    // sent waits here and the socket is not read, so one connection holds at most one read's worth of commands.
    let queue: GwPacket[] = [];
    let next = 0;
    let blocked = false;
    const unblock = () => {
      blocked = false;
      socket.resume();
      run();
    };
    const run = () => {
      while (next < queue.length && !blocked && !socket.destroyed) {
        const packet = queue[next++]!;
        try {
          if (packet.cmd === GwCmd.GatewayClientConnect) {
            this.authenticate(packet);
            authorized = true;
            if (timer) clearTimeout(timer);
            continue;
          }
          if (!authorized) {
            throw new SwitchboardError(
              ErrorCode.AuthFailed,
              `sent ${gwCmdName(packet.cmd)} before the secret (set Gateway::$secretKey to the cluster's --secret)`,
            );
          }
          const answer = this.exec!.execute(packet);
          if (answer !== undefined && !socket.write(encodeAnswer(answer))) {
            blocked = true;
            socket.pause();
            socket.once('drain', unblock);
          }
        } catch (err) {
          if (err instanceof SwitchboardError) return this.refuse(socket, peer, err);
          this.counters.internalErrors++;
          this.options.log.error(`GatewayWorker-protocol ${gwCmdName(packet.cmd)} from ${peer} failed`, {
            code: ErrorCode.Internal,
            error: err,
            peer,
          });
        }
      }
      if (next === queue.length) {
        queue = [];
        next = 0;
      }
    };
    socket.on('data', (chunk: Buffer) => {
      try {
        const packets = decoder.write(chunk);
        if (queue.length === 0) queue = packets;
        else queue.push(...packets);
      } catch (err) {
        return this.refuse(socket, peer, err as SwitchboardError);
      }
      run();
    });
    socket.on('error', (err) => this.options.log.debug(`GatewayClient ${peer}: ${err.message}`, { peer }));
    socket.on('close', () => {
      if (timer) clearTimeout(timer);
      this.sockets.delete(socket);
    });
  }

  /** Logs why once, with its code, and closes this connection only. */
  private refuse(socket: Socket, peer: string, err: SwitchboardError): void {
    if (socket.destroyed) return;
    this.options.log.warn(`GatewayWorker-protocol connection from ${peer} closed: ${err.message}`, {
      code: err.code,
      peer,
    });
    socket.destroy();
  }

  private authenticate(packet: GwPacket): void {
    const info = json(packet.body, 'the secret packet');
    const given = typeof info === 'object' && info !== null ? (info as { secret_key?: unknown }).secret_key : null;
    if (secretMatches(given ?? '', this.options.secret)) return;
    throw new SwitchboardError(
      ErrorCode.AuthFailed,
      this.options.secret
        ? "wrong secret: set Gateway::$secretKey to the cluster's --secret"
        : 'the cluster has no --secret: leave Gateway::$secretKey empty',
    );
  }
}
