import { resolve } from 'node:path';
import { DASHBOARD_TOKEN_ENV, DEFAULT_DASHBOARD_LISTEN } from '../dashboard/dashboard-options.ts';
import {
  DEFAULT_GATEWAY_LISTEN,
  DEFAULT_INNER_PORT,
  DEFAULT_LAN_IP,
  DEFAULT_PING_INTERVAL,
  DEFAULT_PING_NOT_RESPONSE_LIMIT,
} from '../gateway/gateway-options.ts';
import { DEFAULT_REGISTER_ADDRESS } from '../shared/options.ts';
import { DRAIN_MARGIN_MS, drainTimeoutMs } from '../business/worker-options.ts';
import { eventsFlag, handlerTimeoutFlag } from './business-flags.ts';
import {
  controlFlag,
  gatewayWorkerPlaintextFlag,
  historyFlags,
  logLevelFlag,
  routingFlag,
  secretFlag,
} from './common-flags.ts';
import { findEventsModule, isBundledDemo } from './events-module.ts';
import { parseHostPort } from '../shared/address.ts';
import {
  handedOnTo,
  handOnArgs,
  innerPortOf,
  integer,
  shiftPort,
  withoutField,
  type Flag,
  type FlagValues,
} from './flags.ts';
import { clientLimitFlags, protocolFlag } from './gateway-flags.ts';
import type { ProcessGroup, Role } from './supervisor.ts';

/**
 * `switchboard start`, in `--help` order. It has no options object of its own: each flag says what the
 * register, the gateways, the business workers and the HTTP API it runs get of it (`handOn`).
 */
export const startFlags: Flag[] = [
  {
    flags: '--listen <host:port>',
    description: 'public address of the gateways (WebSocket unless --protocol says otherwise)',
    default: DEFAULT_GATEWAY_LISTEN,
    handOn: { gateway: '--listen' },
  },
  { ...withoutField(protocolFlag), handOn: { gateway: '--protocol' } },
  ...handedOnTo('business', [eventsFlag]),
  {
    flags: '--gateways <n>',
    description: 'gateway processes (they share the public port)',
    parse: integer,
    default: 1,
  },
  { flags: '--workers <n>', description: 'business worker processes', parse: integer, default: 1 },
  ...handedOnTo('business', [handlerTimeoutFlag]),
  {
    flags: '--register-listen <host:port>',
    description: 'address of the register',
    default: DEFAULT_REGISTER_ADDRESS,
    handOn: { register: '--listen', gateway: '--register', business: '--register', api: '--register' },
  },
  {
    flags: '--lan-ip <ip>',
    description: 'inner address of the gateways',
    default: DEFAULT_LAN_IP,
    handOn: { gateway: '--lan-ip' },
  },
  {
    flags: '--inner-port <port>',
    description: 'inner port of the first gateway (the others: +1, +2, …)',
    parse: integer,
    default: DEFAULT_INNER_PORT,
    handOn: { gateway: (port: number, index) => ['--inner-port', String(innerPortOf(port, index))] },
  },
  {
    flags: '--no-demo',
    description: 'do not serve the demo chat page on the gateway port',
    // startProcesses turns it off unless the bundled demo chat runs.
    handOn: { gateway: '--demo' },
  },
  {
    flags: '--cert <file>',
    description: 'certificate (PEM) for wss:// on the gateways, with --key',
    handOn: { gateway: (file: string) => ['--cert', resolve(file)] },
  },
  {
    flags: '--key <file>',
    description: 'private key (PEM) of --cert',
    handOn: { gateway: (file: string) => ['--key', resolve(file)] },
  },
  // The secret and the API token reach the children in their environment (see Supervisor), never in argv.
  { ...withoutField(secretFlag), defaultHelp: 'a random one for this run' },
  { ...withoutField(routingFlag), handOn: { business: '--routing', api: '--routing' } },
  ...historyFlags.map((flag) => {
    const name = flag.flags.split(' ')[0]!;
    return { ...withoutField(flag), handOn: { gateway: name, business: name, api: name } };
  }),
  {
    flags: '--api-listen <host:port>',
    description: 'also run the HTTP push API on this address (off by default)',
    handOn: { api: '--listen' },
  },
  {
    flags: '--api-token <token>',
    description: 'bearer token of the HTTP API (required off loopback)',
    env: 'SWITCHBOARD_API_TOKEN',
  },
  {
    flags: '--gatewayworker-listen <host:port>',
    description:
      "serve PHP GatewayClient: the register answers GatewayWorker's register protocol here, gateway i its gateway protocol on port + 1 + i (off by default)",
    handOn: {
      register: '--gatewayworker-listen',
      gateway: (address: string, index) => ['--gatewayworker-port', String(gatewayWorkerPortOf(address, index))],
    },
  },
  {
    ...withoutField(gatewayWorkerPlaintextFlag),
    handOn: {
      register: '--gatewayworker-allow-plaintext-secret',
      gateway: '--gatewayworker-allow-plaintext-secret',
    },
  },
  {
    flags: '--metrics-listen <host:port>',
    description: 'gateway i serves Prometheus metrics on port + i, worker j on port + 100 + j',
    handOn: {
      gateway: (address: string, index) => ['--metrics-listen', shiftPort(address, index)],
      business: (address: string, index) => ['--metrics-listen', shiftPort(address, 100 + index)],
    },
  },
  {
    flags: '--dashboard <host:port>',
    description:
      `serve the live dashboard (processes, connections, rates, faults) here (default: ${DEFAULT_DASHBOARD_LISTEN}); ` +
      'off loopback only with --dashboard-token',
  },
  { flags: '--no-dashboard', description: 'do not serve the dashboard' },
  {
    flags: '--dashboard-token <token>',
    description: 'token the dashboard asks for (open /?token=T once); required off loopback',
    env: DASHBOARD_TOKEN_ENV,
  },
  controlFlag,
  {
    ...logLevelFlag,
    handOn: { register: '--log-level', gateway: '--log-level', business: '--log-level', api: '--log-level' },
  },
  ...handedOnTo('gateway', clientLimitFlags),
  // A second group of gateways for devices over TCP, beside the first, against the same workers.
  {
    flags: '--tcp-listen <host:port>',
    description: 'also run TCP gateways for devices on this address (the same workers serve both groups)',
  },
  {
    flags: '--tcp-protocol <name>',
    description: 'what the TCP gateways speak: text, frame, or the path of a protocol module',
    default: 'text',
  },
  {
    flags: '--tcp-gateways <n>',
    description: 'TCP gateway processes (they share --tcp-listen)',
    parse: integer,
    default: 1,
  },
  { flags: '--tcp-cert <file>', description: 'certificate (PEM) for TLS on the TCP gateways, with --tcp-key' },
  { flags: '--tcp-key <file>', description: 'private key (PEM) of --tcp-cert' },
  { flags: '--tcp-ping-data <text>', description: 'heartbeat message of the TCP gateways (none without it)' },
  {
    flags: '--tcp-ping-interval <ms>',
    description: 'ms between heartbeats of the TCP gateways',
    parse: integer,
    default: DEFAULT_PING_INTERVAL,
  },
  {
    flags: '--tcp-ping-not-response-limit <n>',
    description: 'heartbeat intervals a device may stay silent before it is closed (0 = never)',
    parse: integer,
    default: DEFAULT_PING_NOT_RESPONSE_LIMIT,
  },
];

/** The GatewayWorker-protocol port of gateway `index` under `start --gatewayworker-listen`: the register's + 1 + index. */
export function gatewayWorkerPortOf(registerAddress: string, index: number): number {
  const { port } = parseHostPort(registerAddress);
  return port === 0 ? 0 : port + 1 + index;
}

/**
 * Whether the gateways serve the demo page: unless `--no-demo`, when the bundled demo chat is the app and the
 * gateways speak WebSocket.
 */
export function servesDemoPage(values: FlagValues): boolean {
  return (
    values.demo === true &&
    (values.protocol ?? 'websocket') === 'websocket' &&
    isBundledDemo(findEventsModule(values.events as string | undefined))
  );
}

/** The processes `start` runs, each with what the flags hand on to it; `events` becomes the module's path. */
export function startProcesses(values: FlagValues): ProcessGroup[] {
  const resolved = {
    ...values,
    events: findEventsModule(values.events as string | undefined),
    demo: servesDemoPage(values),
  };
  const group = (role: Role, count: number): ProcessGroup => ({
    role,
    count,
    argsFor: (index) => handOnArgs(startFlags, resolved, role, index),
    // A worker's drain may take its handler timeout and a margin; onWorkerStop gets the same margin again.
    ...(role === 'business'
      ? { exitTimeoutMs: drainTimeoutMs(values.handlerTimeout as number) + DRAIN_MARGIN_MS }
      : {}),
  });
  return [
    group('register', 1),
    group('gateway', values.gateways as number),
    ...(values.tcpListen ? [tcpGateways(resolved)] : []),
    group('business', values.workers as number),
    group('api', values.apiListen ? 1 : 0),
  ];
}

/**
 * The TCP gateways of `--tcp-listen`: what the other gateways get (register, inner address, limits, log level),
 * with the TCP group's own address, protocol, certificate and heartbeat. Their inner and metrics ports follow
 * the other gateways' (gateway N, N + 1, …), so every gateway keeps its own.
 */
function tcpGateways(values: FlagValues): ProcessGroup {
  const named = String(values.tcpProtocol);
  const builtIn = named === 'text' || named === 'frame';
  const tcp: FlagValues = {
    ...values,
    listen: values.tcpListen,
    // A module path is resolved here, so the children find it whatever their working directory.
    protocol: builtIn ? named : resolve(named),
    cert: values.tcpCert,
    key: values.tcpKey,
    demo: false,
    allowedOrigins: undefined,
  };
  const heartbeat = [
    ...(values.tcpPingData ? ['--ping-data', String(values.tcpPingData)] : []),
    ...['--ping-interval', String(values.tcpPingInterval)],
    ...['--ping-not-response-limit', String(values.tcpPingNotResponseLimit)],
  ];
  const first = values.gateways as number;
  return {
    role: 'gateway',
    label: `gateway[${builtIn ? named : 'tcp'}]`,
    count: values.tcpGateways as number,
    argsFor: (index) => [...handOnArgs(startFlags, tcp, 'gateway', first + index), ...heartbeat],
  };
}
