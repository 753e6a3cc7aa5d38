/**
 * `npm run soak -- [--duration 10m] [--seed 42] [--clients 200] [--rate 20] …` (`--help` lists every flag):
 * a chaos soak of Switchboard. See docs/soak.md.
 */
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Accounting, type AccountingSummary } from './accounting.ts';
import { ClusterControl, sleep } from './cluster-control.ts';
import { fmt, FaultRunner } from './fault-runner.ts';
import { planFaults } from './fault-schedule.ts';
import { LoadClients } from './load-clients.ts';
import { DEFAULT_TREND } from './memory-trend.ts';
import { HANDLER_TIMEOUTS, LOST_EVENTS, ProcessSampler } from './process-sampler.ts';
import { failuresOf, formatPlan, formatReport, memoryRows, type SoakReport } from './report.ts';
import { soakOptions } from './soak-options.ts';
import { randomSeed, SeededRandom } from './seeded-random.ts';

/** How long deliveries must stand still before the soak sums up. */
const QUIET_MS = 2000;

async function main(): Promise<number> {
  const options = soakOptions(process.argv.slice(2));
  const seed = options.seed ?? randomSeed();
  const random = new SeededRandom(seed);
  const print = (line: string) => process.stdout.write(line + '\n');
  const logFile = options.log ?? join(tmpdir(), `switchboard-soak-${seed}-${process.pid}.log`);
  const counts = { register: 1, gateway: options.gateways, business: options.workers };
  const plan = planFaults(random.fork(1), {
    duration: options.duration,
    every: options.faultEvery,
    quietTail: Math.max(10_000, options.faultEvery),
    kinds: options.faults,
    roles: options.roles,
    counts,
  });
  const settings = {
    clients: options.clients,
    rate: options.rate,
    gateways: options.gateways,
    workers: options.workers,
    faultEvery: options.faultEvery,
    stopTime: options.stopTime,
    maxEventsInFlight: options.maxEventsInFlight,
    host: options.host,
  };
  print(
    `switchboard soak: seed ${seed}, ${fmt(options.duration)} of load, ${options.clients} clients × ${options.rate}/s, ` +
      `${options.gateways} gateways, ${options.workers} workers, a fault every ~${fmt(options.faultEvery)}`,
  );
  print(`again with: npm run soak -- ${[...withoutSeed(process.argv.slice(2)), '--seed', String(seed)].join(' ')}`);
  print(`cluster log: ${logFile}`);
  print(formatPlan(seed, plan));

  const cluster = new ClusterControl({
    host: options.host,
    gateways: options.gateways,
    workers: options.workers,
    maxEventsInFlight: options.maxEventsInFlight,
    logFile,
    logLevel: options.logLevel,
  });
  const accounting = new Accounting(options.clients, options.maxEventsInFlight);
  const clients = new LoadClients(
    { url: cluster.url, clients: options.clients, rate: options.rate, loginRetry: 3000 },
    accounting,
    random.fork(2),
  );
  let interrupted = false;
  const onSigint = () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    print('interrupted: stopping the load (again to quit at once)');
  };
  process.on('SIGINT', onSigint);
  try {
    print('starting the cluster …');
    await cluster.start();
    await clients.connect();
    print(`cluster up, ${options.clients} clients logged in; load and faults start`);
    const loadStart = clients.now();
    const now = () => clients.now() - loadStart;
    const sampler = new ProcessSampler(cluster, options.sampleEvery, now);
    const runner = new FaultRunner(
      cluster,
      (pid) => accounting.workerKilled(pid, clients.now()),
      () => clients.boundCount(),
      options.clients,
      now,
      { stopTime: options.stopTime, recoveryTimeout: options.recoveryTimeout },
      print,
    );
    sampler.start();
    clients.startSending();
    const faults = runner.run(plan);
    let nextProgress = 30_000;
    while (now() < options.duration && !interrupted) {
      await sleep(Math.min(250, options.duration - now()));
      if (now() >= nextProgress) {
        print(
          `  ${fmt(now()).padStart(8)}  progress: sent ${accounting.sentSoFar.toLocaleString('en-US')}, ` +
            `delivered ${accounting.deliveries.toLocaleString('en-US')}, logged in ${clients.boundCount()}/${options.clients}`,
        );
        nextProgress += 30_000;
      }
    }
    const duration = now();
    clients.stopSending();
    runner.stop();
    await faults;
    // The last messages: wait until deliveries stand still (or the settle time is up).
    const settleEnd = Date.now() + options.settle;
    let last = -1;
    let stillSince = Date.now();
    while (Date.now() < settleEnd) {
      if (accounting.deliveries !== last) {
        last = accounting.deliveries;
        stillSince = Date.now();
      } else if (Date.now() - stillSince >= QUIET_MS) break;
      await sleep(100);
    }
    await sampler.sample();
    await sampler.stop();
    const partial = {
      seed,
      settings,
      duration,
      plan,
      faults: runner.done.map((f) => ({ ...f })),
      messages: sinceLoadStart(accounting.summarize(), loadStart),
      memory: memoryRows(sampler.processes.values(), {
        ...DEFAULT_TREND,
        growthPercent: options.memoryGrowth,
      }),
      handlerTimeouts: sampler.total(HANDLER_TIMEOUTS),
      gatewayLostEvents: sampler.total(LOST_EVENTS),
    };
    const failures = failuresOf(partial);
    const report: SoakReport = { ...partial, failures, ok: failures.length === 0 };
    print(formatReport(report));
    if (options.report) writeFileSync(options.report, JSON.stringify(report, null, 2) + '\n');
    return report.ok ? 0 : 1;
  } finally {
    clients.close();
    await cluster.stop();
    process.off('SIGINT', onSigint);
  }
}

function withoutSeed(args: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--seed') i++;
    else if (!args[i]!.startsWith('--seed=')) out.push(args[i]!);
  }
  return out;
}

/** The accounting's times are on the clients' clock, which started before the load: report them from the load's start. */
function sinceLoadStart(summary: AccountingSummary, loadStart: number): AccountingSummary {
  return { ...summary, unexplained: summary.unexplained.map((u) => ({ ...u, sentAt: u.sentAt - loadStart })) };
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    process.stderr.write(`soak: ${err.message}\n`);
    process.exit(2);
  },
);
