import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, InvalidArgumentError, Option } from 'commander';
import { BusinessWorker } from '../business/business-worker.ts';
import { DEFAULT_EVENTS_FILE } from '../business/worker-options.ts';
import { GatewayServer } from '../gateway/gateway-server.ts';
import {
  DEFAULT_GATEWAY_LISTEN,
  DEFAULT_INNER_PORT,
  DEFAULT_LAN_IP,
  DEFAULT_MAX_MESSAGE_SIZE,
  DEFAULT_MAX_PENDING_EVENTS,
  DEFAULT_PING_INTERVAL,
  DEFAULT_PING_NOT_RESPONSE_LIMIT,
} from '../gateway/gateway-options.ts';
import { RegisterServer } from '../register/register-server.ts';
import { SwitchboardError } from '../shared/errors.ts';
import { DEFAULT_HEARTBEAT_INTERVAL, HEARTBEAT_MAX_MISSED } from '../shared/link.ts';
import { createLogger, DEFAULT_LOG_LEVEL, LOG_LEVELS, type Logger, type LogLevel } from '../shared/logger.ts';
import { DEFAULT_REGISTER_ADDRESS } from '../shared/options.ts';
import { Supervisor } from './supervisor.ts';

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

/** Starts a role, stops it cleanly on SIGINT/SIGTERM, and turns startup errors into one readable line. */
async function runRole(role: string, log: Logger, start: () => Promise<{ stop(): Promise<void> }>): Promise<void> {
  try {
    const running = await start();
    const stop = () => {
      log.info(`${role} stopping`);
      running.stop().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  } catch (err) {
    const code = err instanceof SwitchboardError ? ` [${err.code}]` : '';
    process.stderr.write(`switchboard ${role}: ${err instanceof Error ? err.message : String(err)}${code}\n`);
    process.exit(1);
  }
}

const logger = (role: string, level: LogLevel) => createLogger({ role, pid: process.pid }, level);

const program = new Command('switchboard')
  .description(
    'Real-time push to WebSocket clients. Gateways hold client sockets, business workers run your handlers\n' +
      '(business/events.ts) and reach any client through the Gateway API, a register tells everyone where\n' +
      'the gateways are. `switchboard start` runs all three on this machine.',
  )
  .showHelpAfterError();

program
  .command('start')
  .description('run a register, a gateway and a business worker on loopback, restarting any that crashes')
  .option('--listen <host:port>', 'public WebSocket address of the gateway', DEFAULT_GATEWAY_LISTEN)
  .option('--events <file>', `handlers module (default: ./${DEFAULT_EVENTS_FILE}, else the demo chat)`)
  .option('--register-listen <host:port>', 'address of the register', DEFAULT_REGISTER_ADDRESS)
  .option('--lan-ip <ip>', 'inner address of the gateway', DEFAULT_LAN_IP)
  .option('--inner-port <port>', 'inner port of the gateway', integer, DEFAULT_INNER_PORT)
  .addOption(secretOption().default(undefined, 'a random one for this run'))
  .addOption(logLevelOption())
  .action((opts) => {
    const log = logger('supervisor', opts.logLevel);
    const common = ['--log-level', opts.logLevel];
    const register = ['--register', opts.registerListen];
    const supervisor = new Supervisor(
      [
        { role: 'register', args: ['--listen', opts.registerListen, ...common] },
        {
          role: 'gateway',
          args: [
            '--listen',
            opts.listen,
            '--lan-ip',
            opts.lanIp,
            '--inner-port',
            String(opts.innerPort),
            ...register,
            ...common,
          ],
        },
        { role: 'business', args: ['--events', eventsFile(opts.events), ...register, ...common] },
      ],
      opts.secret,
      log,
    );
    supervisor.start();
    log.info(`switchboard started: clients connect to ws://${opts.listen}`);
  });

program
  .command('register')
  .description('run a register: gateways announce themselves, workers and clients learn the gateways')
  .option('--listen <host:port>', 'address to listen on', DEFAULT_REGISTER_ADDRESS)
  .addOption(secretOption())
  .addOption(heartbeatOption())
  .addOption(logLevelOption())
  .action((opts) => {
    const log = logger('register', opts.logLevel);
    return runRole('register', log, async () => {
      const server = new RegisterServer({
        listen: opts.listen,
        secret: opts.secret,
        heartbeatInterval: opts.heartbeatInterval,
        log,
      });
      await server.start();
      return server;
    });
  });

program
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
  .option(
    '--max-message-size <bytes>',
    'largest client message; larger closes the client with 1009',
    integer,
    DEFAULT_MAX_MESSAGE_SIZE,
  )
  .option(
    '--max-pending-events <n>',
    'events held per client while its worker is busy or absent; past it the client is closed (1013)',
    integer,
    DEFAULT_MAX_PENDING_EVENTS,
  )
  .addOption(heartbeatOption())
  .addOption(logLevelOption())
  .action((opts) => {
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
        heartbeatInterval: opts.heartbeatInterval,
        log,
      });
      await server.start();
      return server;
    });
  });

program
  .command('business')
  .description('run a business worker: runs your handlers for client events, with the Gateway API')
  .option('--events <file>', `handlers module (default: ./${DEFAULT_EVENTS_FILE}, else the demo chat)`)
  .addOption(registerOption())
  .addOption(secretOption())
  .option('--name <name>', 'how this worker appears in gateway logs (default: PID@HOST)')
  .option('--query-timeout <ms>', 'ms a query waits for each gateway', integer, 5000)
  .addOption(heartbeatOption())
  .addOption(logLevelOption())
  .action((opts) => {
    const log = logger('business', opts.logLevel);
    return runRole('business', log, async () => {
      const worker = new BusinessWorker({
        events: eventsFile(opts.events),
        register: opts.register,
        secret: opts.secret,
        name: opts.name,
        queryTimeout: opts.queryTimeout,
        heartbeatInterval: opts.heartbeatInterval,
        log,
      });
      await worker.start();
      return worker;
    });
  });

await program.parseAsync(process.argv);
