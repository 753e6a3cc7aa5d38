import type { BenchOptions } from './bench-options.ts';
import { LoadPool } from './load-pool.ts';
import { measureLoad } from './measure.ts';
import type { Row } from './rows.ts';
import type { Target } from './targets.ts';

/** What every scenario gets from the runner. */
export interface ScenarioContext {
  options: BenchOptions;
  /** Running servers, in the order they are measured. */
  targets: Target[];
  log(line: string): void;
}

/** Per-connection timeout while connecting, logging in and joining. */
export const CONNECT_TIMEOUT_MS = 10_000;

/** Runs `fn` with a fresh load pool, which is closed afterwards whatever happens. */
export async function withPool<T>(size: number, fn: (pool: LoadPool) => Promise<T>): Promise<T> {
  const pool = new LoadPool(size);
  try {
    return await fn(pool);
  } finally {
    await pool.close();
  }
}

/** Opens `count` clients on the target (logged in / joined when asked); throws unless all of them opened. */
export async function connectAll(
  ctx: ScenarioContext,
  pool: LoadPool,
  target: Target,
  count: number,
  extra: { login?: boolean; join?: string | null; shares?: number[] } = {},
): Promise<void> {
  const { ok, failed, error } = await pool.connect({
    transport: target.transport,
    urls: target.urls,
    localAddresses: ctx.options.clientHosts,
    count,
    concurrency: ctx.options.connectConcurrency,
    timeoutMs: CONNECT_TIMEOUT_MS,
    login: extra.login ?? false,
    join: extra.join ?? null,
    shares: extra.shares,
  });
  if (failed > 0 || ok < count) {
    throw new Error(`${target.label}: ${ok} of ${count} clients connected (${failed} failed: ${error})`);
  }
}

/**
 * Measures every target with the same load processes, closing the clients between targets, `repeats` times
 * round-robin (ws, socket.io, switchboard, ws, …) so that a slow spell of the machine does not land on one
 * server only. Each target's row is its run with the least server CPU per message, the figure least disturbed
 * by other work; every run's figures are kept in `extra.runs`. A target that fails gets a row saying why, and
 * the others are still measured.
 */
export async function eachTarget(
  ctx: ScenarioContext,
  targets: Target[],
  describe: Pick<Row, 'scenario' | 'title' | 'unit'>,
  fn: (pool: LoadPool, target: Target) => Promise<Row>,
  repeats = ctx.options.repeats,
): Promise<Row[]> {
  return withPool(ctx.options.generators, async (pool) => {
    const runs = new Map<Target, Row[]>(targets.map((t) => [t, []]));
    for (let round = 0; round < Math.max(1, repeats); round++) {
      for (const target of targets) {
        let row: Row;
        try {
          row = await fn(pool, target);
          ctx.log(
            `  ${row.title} on ${row.target}: ${row.rate.toLocaleString('en-US')} ${row.unit}, ` +
              `p99 ${row.p99Ms} ms, ${row.cpuUsPerDelivery} server CPU µs each`,
          );
        } catch (err) {
          row = failedRow(describe, target, err as Error);
          ctx.log(`  ${describe.title} on ${target.label} FAILED: ${(err as Error).message}`);
        }
        runs.get(target)!.push(row);
        await pool.reset();
      }
    }
    return targets.map((target) => best(runs.get(target)!));
  });
}

/** The run with the least server CPU per message (a failed run only when every run failed). */
function best(runs: Row[]): Row {
  const ok = runs.filter((r) => r.deliveries > 0 && Number.isFinite(r.cpuUsPerDelivery));
  const chosen = ok.length > 0 ? ok.reduce((a, b) => (b.cpuUsPerDelivery < a.cpuUsPerDelivery ? b : a)) : runs[0]!;
  if (runs.length === 1) return chosen;
  const summary = runs.map((r) => ({ rate: r.rate, p99Ms: r.p99Ms, cpuUsPerDelivery: r.cpuUsPerDelivery }));
  return { ...chosen, extra: { ...chosen.extra, runs: summary } };
}

function failedRow(describe: Pick<Row, 'scenario' | 'title' | 'unit'>, target: Target, err: Error): Row {
  const cpu = { seconds: 0, server: {}, serverTotal: 0, serverSystem: 0, generator: 0, other: 0, capacity: 0 };
  return {
    ...describe,
    target: target.label,
    kind: target.kind,
    rate: NaN,
    deliveries: 0,
    p50Ms: NaN,
    p99Ms: NaN,
    cpuUsPerDelivery: NaN,
    cpu,
    notes: [`failed: ${err.message.split('\n')[0]}`],
  };
}

/**
 * Echo on each server (`targets`, by default every side-by-side one), not counted: a freshly started process
 * runs slower until its hot code is compiled.
 */
export async function warmUp(ctx: ScenarioContext, targets: readonly Target[] = ctx.targets): Promise<void> {
  const clients = ctx.options.echoClients[0] ?? 100;
  const timing = { warmupMs: ctx.options.serverWarmupMs, durationMs: 0, settleMs: ctx.options.settleMs };
  await withPool(ctx.options.generators, async (pool) => {
    for (const target of targets) {
      try {
        await connectAll(ctx, pool, target, clients);
        await measureLoad(pool, target, { kind: 'echo', ratePerSec: null }, timing);
      } catch (err) {
        // The scenarios will say what is wrong with this server; warming up is only a courtesy.
        ctx.log(`  warming up ${target.label} failed: ${(err as Error).message}`);
      }
      await pool.reset();
    }
  });
}
