import {
  DEFAULT_DRAIN_TIME,
  DEFAULT_GATEWAY_LISTEN,
  DEFAULT_INNER_PORT,
  DEFAULT_LAN_IP,
  DEFAULT_MAX_CONNECTIONS,
  DEFAULT_MAX_CONNECTIONS_PER_IP,
  DEFAULT_MAX_MESSAGE_SIZE,
  DEFAULT_MAX_MESSAGES_PER_SECOND,
  DEFAULT_MAX_PENDING_EVENTS,
  DEFAULT_MAX_EVENTS_IN_FLIGHT,
  DEFAULT_MAX_SEND_BUFFER,
  DEFAULT_PING_INTERVAL,
  DEFAULT_PING_NOT_RESPONSE_LIMIT,
  DEFAULT_PING_DATA_NOT_RESPONSE_LIMIT,
  type GatewayOptions,
} from '../gateway/gateway-options.ts';
import type { Logger } from '../shared/logger.ts';
import {
  copiesControlFlag,
  countFlag,
  gatewayWorkerPlaintextFlag,
  heartbeatFlag,
  historyFlags,
  linkTls,
  listenerLinkFlags,
  logLevelFlag,
  metricsFlag,
  registerFlag,
  secretFlag,
} from './common-flags.ts';
import { innerPortOf, integer, toOptions, type Flag, type FlagValues } from './flags.ts';

/** The limits on WebSocket clients: flags of `gateway`, and of `start`, which hands them on to its gateways. */
export const clientLimitFlags: Flag<GatewayOptions>[] = [
  {
    flags: '--max-message-size <bytes>',
    description: 'largest client message; larger closes the client with 1009',
    parse: integer,
    default: DEFAULT_MAX_MESSAGE_SIZE,
    field: 'maxMessageSize',
  },
  {
    flags: '--max-pending-events <n>',
    description: 'events held per client while its worker is busy or absent; past it the client is closed (1013)',
    parse: integer,
    default: DEFAULT_MAX_PENDING_EVENTS,
    field: 'maxPendingEvents',
  },
  {
    flags: '--max-events-in-flight <n>',
    description:
      'events of one client sent to its worker before the first is done (1 = one at a time); the worker keeps them in order',
    parse: integer,
    default: DEFAULT_MAX_EVENTS_IN_FLIGHT,
    field: 'maxEventsInFlight',
  },
  {
    flags: '--max-connections <n>',
    description: 'most clients per gateway process; more are closed with 1013 (0 = no limit)',
    parse: integer,
    default: DEFAULT_MAX_CONNECTIONS,
    field: 'maxConnections',
  },
  {
    flags: '--max-connections-per-ip <n>',
    description: 'most clients from one IP; more are closed with 1008 (0 = no limit)',
    parse: integer,
    default: DEFAULT_MAX_CONNECTIONS_PER_IP,
    field: 'maxConnectionsPerIp',
  },
  {
    flags: '--allowed-origins <origins>',
    description: 'comma-separated Origin values allowed to connect (others get HTTP 403); default any',
    field: 'allowedOrigins',
    convert: (origins?: string) => (origins ? origins.split(',').map((o) => o.trim()) : []),
  },
  {
    flags: '--max-messages-per-second <n>',
    description:
      'average message rate per client, bursts to twice that (0 = no limit); above it the client is not read until it is back within it, and closed with 1008 only when it owes over 10 s of its rate',
    parse: integer,
    default: DEFAULT_MAX_MESSAGES_PER_SECOND,
    field: 'maxMessagesPerSecond',
  },
  {
    flags: '--max-send-buffer <bytes>',
    description: 'bytes queued to one client before the slow-consumer policy applies',
    parse: integer,
    default: DEFAULT_MAX_SEND_BUFFER,
    field: 'maxSendBuffer',
  },
  {
    flags: '--slow-consumer <policy>',
    description: 'close the client (4008) or drop pushes to it',
    choices: ['close', 'drop'],
    default: 'close',
    field: 'slowConsumer',
  },
];

/** `--protocol`: of `gateway`, and of `start`, which hands it on to its gateways. */
export const protocolFlag: Flag<GatewayOptions> = {
  flags: '--protocol <name>',
  description:
    'what clients speak: websocket, text (lines ending in \\n), frame (4-byte length + payload) over TCP, or ' +
    'the path of a protocol module (docs/devices-over-tcp.md)',
  default: 'websocket',
  field: 'protocol',
};

/** `switchboard gateway`, in `--help` order, with the GatewayOptions field each flag sets. */
export const gatewayFlags: Flag<GatewayOptions>[] = [
  {
    flags: '--listen <host:port>',
    description: 'public address for clients (WebSocket, or TCP with --protocol)',
    default: DEFAULT_GATEWAY_LISTEN,
    field: 'listen',
  },
  protocolFlag,
  {
    flags: '--lan-ip <ip>',
    description: 'inner address advertised to workers and encoded in client ids (never 0.0.0.0)',
    default: DEFAULT_LAN_IP,
    field: 'lanIp',
  },
  {
    flags: '--inner-listen <ip>',
    description:
      'address the inner server binds to, e.g. 0.0.0.0 or :: in a container or behind NAT (default: --lan-ip)',
    field: 'innerListen',
  },
  {
    flags: '--inner-port <port>',
    description: 'inner TCP port for workers (0 = any free port)',
    parse: integer,
    default: DEFAULT_INNER_PORT,
    field: 'innerPort',
    // Each copy owns its inner port: the next ones up, or each any free port.
    perCopy: (port: number, index) => ['--inner-port', String(innerPortOf(port, index))],
  },
  registerFlag,
  secretFlag,
  {
    flags: '--ping-interval <ms>',
    description: 'ms between heartbeats to each client (0 = no heartbeats)',
    parse: integer,
    default: DEFAULT_PING_INTERVAL,
    field: 'pingInterval',
  },
  {
    flags: '--ping-not-response-limit <n>',
    description:
      'unanswered heartbeats before a client is closed (0 = never) ' +
      `(default: ${DEFAULT_PING_NOT_RESPONSE_LIMIT}; with --ping-data, ${DEFAULT_PING_DATA_NOT_RESPONSE_LIMIT})`,
    parse: integer,
    field: 'pingNotResponseLimit',
  },
  {
    flags: '--ping-data <text>',
    description:
      'text sent as the heartbeat instead of a WebSocket ping (for clients that cannot answer pings); on TCP the ' +
      'heartbeat message, none without it',
    field: 'pingData',
  },
  {
    flags: '--demo',
    description: 'serve the demo chat page at / on the public port',
    field: 'demo',
    convert: (demo?: boolean) => demo === true,
  },
  heartbeatFlag,
  {
    flags: '--cert <file>',
    description: 'certificate (PEM) for wss:// (or TLS on TCP) on the public port, with --key; re-read on SIGHUP',
    field: 'tlsCertFile',
  },
  { flags: '--key <file>', description: 'private key (PEM) of --cert', field: 'tlsKeyFile' },
  {
    flags: '--gatewayworker-port <port>',
    description:
      "also accept PHP GatewayClient's commands (GatewayWorker's gateway protocol) on this port of --inner-listen; off by default",
    parse: integer,
    field: 'gatewayWorkerPort',
    perCopy: (port: number, index) => ['--gatewayworker-port', String(innerPortOf(port, index))],
  },
  gatewayWorkerPlaintextFlag,
  {
    flags: '--no-http-metrics',
    description: 'do not serve Prometheus metrics at /metrics on the public port',
    field: 'httpMetrics',
  },
  ...clientLimitFlags,
  {
    flags: '--drain-time <ms>',
    description:
      'on SIGTERM, drain: report not ready, stop accepting, close clients with 1012 (reconnect elsewhere)\n' +
      'spread over this time, then exit (0 = close every client at once with 1001)',
    parse: integer,
    default: DEFAULT_DRAIN_TIME,
    field: 'drainTime',
  },
  ...historyFlags,
  ...listenerLinkFlags,
  metricsFlag,
  countFlag('gateway'),
  copiesControlFlag('status/stop'),
  logLevelFlag,
];

/** The options of the gateway the flags describe. */
export function gatewayOptions(values: FlagValues, log: Logger): GatewayOptions {
  return { ...toOptions(gatewayFlags, values), tls: linkTls(values), log };
}
