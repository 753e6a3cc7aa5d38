import type { BenchOptions } from './bench-options.ts';
import { LoadPool } from './load-pool.ts';
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
 * Runs one measurement per target with the same load processes, closing the clients between targets. A
 * target that fails gets a row saying why, and the others are still measured.
 */
export async function eachTarget(
  ctx: ScenarioContext,
  targets: Target[],
  describe: Pick<Row, 'scenario' | 'title' | 'unit'>,
  fn: (pool: LoadPool, target: Target) => Promise<Row>,
): Promise<Row[]> {
  return withPool(ctx.options.generators, async (pool) => {
    const rows: Row[] = [];
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
      rows.push(row);
      await pool.reset();
    }
    return rows;
  });
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
