import type { BenchOptions } from './bench-options.ts';
import { LoadPool } from './load-pool.ts';
import type { Target } from './targets.ts';

/** What every scenario gets from the runner. */
export interface ScenarioContext {
  options: BenchOptions;
  /** Running servers, in the order they are measured. */
  targets: Target[];
  log(line: string): void;
  /** Closed-loop echo round trips/s with 100 clients, per target label: the latency scenario offers half. */
  echoMax: Map<string, number>;
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
