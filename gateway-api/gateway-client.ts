import { parseHistoryOptions } from '../history/history-store.ts';
import { hostname } from 'node:os';
import { parseHostPortList } from '../shared/address.ts';
import type { Message } from '../shared/commands.ts';
import { ErrorCode, SwitchboardError } from '../shared/errors.ts';
import { createLogger, type Logger } from '../shared/logger.ts';
import {
  checkInteger,
  DEFAULT_REGISTER_ADDRESS,
  linkOptions,
  resolveSecret,
  type LinkSettings,
} from '../shared/options.ts';
import { GatewayApi, type SendArgs, type SendCall } from './gateway-api.ts';
import { DEFAULT_CONNECT_TIMEOUT, parseGatewayApiOptions, type GatewayApiOptions } from './gateway-api-options.ts';
import { GatewayDirectory } from './gateway-directory.ts';

/**
 * Besides the link settings (heartbeatInterval, maxFrameSize, handshakeTimeout, maxLinkBacklog, tls) and the
 * Gateway API's own options (queryTimeout, routing):
 */
export interface GatewayClientOptions extends Omit<LinkSettings, 'maxPendingHandshakes'>, GatewayApiOptions {
  /** Register addresses, one or many (`HOST:PORT`, or a comma-separated string). @default ['127.0.0.1:1236'] */
  register?: string | readonly string[];
  /** The cluster's shared secret; required unless every register is on loopback. @default SWITCHBOARD_SECRET */
  secret?: string;
  /** How this client appears in gateway logs. @default 'client PID@HOSTNAME' */
  name?: string;
  /** Ms calls wait for the gateways to become known (right after `new`). @default 5000 */
  connectTimeout?: number;
  /** Where to log; JSON lines on stderr by default, warnings and errors only. */
  log?: Logger;
}

/**
 * The Gateway API for any Node program that is not a business worker: an HTTP server, a job, a script.
 * It learns the gateways from the register(s), keeps an authenticated link to each and follows them joining
 * and leaving. Same calls, types and errors as `Gateway`, minus the "current client" ones.
 *
 * Sends made before the gateways are known are held (up to `connectTimeout`) and then sent in order; if no
 * gateway becomes known they are dropped with a logged SB_ERR_NO_GATEWAY. Queries wait the same way and
 * reject with that code. `await client.ready()` tells you up front.
 *
 * @example
 * const client = new GatewayClient({ register: '10.0.0.1:1236', secret: process.env.SWITCHBOARD_SECRET });
 * client.sendToUid('42', { type: 'paid', order: 1001 });
 * console.log(await client.isUidOnline('42'));
 * await client.close();
 */
export class GatewayClient extends GatewayApi {
  private readonly dir: GatewayDirectory;
  private readonly connectTimeout: number;
  private readonly log: Logger;
  /** Sends waiting for the gateways to become known. */
  private held: [call: string, gateway: string | null, message: Message][] = [];
  private closed = false;

  constructor(options: GatewayClientOptions = {}) {
    super();
    const registers = parseHostPortList(options.register ?? DEFAULT_REGISTER_ADDRESS);
    if (registers.length === 0) {
      throw new SwitchboardError(ErrorCode.InvalidOption, 'GatewayClient: give at least one register address');
    }
    this.log = options.log ?? createLogger({ role: 'client', pid: process.pid }, 'warn');
    this.connectTimeout = checkInteger('connectTimeout', options.connectTimeout ?? DEFAULT_CONNECT_TIMEOUT, 1);
    this.dir = new GatewayDirectory({
      registers,
      role: 'client',
      name: options.name ?? `client ${process.pid}@${hostname()}`,
      ...parseGatewayApiOptions(options),
      ...parseHistoryOptions(options),
      link: linkOptions(options, resolveSecret(options.secret, registers, 'GatewayClient'), this.log),
    });
  }

  protected get directory(): GatewayDirectory {
    return this.dir;
  }

  /**
   * Resolves once a register answered and the gateways it lists are linked; rejects with SB_ERR_NO_GATEWAY
   * (saying whether no register answered or no gateway is running) after `connectTimeout`.
   */
  override ready(): Promise<void> {
    if (this.closed) {
      return Promise.reject(new SwitchboardError(ErrorCode.NoGateway, 'this GatewayClient is closed'));
    }
    return this.dir.whenReady(this.connectTimeout);
  }

  /** Null when linked to a register and every known gateway, else what is missing (for `/readyz`). */
  notReady(): string | null {
    return this.closed ? 'closed' : this.dir.notReady();
  }

  /** How many gateways are linked now (for `switchboard status`). */
  get linkedGateways(): number {
    return [...this.dir.openLinks()].length;
  }

  /** Like the send calls, but resolves with the number of client connections the data was handed to. */
  sendAndCount<K extends SendCall>(call: K, ...args: SendArgs<K>): Promise<number> {
    return this.countDeliveries(call, args);
  }

  /** Sends what is still held, closes every link, and leaves no timer or socket behind. */
  async close(): Promise<void> {
    if (this.held.length > 0) await this.ready().catch(() => {});
    this.closed = true;
    await this.dir.stop();
  }

  protected override route(call: string, gateway: string | null, message: Message): void {
    if (this.closed) throw new SwitchboardError(ErrorCode.NoGateway, `${call}: this GatewayClient is closed`);
    if (this.held.length === 0 && this.dir.isReady) return super.route(call, gateway, message);
    this.held.push([call, gateway, message]);
    if (this.held.length > 1) return;
    this.ready().then(
      () => this.flushHeld(),
      (err: SwitchboardError) => {
        this.log.error(`dropped ${this.held.length} send(s): ${err.message}`, { code: err.code });
        this.held = [];
      },
    );
  }

  private flushHeld(): void {
    const held = this.held;
    this.held = [];
    for (const [call, gateway, message] of held) {
      try {
        super.route(call, gateway, message);
      } catch (err) {
        this.log.error(`${call} dropped: ${(err as Error).message}`, { code: (err as SwitchboardError).code });
      }
    }
  }
}
