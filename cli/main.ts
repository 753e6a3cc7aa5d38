import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, InvalidArgumentError, Option } from 'commander';
import { BusinessWorker } from '../business/business-worker.ts';
import { DEFAULT_EVENTS_FILE, DEFAULT_SLOW_HANDLER_MS } from '../business/worker-options.ts';
import { DEFAULT_QUERY_TIMEOUT, DEFAULT_ROUTING, ROUTINGS } from '../gateway-api/gateway-api-options.ts';
import { GatewayServer } from '../gateway/gateway-server.ts';
import {
  DEFAULT_GATEWAY_LISTEN,
  DEFAULT_INNER_PORT,
  DEFAULT_LAN_IP,
  DEFAULT_MAX_MESSAGE_SIZE,
  DEFAULT_MAX_PENDING_EVENTS,
  DEFAULT_MAX_CONNECTIONS,
  DEFAULT_MAX_CONNECTIONS_PER_IP,
  DEFAULT_MAX_MESSAGES_PER_SECOND,
  DEFAULT_MAX_SEND_BUFFER,
  DEFAULT_PING_INTERVAL,
  DEFAULT_PING_NOT_RESPONSE_LIMIT,
} from '../gateway/gateway-options.ts';
import { RegisterServer } from '../register/register-server.ts';
import { SwitchboardError } from '../shared/errors.ts';
import { DEFAULT_HEARTBEAT_INTERVAL, HEARTBEAT_MAX_MISSED } from '../shared/link.ts';
import { createLogger, DEFAULT_LOG_LEVEL, LOG_LEVELS, type Logger, type LogLevel } from '../shared/logger.ts';
import { DEFAULT_REGISTER_ADDRESS } from '../shared/options.ts';
import { Supervisor, type Role } from './supervisor.ts';
import { DEFAULT_MAX_FRAME_SIZE } from '../shared/codec.ts';
import { DEFAULT_MAX_LINK_BACKLOG } from '../shared/frame-encoder.ts';
import { loadLinkTls, type LinkTlsFiles } from '../shared/link-tls.ts';
import { DEFAULT_HANDSHAKE_TIMEOUT } from '../shared/handshake.ts';
import { DEFAULT_MAX_PENDING_HANDSHAKES } from '../shared/handshake-gate.ts';
import { reportToSupervisor } from './child-ipc.ts';
import { controlRequest, defaultControlPath, type ControlRequest } from './control-socket.ts';
import { formatStatus } from './status-table.ts';
import { formatHostPort, parseHostPort } from '../shared/address.ts';
import { serveMetrics } from '../shared/metrics-server.ts';
import { gatewayMetrics } from '../gateway/gateway-metrics.ts';
import { HttpApiServer } from '../http-api/http-api-server.ts';
import { DEFAULT_API_LISTEN, DEFAULT_MAX_BODY } from '../http-api/http-api-options.ts';

const packageRoot = fileURLToPath(new URL('..', import.meta.url));

function integer(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a whole number');
  return n;
}

const secretOption = () =>
  new Option('--secret <secret>', 'shared secret, the same on every process (required off loopback)').env(
    'SWITCHBOARD_SECRET',
  );
const registerOption = () =>
  new Option('--register <addresses>', 'register address(es), comma-separated HOST:PORT').default(
    DEFAULT_REGISTER_ADDRESS,
  );
const heartbeatOption = () =>
  new Option(
    '--heartbeat-interval <ms>',
    `ms between pings on internal links; a peer silent for ${HEARTBEAT_MAX_MISSED} intervals is dropped`,
  )
    .argParser(integer)
    .default(DEFAULT_HEARTBEAT_INTERVAL);
const routingOption = () =>
  new Option(
    '--routing <mode>',
    'directory: send to a uid or group only via the gateways holding it; all: via every gateway',
  )
    .choices(ROUTINGS)
    .default(DEFAULT_ROUTING);
const logLevelOption = () =>
  new Option('--log-level <level>', 'debug, info, warn, error or silent')
    .choices(LOG_LEVELS)
    .default(DEFAULT_LOG_LEVEL);

/** The events file to load: the flag, else ./business/events.ts, else the bundled demo chat. */
function eventsFile(flag: string | undefined): string {
  if (flag) return resolve(flag);
  const local = resolve(DEFAULT_EVENTS_FILE);
  return existsSync(local) ? local : resolve(packageRoot, DEFAULT_EVENTS_FILE);
}

/** What a started role offers the CLI: a graceful stop, figures for status, and when it is ready. */
interface Running {
  stop(): Promise<void>;
  stats(): Record<string, number>;
  ready?: Promise<void>;
  /** SIGHUP: read TLS certificates again. */
  reloadTls?(): void;
}

/**
 * Starts a role, reports to the supervisor when there is one, stops it gracefully on SIGINT/SIGTERM
 * (a business worker drains first), and turns startup errors into one readable line.
 */
async function runRole(role: string, log: Logger, start: () => Promise<Running>): Promise<void> {
  try {
    const running = await start();
    const supervisor = reportToSupervisor(() => running.stats());
    void (running.ready ?? Promise.resolve()).then(
      () => supervisor.ready(),
      (err: Error) => log.warn(`${role} not fully ready: ${err.message}`),
    );
    const stop = () => {
      log.info(`${role} stopping`);
      running.stop().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    process.on('SIGHUP', () => running.reloadTls?.());
  } catch (err) {
    const code = err instanceof SwitchboardError ? ` [${err.code}]` : '';
    process.stderr.write(`switchboard ${role}: ${err instanceof Error ? err.message : String(err)}${code}\n`);
    process.exit(1);
  }
}

/** The command line of this process without `--count`, for the copies a `--count N` supervisor starts. */
function argsWithoutCount(): string[] {
  const args = process.argv.slice(3);
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--count') i++;
    else if (!args[i]!.startsWith('--count=')) out.push(args[i]!);
  }
  return out;
}

/** Runs `count` copies of a role under a supervisor (they share the public port); `extra(i)` adds per-copy flags. */
function runCopies(
  role: Role,
  count: number,
  opts: { logLevel: LogLevel; control?: string },
  extra: (i: number) => string[],
) {
  const log = logger('supervisor', opts.logLevel);
  const base = argsWithoutCount();
  const supervisor = new Supervisor([{ role, count, argsFor: (i) => [...base, ...extra(i)] }], {}, log);
  supervisor.start(opts.control).catch((err: Error) => {
    process.stderr.write(`switchboard ${role}: ${err.message}\n`);
    process.exit(1);
  });
}

/** `HOST:PORT` with the port moved up by `offset`, for per-copy metrics ports. */
function shiftPort(address: string, offset: number): string {
  const { host, port } = parseHostPort(address);
  return formatHostPort({ host, port: port + offset });
}

const apiTokenOption = () =>
  new Option('--api-token <token>', 'bearer token of the HTTP API (required off loopback)').env(
    'SWITCHBOARD_API_TOKEN',
  );

/** Flags for the internal links of a role (its listener's limits, where it has one). */
function addLinkOptions(command: Command, listens: boolean): Command {
  command
    .option('--tls-cert <file>', "TLS on internal links: this process's certificate (PEM), with --tls-key and --tls-ca")
    .option('--tls-key <file>', "TLS on internal links: the certificate's private key (PEM)")
    .option('--tls-ca <file>', "TLS on internal links: the cluster CA that signed every process's certificate")
    .option('--max-frame-size <bytes>', 'largest internal frame accepted', integer, DEFAULT_MAX_FRAME_SIZE)
    .option('--handshake-timeout <ms>', 'time a peer has to prove the secret', integer, DEFAULT_HANDSHAKE_TIMEOUT)
    .option(
      '--max-link-backlog <bytes>',
      'bytes waiting for a peer that does not read; past it the link is closed and made again',
      integer,
      DEFAULT_MAX_LINK_BACKLOG,
    );
  if (listens) {
    command.option(
      '--max-pending-handshakes <n>',
      'connections allowed mid-handshake at once; more are dropped',
      integer,
      DEFAULT_MAX_PENDING_HANDSHAKES,
    );
  }
  return command;
}

/** The link settings of the flags added by addLinkOptions. */
const linkFlags = (opts: Record<string, number> & LinkTlsFiles) => ({
  tls: loadLinkTls(opts),
  heartbeatInterval: opts.heartbeatInterval,
  maxFrameSize: opts.maxFrameSize,
  handshakeTimeout: opts.handshakeTimeout,
  maxLinkBacklog: opts.maxLinkBacklog,
  maxPendingHandshakes: opts.maxPendingHandshakes,
});

const logger = (role: string, level: LogLevel) => createLogger({ role, pid: process.pid }, level);

/** The client limits: options of `gateway`, and of `start`, which hands them on to its gateways. */
const clientLimitOptions = () => [
  new Option('--max-message-size <bytes>', 'largest client message; larger closes the client with 1009')
    .argParser(integer)
    .default(DEFAULT_MAX_MESSAGE_SIZE),
  new Option(
    '--max-pending-events <n>',
    'events held per client while its worker is busy or absent; past it the client is closed (1013)',
  )
    .argParser(integer)
    .default(DEFAULT_MAX_PENDING_EVENTS),
  new Option('--max-connections <n>', 'most clients per gateway process; more are closed with 1013 (0 = no limit)')
    .argParser(integer)
    .default(DEFAULT_MAX_CONNECTIONS),
  new Option('--max-connections-per-ip <n>', 'most clients from one IP; more are closed with 1008 (0 = no limit)')
    .argParser(integer)
    .default(DEFAULT_MAX_CONNECTIONS_PER_IP),
  new Option(
    '--allowed-origins <origins>',
    'comma-separated Origin values allowed to connect (others get HTTP 403); default any',
  ),
  new Option(
    '--max-messages-per-second <n>',
    'average message rate per client, bursts to twice that; above it the client is closed with 1008 (0 = no limit)',
  )
    .argParser(integer)
    .default(DEFAULT_MAX_MESSAGES_PER_SECOND),
  new Option('--max-send-buffer <bytes>', 'bytes queued to one client before the slow-consumer policy applies')
    .argParser(integer)
    .default(DEFAULT_MAX_SEND_BUFFER),
  new Option('--slow-consumer <policy>', 'close the client (4008) or drop pushes to it')
    .choices(['close', 'drop'])
    .default('close'),
];

function addClientLimitOptions(command: Command): Command {
  for (const option of clientLimitOptions()) command.addOption(option);
  return command;
}

/** The client limit flags as given to `start`, to pass on to its gateways. */
function clientLimitArgs(opts: Record<string, unknown>): string[] {
  return clientLimitOptions().flatMap((option) => {
    const value = opts[option.attributeName()];
    return value === undefined ? [] : [option.long!, String(value)];
  });
}

const program = new Command('switchboard')
  .description(
    'Real-time push to WebSocket clients. Gateways hold client sockets, business workers run your handlers\n' +
      '(business/events.ts) and reach any client through the Gateway API, a register tells everyone where\n' +
      'the gateways are. `switchboard start` runs all three on this machine.',
  )
  .showHelpAfterError();

const controlOption = () =>
  new Option('--control <path>', 'control socket of the running supervisor').default(
    defaultControlPath(),
    '$TMPDIR/switchboard-UID/control.sock, or SWITCHBOARD_CONTROL',
  );
const countOption = (what: string) =>
  new Option('--count <n>', `run n ${what} processes under a supervisor`).argParser(integer).default(1);
const metricsOption = () =>
  new Option(
    '--metrics-listen <host:port>',
    'serve Prometheus metrics at http://HOST:PORT/metrics (with --count, port + i)',
  );

const startCommand = program
  .command('start')
  .description(
    'run a register, gateways and business workers on this machine as supervised processes (a crashed one is\n' +
      'restarted); then use `switchboard status|reload|stop`',
  )
  .option('--listen <host:port>', 'public WebSocket address of the gateways', DEFAULT_GATEWAY_LISTEN)
  .option('--events <file>', `handlers module (default: ./${DEFAULT_EVENTS_FILE}, else the demo chat)`)
  .option('--gateways <n>', 'gateway processes (they share the public port)', integer, 1)
  .option('--workers <n>', 'business worker processes', integer, 1)
  .option('--register-listen <host:port>', 'address of the register', DEFAULT_REGISTER_ADDRESS)
  .option('--lan-ip <ip>', 'inner address of the gateways', DEFAULT_LAN_IP)
  .option('--inner-port <port>', 'inner port of the first gateway (the others: +1, +2, …)', integer, DEFAULT_INNER_PORT)
  .option('--no-demo', 'do not serve the demo chat page on the gateway port')
  .option('--cert <file>', 'certificate (PEM) for wss:// on the gateways, with --key')
  .option('--key <file>', 'private key (PEM) of --cert')
  .addOption(secretOption().default(undefined, 'a random one for this run'))
  .addOption(routingOption())
  .option('--api-listen <host:port>', 'also run the HTTP push API on this address (off by default)')
  .addOption(apiTokenOption())
  .option('--metrics-listen <host:port>', 'gateway i serves Prometheus metrics on port + i, worker j on port + 100 + j')
  .addOption(controlOption())
  .addOption(logLevelOption());
addClientLimitOptions(startCommand).action(async (opts) => {
  const log = logger('supervisor', opts.logLevel);
  const common = ['--log-level', opts.logLevel];
  const register = ['--register', opts.registerListen];
  const routing = ['--routing', opts.routing];
  const metrics = (offset: number) =>
    opts.metricsListen ? ['--metrics-listen', shiftPort(opts.metricsListen, offset)] : [];
  const supervisor = new Supervisor(
    [
      { role: 'register', count: 1, argsFor: () => ['--listen', opts.registerListen, ...common] },
      {
        role: 'gateway',
        count: opts.gateways,
        argsFor: (i) => [
          ...['--listen', opts.listen, '--lan-ip', opts.lanIp, '--inner-port', String(opts.innerPort + i)],
          ...(opts.demo ? ['--demo'] : []),
          ...(opts.cert ? ['--cert', resolve(opts.cert), '--key', resolve(opts.key ?? '')] : []),
          ...clientLimitArgs(opts),
          ...register,
          ...metrics(i),
          ...common,
        ],
      },
      {
        role: 'business',
        count: opts.workers,
        argsFor: (i) => [
          ...['--events', eventsFile(opts.events), ...register, ...routing],
          ...metrics(100 + i),
          ...common,
        ],
      },
      {
        role: 'api',
        count: opts.apiListen ? 1 : 0,
        argsFor: () => ['--listen', opts.apiListen, ...register, ...routing, ...common],
      },
    ],
    { secret: opts.secret, apiToken: opts.apiToken },
    log,
  );
  try {
    await supervisor.start(opts.control);
  } catch (err) {
    process.stderr.write(`switchboard start: ${(err as Error).message}\n`);
    process.exit(1);
  }
  log.info(
    `switchboard started: clients connect to ws://${opts.listen}` +
      (opts.demo ? `, the demo chat is on http://${opts.listen}/` : '') +
      `; control socket ${opts.control}`,
  );
});

program
  .command('status')
  .description('print every process of the running `switchboard start`: role, pid, uptime, connections, rates, memory')
  .option('--json', 'print JSON for scripts')
  .addOption(controlOption())
  .action(async (opts) => {
    const answer = await controlCommand(opts.control, 'status');
    const processes = answer.processes as Parameters<typeof formatStatus>[0];
    process.stdout.write(opts.json ? JSON.stringify(processes, null, 2) + '\n' : formatStatus(processes));
  });

program
  .command('reload')
  .description('replace the business workers one at a time with freshly loaded code; no client is dropped')
  .option('--tls', 'instead, make the gateways read their --cert and --key files again')
  .addOption(controlOption())
  .action(async (opts) => {
    if (opts.tls) {
      const answer = await controlCommand(opts.control, 'reload-tls');
      process.stdout.write(`asked ${answer.gateways} gateway(s) to reload their TLS certificate\n`);
      return;
    }
    const answer = await controlCommand(opts.control, 'reload');
    process.stdout.write(`reloaded: ${answer.replaced} business worker(s) replaced\n`);
  });

program
  .command('stop')
  .description('stop the running `switchboard start`: workers drain, then gateways close clients with 1001')
  .addOption(controlOption())
  .action(async (opts) => {
    await controlCommand(opts.control, 'stop');
    process.stdout.write('stopping\n');
  });

/** Sends a command to the supervisor; prints what went wrong and exits 1 when it cannot. */
async function controlCommand(path: string, cmd: ControlRequest['cmd']) {
  try {
    const answer = await controlRequest(path, { cmd });
    if (!answer.ok) throw new Error(answer.error);
    return answer;
  } catch (err) {
    process.stderr.write(`switchboard ${cmd}: ${(err as Error).message}\n`);
    process.exit(1);
  }
}

const registerCommand = program
  .command('register')
  .description('run a register: gateways announce themselves, workers and clients learn the gateways')
  .option('--listen <host:port>', 'address to listen on', DEFAULT_REGISTER_ADDRESS)
  .addOption(secretOption())
  .addOption(heartbeatOption());
addLinkOptions(registerCommand, true)
  .addOption(logLevelOption())
  .action((opts) => {
    const log = logger('register', opts.logLevel);
    return runRole('register', log, async () => {
      const server = new RegisterServer({ listen: opts.listen, secret: opts.secret, ...linkFlags(opts), log });
      await server.start();
      return { stop: () => server.stop(), stats: () => ({ gateways: server.gatewayAddresses.length }) };
    });
  });

const gatewayCommand = program
  .command('gateway')
  .description('run a gateway: holds client WebSockets and forwards their events to business workers')
  .option('--listen <host:port>', 'public WebSocket address for clients', DEFAULT_GATEWAY_LISTEN)
  .option(
    '--lan-ip <ip>',
    'inner address advertised to workers and encoded in client ids (never 0.0.0.0)',
    DEFAULT_LAN_IP,
  )
  .option(
    '--inner-listen <ip>',
    'address the inner server binds to, e.g. 0.0.0.0 or :: in a container or behind NAT (default: --lan-ip)',
  )
  .option('--inner-port <port>', 'inner TCP port for workers (0 = any free port)', integer, DEFAULT_INNER_PORT)
  .addOption(registerOption())
  .addOption(secretOption())
  .option('--ping-interval <ms>', 'ms between heartbeats to each client', integer, DEFAULT_PING_INTERVAL)
  .option(
    '--ping-not-response-limit <n>',
    'unanswered heartbeats before a client is closed (0 = never)',
    integer,
    DEFAULT_PING_NOT_RESPONSE_LIMIT,
  )
  .option(
    '--ping-data <text>',
    'text sent as the heartbeat instead of a WebSocket ping (for clients that cannot answer pings)',
  )
  .option('--demo', 'serve the demo chat page at / on the public port')
  .addOption(heartbeatOption())
  .option('--cert <file>', 'certificate (PEM) for wss:// on the public port, with --key; re-read on SIGHUP')
  .option('--key <file>', 'private key (PEM) of --cert')
  .option('--no-http-metrics', 'do not serve Prometheus metrics at /metrics on the public port');
addClientLimitOptions(gatewayCommand);
addLinkOptions(gatewayCommand, true)
  .addOption(metricsOption())
  .addOption(countOption('gateway'))
  .addOption(new Option('--control <path>', 'with --count: a control socket for status/stop'))
  .addOption(logLevelOption())
  .action((opts) => {
    if (opts.count > 1) {
      return runCopies('gateway', opts.count, opts, (i) => [
        ...['--inner-port', String(opts.innerPort + i)],
        ...(opts.metricsListen ? ['--metrics-listen', shiftPort(opts.metricsListen, i)] : []),
      ]);
    }
    const log = logger('gateway', opts.logLevel);
    return runRole('gateway', log, async () => {
      const server = new GatewayServer({
        listen: opts.listen,
        lanIp: opts.lanIp,
        innerListen: opts.innerListen,
        innerPort: opts.innerPort,
        register: opts.register,
        secret: opts.secret,
        pingInterval: opts.pingInterval,
        pingNotResponseLimit: opts.pingNotResponseLimit,
        pingData: opts.pingData,
        maxMessageSize: opts.maxMessageSize,
        maxPendingEvents: opts.maxPendingEvents,
        maxConnections: opts.maxConnections,
        maxConnectionsPerIp: opts.maxConnectionsPerIp,
        allowedOrigins: opts.allowedOrigins
          ? String(opts.allowedOrigins)
              .split(',')
              .map((o) => o.trim())
          : [],
        maxMessagesPerSecond: opts.maxMessagesPerSecond,
        maxSendBuffer: opts.maxSendBuffer,
        slowConsumer: opts.slowConsumer,
        tlsCertFile: opts.cert,
        tlsKeyFile: opts.key,
        httpMetrics: opts.httpMetrics,
        demo: opts.demo === true,
        ...linkFlags(opts),
        log,
      });
      await server.start();
      if (opts.metricsListen) serveMetrics(gatewayMetrics(server), parseHostPort(opts.metricsListen), log);
      return server;
    });
  });

const businessCommand = program
  .command('business')
  .description('run a business worker: runs your handlers for client events, with the Gateway API')
  .option('--events <file>', `handlers module (default: ./${DEFAULT_EVENTS_FILE}, else the demo chat)`)
  .addOption(registerOption())
  .addOption(secretOption())
  .option('--name <name>', 'how this worker appears in gateway logs (default: PID@HOST)')
  .option('--query-timeout <ms>', 'ms a query waits for each gateway', integer, DEFAULT_QUERY_TIMEOUT)
  .addOption(routingOption())
  .option('--slow-handler <ms>', 'log a warning when a handler runs longer than this', integer, DEFAULT_SLOW_HANDLER_MS)
  .addOption(heartbeatOption());
addLinkOptions(businessCommand, false)
  .addOption(metricsOption())
  .addOption(countOption('business worker'))
  .addOption(new Option('--control <path>', 'with --count: a control socket for status/reload/stop'))
  .addOption(logLevelOption())
  .action((opts) => {
    if (opts.count > 1) {
      return runCopies('business', opts.count, opts, (i) =>
        opts.metricsListen ? ['--metrics-listen', shiftPort(opts.metricsListen, i)] : [],
      );
    }
    const log = logger('business', opts.logLevel);
    return runRole('business', log, async () => {
      const worker = new BusinessWorker({
        events: eventsFile(opts.events),
        register: opts.register,
        secret: opts.secret,
        name: opts.name,
        queryTimeout: opts.queryTimeout,
        routing: opts.routing,
        slowHandlerMs: opts.slowHandler,
        ...linkFlags(opts),
        log,
      });
      await worker.start();
      if (opts.metricsListen) serveMetrics(worker.metrics.registry, parseHostPort(opts.metricsListen), log);
      // Stopping drains: no client event is lost and every send leaves before the process does.
      return { stop: () => worker.drain(), stats: () => worker.stats(), ready: worker.linked(30_000) };
    });
  });

const apiCommand = program
  .command('api')
  .description('run the HTTP push API: the Gateway calls as JSON over HTTP, for programs in any language')
  .option('--listen <host:port>', 'address of the HTTP server', DEFAULT_API_LISTEN)
  .addOption(
    new Option('--token <token>', 'bearer token clients must send (required off loopback)').env(
      'SWITCHBOARD_API_TOKEN',
    ),
  )
  .addOption(registerOption())
  .addOption(secretOption())
  .option('--max-body <bytes>', 'largest request body; larger gets 413', integer, DEFAULT_MAX_BODY)
  .option('--query-timeout <ms>', 'ms a query waits for each gateway', integer, DEFAULT_QUERY_TIMEOUT)
  .addOption(routingOption());
addLinkOptions(apiCommand, false)
  .addOption(logLevelOption())
  .action((opts) => {
    const log = logger('api', opts.logLevel);
    return runRole('api', log, async () => {
      const server = new HttpApiServer({
        listen: opts.listen,
        token: opts.token,
        register: opts.register,
        secret: opts.secret,
        maxBody: opts.maxBody,
        queryTimeout: opts.queryTimeout,
        routing: opts.routing,
        ...linkFlags(opts),
        name: `api ${process.pid}`,
        log,
      });
      await server.start();
      return { stop: () => server.stop(), stats: () => ({}) };
    });
  });

await program.parseAsync(process.argv);
