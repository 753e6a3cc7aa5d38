#!/usr/bin/env node
import { Command } from 'commander';
import type { Registry } from 'prom-client';
import { BusinessWorker } from '../business/business-worker.ts';
import { gatewayMetrics } from '../gateway/gateway-metrics.ts';
import { GatewayServer } from '../gateway/gateway-server.ts';
import { apiMetrics } from '../http-api/api-metrics.ts';
import { HttpApiServer } from '../http-api/http-api-server.ts';
import { RegisterServer } from '../register/register-server.ts';
import { parseDashboardOptions } from '../dashboard/dashboard-options.ts';
import { startDashboard } from '../dashboard/dashboard-server.ts';
import { parseHostPort } from '../shared/address.ts';
import { SwitchboardError } from '../shared/errors.ts';
import { createLogger, type Logger, type LogLevel } from '../shared/logger.ts';
import { Health } from '../shared/health.ts';
import { serveMetrics } from '../shared/metrics-server.ts';
import { registerMetrics } from '../register/register-metrics.ts';
import { apiFlags, apiOptions } from './api-flags.ts';
import { businessFlags, businessOptions } from './business-flags.ts';
import { reportToSupervisor } from './child-ipc.ts';
import { controlFlag } from './common-flags.ts';
import { controlRequest, type ControlRequest } from './control-socket.ts';
import { describeEventsModule, isBundledDemo } from './events-module.ts';
import { addFlags, perCopyArgs, toOption, withoutCount, type Flag, type FlagValues } from './flags.ts';
import { gatewayFlags, gatewayOptions } from './gateway-flags.ts';
import { registerFlags, registerOptions } from './register-flags.ts';
import { servesDemoPage, startFlags, startProcesses } from './start-flags.ts';
import { formatStatus } from './status-table.ts';
import { Supervisor, type Role } from './supervisor.ts';

// The command wiring. What each role's flags are, and which option each sets, is in its table
// (register-flags.ts, gateway-flags.ts, business-flags.ts, api-flags.ts, start-flags.ts).

/** What a started role offers the CLI: a graceful stop, figures for status, and when it is ready. */
interface Running {
  stop(): Promise<void>;
  stats(): Record<string, number>;
  ready?: Promise<void>;
  /** SIGHUP: read TLS certificates again. */
  reloadTls?(): void;
  /** The role's Prometheus registry, for the supervisor's dashboard (made on first use). */
  metrics?: () => Registry;
}

/** `make()` on the first call, the same value after. */
function once<T>(make: () => T): () => T {
  let value: T | undefined;
  return () => (value ??= make());
}

const logger = (role: string, level: LogLevel) => createLogger({ role, pid: process.pid }, level);

/**
 * Starts a role, reports to the supervisor when there is one, stops it gracefully on SIGINT/SIGTERM
 * (a business worker drains first), and turns startup errors into one readable line.
 */
async function runRole(role: string, log: Logger, start: () => Promise<Running>): Promise<void> {
  try {
    const running = await start();
    const supervisor = reportToSupervisor(() => running.stats(), running.metrics);
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

/**
 * With `--count N` (N > 1), runs N copies of the role under a supervisor (they share the public port): each
 * gets this command line without `--count`, then its own per-copy flags from the role's table.
 */
function runCopies(role: Role, flags: readonly Flag<any>[], opts: FlagValues): boolean {
  const count = opts.count as number;
  if (count <= 1) return false;
  const log = logger('supervisor', opts.logLevel as LogLevel);
  const shared = withoutCount(process.argv.slice(3));
  const copies = { role, count, argsFor: (i: number) => [...shared, ...perCopyArgs(flags, opts, i)] };
  new Supervisor([copies], {}, log).start(opts.control as string | undefined).catch((err: Error) => {
    process.stderr.write(`switchboard ${role}: ${err.message}\n`);
    process.exit(1);
  });
  return true;
}

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

const program = new Command('switchboard')
  .description(
    'Real-time push to WebSocket clients. Gateways hold client sockets, business workers run your handlers\n' +
      '(business/events.ts) and reach any client through the Gateway API, a register tells everyone where\n' +
      'the gateways are. `switchboard start` runs all three on this machine.',
  )
  .showHelpAfterError();

const command = (name: string, description: string, flags: readonly Flag<any>[]) =>
  addFlags(program.command(name).description(description), flags);

command(
  'start',
  'run a register, gateways and business workers on this machine as supervised processes (a crashed one is\n' +
    'restarted); then use `switchboard status|reload|stop`',
  startFlags,
).action(async (opts) => {
  const log = logger('supervisor', opts.logLevel);
  const supervisor = new Supervisor(startProcesses(opts), { secret: opts.secret, apiToken: opts.apiToken }, log);
  let started: boolean;
  try {
    // The dashboard listens first: an address given that is taken fails the start before any process runs.
    const dashboard = parseDashboardOptions(opts);
    if (dashboard) await startDashboard(supervisor, dashboard, log);
    started = await supervisor.start(opts.control);
  } catch (err) {
    const code = err instanceof SwitchboardError ? ` [${err.code}]` : '';
    process.stderr.write(`switchboard start: ${(err as Error).message}${code}\n`);
    process.exit(1);
  }
  if (!started) return;
  const scheme = opts.protocol === 'websocket' ? 'ws' : String(opts.protocol);
  log.info(
    `switchboard started: clients connect to ${scheme}://${opts.listen}` +
      (opts.tcpListen ? `, devices to ${opts.tcpProtocol}://${opts.tcpListen}` : '') +
      (servesDemoPage(opts) ? `, the demo chat is on http://${opts.listen}/` : '') +
      `; control socket ${opts.control}`,
  );
});

program
  .command('status')
  .description('print every process of the running `switchboard start`: role, pid, uptime, connections, rates, memory')
  .option('--json', 'print JSON for scripts')
  .addOption(toOption(controlFlag))
  .action(async (opts) => {
    const answer = await controlCommand(opts.control, 'status');
    const processes = answer.processes as Parameters<typeof formatStatus>[0];
    process.stdout.write(opts.json ? JSON.stringify(processes, null, 2) + '\n' : formatStatus(processes));
  });

program
  .command('reload')
  .description('replace the business workers one at a time with freshly loaded code; no client is dropped')
  .option('--tls', 'instead, make the gateways read their --cert and --key files again')
  .addOption(toOption(controlFlag))
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
  .addOption(toOption(controlFlag))
  .action(async (opts) => {
    await controlCommand(opts.control, 'stop');
    process.stdout.write('stopping\n');
  });

command(
  'register',
  'run a register: gateways announce themselves, workers and clients learn the gateways',
  registerFlags,
).action((opts) => {
  const log = logger('register', opts.logLevel);
  return runRole('register', log, async () => {
    const server = new RegisterServer(registerOptions(opts, log));
    await server.start();
    // A register needs nobody: ready once it listens.
    const metrics = once(() => registerMetrics(server));
    if (opts.metricsListen) serveMetrics(metrics(), parseHostPort(opts.metricsListen), log, new Health());
    return { stop: () => server.stop(), stats: () => ({ gateways: server.gatewayAddresses.length }), metrics };
  });
});

command(
  'gateway',
  'run a gateway: holds client WebSockets and forwards their events to business workers',
  gatewayFlags,
).action((opts) => {
  if (runCopies('gateway', gatewayFlags, opts)) return;
  const log = logger('gateway', opts.logLevel);
  return runRole('gateway', log, async () => {
    const server = new GatewayServer(gatewayOptions(opts, log));
    await server.start();
    const metrics = once(() => gatewayMetrics(server));
    if (opts.metricsListen) serveMetrics(metrics(), parseHostPort(opts.metricsListen), log, server.health);
    // SIGTERM drains when --drain-time is set (gateway-drain.ts), else stops at once.
    return {
      stop: () => server.shutdown(),
      stats: () => server.stats(),
      reloadTls: () => server.reloadTls(),
      metrics,
    };
  });
});

command(
  'business',
  'run a business worker: runs your handlers for client events, with the Gateway API',
  businessFlags,
).action((opts) => {
  if (runCopies('business', businessFlags, opts)) return;
  const log = logger('business', opts.logLevel);
  return runRole('business', log, async () => {
    const options = businessOptions(opts, log);
    log.info(`events module: ${describeEventsModule(options.events)}`, {
      events: options.events,
      demo: isBundledDemo(options.events),
    });
    const worker = new BusinessWorker(options);
    await worker.start();
    if (opts.metricsListen) {
      const health = new Health().add('gateways', () => worker.notReady());
      serveMetrics(worker.metrics.registry, parseHostPort(opts.metricsListen), log, health);
    }
    // Stopping drains: no client event is lost and every send leaves before the process does.
    return {
      stop: () => worker.drain(),
      stats: () => worker.stats(),
      ready: worker.linked(30_000),
      metrics: () => worker.metrics.registry,
    };
  });
});

command(
  'api',
  'run the HTTP push API: the Gateway calls as JSON over HTTP, for programs in any language',
  apiFlags,
).action((opts) => {
  const log = logger('api', opts.logLevel);
  return runRole('api', log, async () => {
    const server = new HttpApiServer(apiOptions(opts, log));
    await server.start();
    if (opts.metricsListen) {
      const health = new Health().add('gateways', () => server.client.notReady());
      serveMetrics(apiMetrics(), parseHostPort(opts.metricsListen), log, health);
    }
    return { stop: () => server.stop(), stats: () => ({ gateways: server.client.linkedGateways }) };
  });
});

await program.parseAsync(process.argv);
