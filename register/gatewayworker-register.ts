import { createServer, type Server, type Socket } from 'node:net';
import { formatHostPort, type HostPort } from '../shared/address.ts';
import { ErrorCode, SwitchboardError } from '../shared/errors.ts';
import { secretMatches } from '../shared/gatewayworker-secret.ts';
import { listenOn } from '../shared/listen.ts';
import type { Logger } from '../shared/logger.ts';

/** @default 64 KiB: the longest line a GatewayClient may send to the register (its requests are a few bytes). */
export const GW_REGISTER_MAX_LINE = 64 * 1024;

export interface GatewayWorkerRegisterOptions {
  listen: HostPort;
  /** The secret a caller must send; empty when none is needed. */
  secret: string;
  /** Ms a connection has to send its first request. */
  authTimeout: number;
  log: Logger;
}

/**
 * GatewayWorker's register protocol for PHP's GatewayClient: newline-terminated JSON. A caller sends
 * `{"event":"worker_connect","secret_key":"…"}` and gets `{"event":"broadcast_addresses","addresses":[…]}`,
 * the GatewayWorker-protocol address of every gateway that serves one, then the list again whenever it
 * changes, for as long as it stays connected; `{"event":"ping"}` keeps a connection alive.
 */
export class GatewayWorkerRegister {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  /** Connections that asked for the addresses, and get every change. */
  private readonly subscribers = new Set<Socket>();

  constructor(
    private readonly options: GatewayWorkerRegisterOptions,
    /** The GatewayWorker-protocol addresses of the gateways now registered. */
    private readonly addresses: () => string[],
  ) {
    this.server = createServer((socket) => this.connected(socket));
  }

  async start(): Promise<HostPort> {
    const bound = await listenOn(this.server, this.options.listen);
    this.options.log.info(
      `GatewayWorker register protocol for PHP GatewayClient on ${formatHostPort(bound)}` +
        (this.options.secret ? ' (its secret travels in clear text: keep this port on a private network)' : ''),
      { gatewayWorkerListen: formatHostPort(bound) },
    );
    return bound;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Tells every subscribed caller the new list: a gateway joined or left. */
  changed(): void {
    const line = this.line();
    for (const socket of this.subscribers) socket.write(line);
  }

  private line(): string {
    return JSON.stringify({ event: 'broadcast_addresses', addresses: this.addresses() }) + '\n';
  }

  private connected(socket: Socket): void {
    this.sockets.add(socket);
    const peer = `${socket.remoteAddress}:${socket.remotePort}`;
    let buffered = '';
    let timer: NodeJS.Timeout | null = setTimeout(() => {
      this.refuse(
        socket,
        peer,
        new SwitchboardError(ErrorCode.AuthTimeout, `sent no request within ${this.options.authTimeout} ms`),
      );
    }, this.options.authTimeout);
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      buffered += chunk;
      let end: number;
      while ((end = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, end).trim();
        buffered = buffered.slice(end + 1);
        if (line === '') continue;
        try {
          this.request(socket, line);
        } catch (err) {
          return this.refuse(socket, peer, err as SwitchboardError);
        }
        if (timer) clearTimeout(timer);
        timer = null;
      }
      if (buffered.length > GW_REGISTER_MAX_LINE) {
        this.refuse(
          socket,
          peer,
          new SwitchboardError(ErrorCode.FrameTooLarge, `sent a line longer than ${GW_REGISTER_MAX_LINE} bytes`),
        );
      }
    });
    socket.on('error', (err) => this.options.log.debug(`GatewayClient ${peer}: ${err.message}`, { peer }));
    socket.on('close', () => {
      if (timer) clearTimeout(timer);
      this.sockets.delete(socket);
      this.subscribers.delete(socket);
    });
  }

  private request(socket: Socket, line: string): void {
    let data: unknown;
    try {
      data = JSON.parse(line);
    } catch {
      throw new SwitchboardError(ErrorCode.NotGatewayClient, 'sent a line that is not JSON');
    }
    const { event, secret_key: secret } = (typeof data === 'object' && data !== null ? data : {}) as {
      event?: unknown;
      secret_key?: unknown;
    };
    switch (event) {
      case 'worker_connect':
        if (!secretMatches(secret ?? '', this.options.secret)) {
          throw new SwitchboardError(
            ErrorCode.AuthFailed,
            this.options.secret
              ? "wrong secret: set Gateway::$secretKey to the cluster's --secret"
              : 'the cluster has no --secret: leave Gateway::$secretKey empty',
          );
        }
        this.subscribers.add(socket);
        socket.write(this.line());
        return;
      case 'ping':
        return;
      case 'gateway_connect':
        throw new SwitchboardError(
          ErrorCode.NotGatewayClient,
          'a GatewayWorker gateway cannot join a Switchboard register: run Switchboard gateways',
        );
      default:
        throw new SwitchboardError(
          ErrorCode.NotGatewayClient,
          `unknown event ${JSON.stringify(event)?.slice(0, 40)}: a GatewayClient sends worker_connect`,
        );
    }
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
}
