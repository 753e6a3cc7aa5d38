import { cpus, totalmem, release } from 'node:os';
import type { BenchOptions } from './bench-options.ts';
import { loadAverage, openFileLimit } from './proc-stats.ts';
import { formatReport, ratios, targetChecks, type TargetCheck } from './report.ts';
import type { IdleResult, Row } from './rows.ts';
import { warmUp, type ScenarioContext } from './scenario-context.ts';
import { echoScenario } from './scenarios/echo.ts';
import { fanoutScenario } from './scenarios/fanout.ts';
import { idleScenario } from './scenarios/idle.ts';
import { latencyScenario } from './scenarios/latency.ts';
import { routingScenario } from './scenarios/routing.ts';
import { touidScenario } from './scenarios/touid.ts';
import { pipelinedScenario } from './scenarios/pipelined.ts';
import { directoryScenario, type DirectoryResult } from './scenarios/directory.ts';
import { codecScenario, type CodecResult } from './scenarios/codec.ts';
import { stormScenario, type StormResult } from './scenarios/storm.ts';
import { clusterScenario, type ClusterResult } from './scenarios/cluster.ts';
import { keptScenario } from './scenarios/kept.ts';
import { stopAllServers } from './server-process.ts';
import { externalTarget, startTarget, type Target } from './targets.ts';

/** Everything one run measured, as written to JSON. */
export interface BenchReport {
  startedAt: string;
  seconds: number;
  machine: {
    cpus: number;
    cpuModel: string;
    memoryGiB: number;
    node: string;
    kernel: string;
    openFiles: { soft: number; hard: number };
    loadAverage: { start: number; end: number };
    /** Share of the machine's CPU time that other work took while runs were measured (mean over runs). */
    otherLoad: number;
  };
  options: BenchOptions;
  rows: Row[];
  ratios: ReturnType<typeof ratios>;
  idle: IdleResult[];
  /** Scale scenarios, each printed as its own lines after the table. */
  directory: DirectoryResult[];
  codec: CodecResult[];
  storm: StormResult | null;
  cluster: ClusterResult | null;
  targets: TargetCheck[];
  text: string;
}

/** Scenarios that start their own processes (or none), not the side-by-side servers. */
const OWN_SETUP = new Set(['idle', 'routing', 'directory', 'codec', 'storm', 'cluster', 'kept']);

/**
 * Runs the chosen scenarios against every chosen server in one go, so Switchboard is always measured beside
 * raw ws under the same conditions; every process it starts is stopped before it returns or throws.
 */
export async function runBench(options: BenchOptions, log: (line: string) => void = () => {}): Promise<BenchReport> {
  const started = Date.now();
  const loadStart = loadAverage();
  const rows: Row[] = [];
  let idle: IdleResult[] = [];
  let directory: DirectoryResult[] = [];
  let codec: CodecResult[] = [];
  let storm: StormResult | null = null;
  let cluster: ClusterResult | null = null;
  const targets: Target[] = [];
  const ctx: ScenarioContext = { options, targets, log };
  const has = (s: BenchOptions['scenarios'][number]) => options.scenarios.includes(s);
  try {
    if (options.scenarios.some((s) => !OWN_SETUP.has(s))) {
      log(`starting ${options.targets.join(', ') || 'nothing (external server only)'}`);
      // Started side by side; if one fails, the others are stopped by the finally below.
      const started = await Promise.allSettled(
        options.targets.map((kind) =>
          startTarget(kind, {
            host: options.serverHost[kind],
            gateways: options.gateways,
            workers: options.workers,
            profileDir: kind === 'switchboard' ? (options.profileDir ?? undefined) : undefined,
          }),
        ),
      );
      for (const s of started) if (s.status === 'fulfilled') targets.push(s.value);
      for (const s of started) if (s.status === 'rejected') throw s.reason;
      if (options.externalUrls.length > 0) targets.push(externalTarget(options.externalUrls, options.externalPids));
      if (options.serverWarmupMs > 0) {
        log('warming up every server');
        await warmUp(ctx);
      }
      const scenarios = [
        ['echo', echoScenario],
        ['touid', touidScenario],
        ['pipelined', pipelinedScenario],
        ['fanout', fanoutScenario],
        ['latency', latencyScenario],
      ] as const;
      for (const [id, run] of scenarios) {
        if (!has(id)) continue;
        log(id);
        rows.push(...(await run(ctx)));
      }
      await stopTargets(targets);
    }
    // Its own Switchboards (one gateway, then several with each routing mode), so it runs apart.
    if (has('routing') && options.targets.includes('switchboard')) {
      log('routing');
      rows.push(...(await routingScenario(ctx)));
    }
    // Its own Switchboards too: ordinary sends, kept on the embedded history, kept on a Redis it starts.
    if (has('kept') && options.targets.includes('switchboard')) {
      log('kept');
      rows.push(...(await keptScenario(ctx)));
    }
    if (has('idle')) {
      log('idle connections');
      idle = await idleScenario(ctx);
    }
    if (has('directory')) {
      log('directory (no sockets: the subscriber side of the membership feed)');
      directory = directoryScenario(options.directorySizes, log);
    }
    if (has('codec')) {
      log('codec (no sockets: the internal wire of the hot commands, msgpack map against the compact layout)');
      codec = codecScenario(options.codecCalls, log);
    }
    if (has('storm')) {
      log(`login storm: ${options.stormClients} clients`);
      storm = await stormScenario(ctx);
      log(`  ${storm.line}`);
    }
    if (has('cluster')) {
      const c = options.cluster;
      log(`big cluster: ${c.registers} registers, ${c.gateways} gateways, ${c.workers} workers`);
      cluster = await clusterScenario(c, options.serverHost.switchboard, log);
      for (const line of cluster.lines) log(`  ${line}`);
    }
  } finally {
    await stopTargets(targets);
    await stopAllServers();
  }
  const checks = targetChecks(rows, idle);
  const measured = rows.filter((r) => r.cpu.capacity > 0);
  return {
    startedAt: new Date(started).toISOString(),
    seconds: Math.round((Date.now() - started) / 1000),
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? '?',
      memoryGiB: Math.round(totalmem() / 2 ** 30),
      node: process.version,
      kernel: release(),
      openFiles: openFileLimit(),
      loadAverage: { start: loadStart, end: loadAverage() },
      otherLoad:
        measured.length > 0
          ? Math.round((measured.reduce((s, r) => s + r.cpu.other / r.cpu.capacity, 0) / measured.length) * 1000) / 1000
          : 0,
    },
    options,
    rows,
    ratios: ratios(rows),
    idle,
    directory,
    codec,
    storm,
    cluster,
    targets: checks,
    text:
      formatReport(rows, idle, checks) +
      [
        ...directory.map((d) => d.line),
        ...codec.map((c) => c.line),
        ...(storm ? [storm.line] : []),
        ...(cluster?.lines ?? []),
      ]
        .map((line) => `${line}\n`)
        .join(''),
  };
}

async function stopTargets(targets: Target[]): Promise<void> {
  const running = targets.splice(0);
  await Promise.all(running.map((t) => t.stop()));
}
