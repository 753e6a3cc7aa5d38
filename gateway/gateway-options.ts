import { isIP, isIPv4 } from 'node:net';
import { parseHistoryOptions, type HistoryOptions, type ResolvedHistoryOptions } from '../history/history-store.ts';
import { parseHostPort, parseHostPortList, type HostPort } from '../shared/address.ts';
import { canonicalIp } from '../shared/client-id.ts';
import { ErrorCode, SwitchboardError } from '../shared/errors.ts';
import { checkPlaintextSecret, gatewayWorkerSecret } from '../shared/gatewayworker-secret.ts';
import type { LinkOptions } from '../shared/link.ts';
import type { ProtocolCodec } from './protocols/codec.ts';
import { createLogger, type Logger } from '../shared/logger.ts';
import {
  checkInteger,
  DEFAULT_REGISTER_ADDRESS,
  linkOptions,
  resolveSecret,
  type LinkSettings,
} from '../shared/options.ts';

export const DEFAULT_GATEWAY_LISTEN = '127.0.0.1:7272';
export const DEFAULT_LAN_IP = '127.0.0.1';
export const DEFAULT_INNER_PORT = 2900;
export const DEFAULT_PING_INTERVAL = 25_000;
/** With WebSocket pings, which every client answers by itself. */
export const DEFAULT_PING_NOT_RESPONSE_LIMIT = 2;
/** With `pingData`, which only a client written to answer it does: GatewayWorker's default. */
export const DEFAULT_PING_DATA_NOT_RESPONSE_LIMIT = 0;
export const DEFAULT_MAX_MESSAGE_SIZE = 64 * 1024;
export const DEFAULT_MAX_PENDING_EVENTS = 256;
export const DEFAULT_MAX_EVENTS_IN_FLIGHT = 16;
export const DEFAULT_MAX_SEND_BUFFER = 1024 * 1024;
export const DEFAULT_MAX_CONNECTIONS = 100_000;
export const DEFAULT_MAX_CONNECTIONS_PER_IP = 0;
export const DEFAULT_MAX_MESSAGES_PER_SECOND = 0;
/** @default 0: SIGTERM closes every client at once with 1001, as `stop()` does; see GatewayOptions.drainTime. */
export const DEFAULT_DRAIN_TIME = 0;
export type SlowConsumerPolicy = 'close' | 'drop';

export interface GatewayOptions extends LinkSettings, HistoryOptions {
  /** Public address for clients, WebSocket or TCP (see `protocol`). @default 127.0.0.1:7272 */
  listen?: string | HostPort;
  /**
   * What clients speak on the public port: `websocket`, or plain TCP (TLS with `tlsCertFile`) with `text`
   * (Workerman's Text: messages end with `\n`), `frame` (Workerman's Frame: a 4-byte length that counts
   * itself, then the payload), the path of a module exporting a codec, or a codec itself
   * (docs/devices-over-tcp.md). A TCP gateway serves no HTTP: metrics go on `--metrics-listen`.
   * @default 'websocket'
   */
  protocol?: string | ProtocolCodec;
  /** Inner address advertised to workers and encoded in client ids; an IP literal, never 0.0.0.0. @default 127.0.0.1 */
  lanIp?: string;
  /**
   * Address the inner server binds to, when it differs from the advertised `lanIp`: `0.0.0.0` or `::` (every
   * interface) in a container or behind NAT, or one of several local addresses. The port is `innerPort` either
   * way, so a NAT or container port mapping must keep the same port number. An IP literal.
   * @default the lanIp
   */
  innerListen?: string;
  /** Inner TCP port for workers (0 picks a free one). @default 2900 */
  innerPort?: number;
  /** Register addresses, one or many. @default ['127.0.0.1:1236'] */
  register?: string | readonly string[];
  /** Shared secret; required unless every address is loopback. @default SWITCHBOARD_SECRET */
  secret?: string;
  /** Ms between heartbeats to each client; 0 sends none (GatewayWorker's default). @default 25000 */
  pingInterval?: number;
  /**
   * Heartbeats a client may leave unanswered before it is closed; 0 never closes. Any message or pong answers.
   * @default 2 with WebSocket pings (browsers answer them by themselves); 0 with `pingData`, as in GatewayWorker,
   * where the client need not answer the text
   */
  pingNotResponseLimit?: number;
  /**
   * Text sent to every client each heartbeat, for clients that cannot answer WebSocket pings; any message from
   * the client counts as the answer. Empty sends protocol pings only. On a TCP gateway it is the heartbeat
   * message, encoded by the protocol; empty means no heartbeat there (plain TCP has no ping). @default ''
   */
  pingData?: string;
  /**
   * Largest client message in bytes; larger closes the client with 1009. On TCP the limit counts the message on
   * the wire (framing included), checked before the message is buffered whole. @default 64 KiB
   */
  maxMessageSize?: number;
  /** Events held per client while its worker is busy or none is connected; past it the client is closed (1013). @default 256 */
  maxPendingEvents?: number;
  /**
   * Events of one client sent to its worker before the first is done, so a client that pipelines is not held
   * to one event per gateway-worker round trip. The worker still runs them one after the other, in order, each
   * seeing the session the one before left. A worker that dies loses at most this many events per client
   * (`switchboard_gateway_lost_events_total`). 1 sends the next event only once the previous is done. @default 16
   */
  maxEventsInFlight?: number;
  /**
   * Ms a drain (SIGTERM, `drain()`) spreads its client closes over: the gateway reports not ready, stops
   * accepting, closes its clients with 1012 (service restart: reconnect elsewhere) a slice at a time so the
   * other gateways are not hit by all of them at once, waits for their close events, then stops. 0 makes
   * SIGTERM stop at once (every client gets 1001). Under an orchestrator set it below the grace period.
   * @default 0
   */
  drainTime?: number;
  /** Bytes queued to one client before the slow-consumer policy applies. @default 1 MiB */
  maxSendBuffer?: number;
  /** Past `maxSendBuffer`: `close` the client (4008) or `drop` pushes to it until it catches up. @default 'close' */
  slowConsumer?: SlowConsumerPolicy;
  /** Most client connections on this gateway (more are closed with 1013); 0 = no limit. @default 100000 */
  maxConnections?: number;
  /**
   * Most client connections from one IP (more are closed with 1008); 0 = no limit. Off by default: a NAT, a
   * campus or one load generator puts thousands of honest clients behind one address; `maxConnections` bounds
   * the total. @default 0
   */
  maxConnectionsPerIp?: number;
  /** Origins allowed to connect, e.g. ['https://example.com'] (others get HTTP 403); empty allows any. @default [] */
  allowedOrigins?: readonly string[];
  /**
   * Messages per second a client may send on average (bursts up to twice that); 0 = no limit. A client above it
   * is slowed: the gateway stops reading its socket until it is back within its rate, so TCP pushes back. It is
   * closed with 1008 only when it owes more than 10 seconds of its rate (messages that kept arriving while it
   * was not read). Off by default: `maxPendingEvents` already bounds what a fast client can queue. @default 0
   */
  maxMessagesPerSecond?: number;
  /** Serve the demo chat page at / on the public port (the browser client library is always served under /client/). @default false */
  demo?: boolean;
  /**
   * Certificate file (PEM) for `wss://` (or TLS on a TCP gateway) on the public port; with `tlsKey`. Reloaded
   * on SIGHUP. @default none
   */
  tlsCertFile?: string;
  /** Private key file (PEM) of `tlsCertFile`. @default none */
  tlsKeyFile?: string;
  /** Serve Prometheus metrics at /metrics on the public port. @default true */
  httpMetrics?: boolean;
  /**
   * Also accept GatewayWorker's gateway protocol from PHP's GatewayClient on this TCP port (bound like the inner
   * port, on `innerListen`; 0 picks a free one). Needs an IPv4 `lanIp`. Off unless given. @default none
   */
  gatewayWorkerPort?: number;
  /**
   * Accept GatewayWorker's clear-text secret when `gatewayWorkerPort` is bound off loopback (the network between
   * PHP and the gateway must then be private). @default false
   */
  gatewayWorkerAllowPlaintextSecret?: boolean;
  log?: Logger;
}

export interface ResolvedGatewayOptions extends ResolvedHistoryOptions {
  listen: HostPort;
  /** `websocket`, a built-in TCP protocol's name, a module path, or a codec; loaded by the gateway's start. */
  protocol: string | ProtocolCodec;
  /** The advertised inner address (`lanIp`, canonical text) and port. */
  inner: HostPort;
  /** Where the inner server binds: `innerListen` and the same port. */
  innerListen: HostPort;
  registers: HostPort[];
  pingInterval: number;
  pingNotResponseLimit: number;
  pingData: string;
  maxMessageSize: number;
  maxPendingEvents: number;
  maxEventsInFlight: number;
  drainTime: number;
  maxSendBuffer: number;
  slowConsumer: SlowConsumerPolicy;
  maxConnections: number;
  maxConnectionsPerIp: number;
  allowedOrigins: readonly string[];
  maxMessagesPerSecond: number;
  demo: boolean;
  /** Paths of the public port's certificate and key, or null for plain `ws://`. */
  publicTls: { certFile: string; keyFile: string } | null;
  httpMetrics: boolean;
  /** GatewayWorker's gateway protocol: where it binds, and the secret PHP must send (empty for none); or off. */
  gatewayWorker: { listen: HostPort; secret: string } | null;
  link: LinkOptions;
  log: Logger;
}

/** 0 (no heartbeats) or at least 100 ms. */
function pingInterval(value: number): number {
  if (value === 0 || (Number.isInteger(value) && value >= 100)) return value;
  throw new SwitchboardError(
    ErrorCode.InvalidOption,
    `pingInterval must be 0 (no heartbeats) or an integer of at least 100 ms, got ${value}`,
  );
}

export function parseGatewayOptions(options: GatewayOptions = {}): ResolvedGatewayOptions {
  const listen =
    typeof options.listen === 'object' ? options.listen : parseHostPort(options.listen ?? DEFAULT_GATEWAY_LISTEN);
  const lanIp = canonicalIp(options.lanIp ?? DEFAULT_LAN_IP);
  if (lanIp === '0.0.0.0' || lanIp === '::') {
    throw new SwitchboardError(
      ErrorCode.InvalidOption,
      `--lan-ip ${lanIp} cannot be advertised: give this host's address that workers can reach, e.g. 10.0.0.5 ` +
        '(to accept on every interface, add --inner-listen 0.0.0.0 or ::)',
    );
  }
  const inner = {
    host: lanIp,
    port: checkInteger('innerPort', options.innerPort ?? DEFAULT_INNER_PORT, 0, 65535),
  };
  const innerListen = { host: parseInnerListen(options.innerListen, inner.host), port: inner.port };
  const registers = parseHostPortList(options.register ?? DEFAULT_REGISTER_ADDRESS);
  if (registers.length === 0) {
    throw new SwitchboardError(ErrorCode.InvalidOption, 'gateway: give at least one --register address');
  }
  const log = options.log ?? createLogger({ role: 'gateway', pid: process.pid });
  if (Boolean(options.tlsCertFile) !== Boolean(options.tlsKeyFile)) {
    throw new SwitchboardError(ErrorCode.InvalidOption, 'wss:// needs both --cert and --key');
  }
  const protocol = options.protocol ?? 'websocket';
  if (protocol === '') throw new SwitchboardError(ErrorCode.InvalidOption, '--protocol needs a value');
  if (protocol !== 'websocket') {
    const what = `--protocol ${typeof protocol === 'string' ? protocol : protocol.name}`;
    if (options.demo) {
      throw new SwitchboardError(ErrorCode.InvalidOption, `${what} serves no web pages: leave out --demo`);
    }
    if (options.allowedOrigins?.length) {
      throw new SwitchboardError(
        ErrorCode.InvalidOption,
        `${what}: TCP clients send no Origin, so --allowed-origins cannot apply: leave it out`,
      );
    }
  }
  // A wildcard bind is reachable from other hosts even when the advertised address is loopback.
  const secret = resolveSecret(options.secret, [inner, innerListen, ...registers], 'gateway');
  let gatewayWorker: ResolvedGatewayOptions['gatewayWorker'] = null;
  if (options.gatewayWorkerPort !== undefined) {
    const gwListen = {
      host: innerListen.host,
      port: checkInteger('gatewayWorkerPort', options.gatewayWorkerPort, 0, 65535),
    };
    if (!isIPv4(lanIp)) {
      throw new SwitchboardError(
        ErrorCode.InvalidOption,
        `--gatewayworker-port needs an IPv4 --lan-ip (GatewayWorker's client ids hold an IPv4 address), got ${lanIp}`,
      );
    }
    checkPlaintextSecret(gwListen, options.gatewayWorkerAllowPlaintextSecret === true, '--gatewayworker-port on');
    gatewayWorker = { listen: gwListen, secret: gatewayWorkerSecret(secret) };
  }
  return {
    ...parseHistoryOptions(options),
    gatewayWorker,
    protocol,
    publicTls: options.tlsCertFile ? { certFile: options.tlsCertFile, keyFile: options.tlsKeyFile! } : null,
    httpMetrics: options.httpMetrics ?? true,
    listen,
    inner,
    innerListen,
    registers,
    pingInterval: pingInterval(options.pingInterval ?? DEFAULT_PING_INTERVAL),
    pingNotResponseLimit: checkInteger(
      'pingNotResponseLimit',
      options.pingNotResponseLimit ??
        (options.pingData ? DEFAULT_PING_DATA_NOT_RESPONSE_LIMIT : DEFAULT_PING_NOT_RESPONSE_LIMIT),
      0,
    ),
    pingData: options.pingData ?? '',
    maxMessageSize: checkInteger('maxMessageSize', options.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE, 1),
    maxPendingEvents: checkInteger('maxPendingEvents', options.maxPendingEvents ?? DEFAULT_MAX_PENDING_EVENTS, 1),
    maxEventsInFlight: checkInteger(
      'maxEventsInFlight',
      options.maxEventsInFlight ?? DEFAULT_MAX_EVENTS_IN_FLIGHT,
      1,
      65535,
    ),
    drainTime: checkInteger('drainTime', options.drainTime ?? DEFAULT_DRAIN_TIME, 0),
    maxSendBuffer: checkInteger('maxSendBuffer', options.maxSendBuffer ?? DEFAULT_MAX_SEND_BUFFER, 1024),
    slowConsumer: slowConsumerPolicy(options.slowConsumer ?? 'close'),
    maxConnections: checkInteger('maxConnections', options.maxConnections ?? DEFAULT_MAX_CONNECTIONS, 0),
    maxConnectionsPerIp: checkInteger(
      'maxConnectionsPerIp',
      options.maxConnectionsPerIp ?? DEFAULT_MAX_CONNECTIONS_PER_IP,
      0,
    ),
    allowedOrigins: options.allowedOrigins ?? [],
    maxMessagesPerSecond: checkInteger(
      'maxMessagesPerSecond',
      options.maxMessagesPerSecond ?? DEFAULT_MAX_MESSAGES_PER_SECOND,
      0,
    ),
    demo: options.demo ?? false,
    link: linkOptions(options, secret, log),
    log,
  };
}

function slowConsumerPolicy(value: string): SlowConsumerPolicy {
  if (value === 'close' || value === 'drop') return value;
  throw new SwitchboardError(ErrorCode.InvalidOption, `slowConsumer must be "close" or "drop", got "${value}"`);
}

/** The bind address: the given IP literal in canonical form, or the advertised `lanIp` when none is given. */
function parseInnerListen(value: string | undefined, lanIp: string): string {
  if (value === undefined || value === '') return lanIp;
  const host = value.startsWith('[') && value.endsWith(']') ? value.slice(1, -1) : value;
  if (isIP(host) === 0) {
    throw new SwitchboardError(
      ErrorCode.InvalidOption,
      `--inner-listen ${value} is not an IP address: give the address to bind, e.g. 0.0.0.0, :: or 10.0.0.5 ` +
        '(the port is --inner-port)',
    );
  }
  if (host === '0.0.0.0' && isIP(lanIp) === 6) {
    throw new SwitchboardError(
      ErrorCode.InvalidOption,
      `--inner-listen 0.0.0.0 accepts IPv4 only, but --lan-ip ${lanIp} is IPv6: use --inner-listen :: instead`,
    );
  }
  return canonicalIp(host);
}
