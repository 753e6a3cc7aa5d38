import { CpuWindow, type CpuUsage } from './cpu-window.ts';
import type { Histogram } from './histogram.ts';
import type { LoadPool, PoolResult } from './load-pool.ts';
import type { Load } from './load-protocol.ts';
import type { Row } from './rows.ts';
import type { Target } from './targets.ts';

/** How long a run warms up, is counted, and settles. */
export interface Timing {
  warmupMs: number;
  durationMs: number;
  /** Pause after the run, so messages still in flight do not spill into the next one. */
  settleMs: number;
}

/** Resolves after `ms`. */
export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Runs `load` on every client of the pool: warm-up, then a counted window during which the CPU of every
 * server process, of the generator and of the rest of the machine is measured. `during` hooks the
 * coordinator's own part of a load (the fanout sender) into the same window.
 */
export async function measureLoad(
  pool: LoadPool,
  target: Target,
  load: Load,
  timing: Timing,
  during?: { started(): void; marked(): void; stopping(): void },
): Promise<{ result: PoolResult; cpu: CpuUsage }> {
  await pool.start(load);
  during?.started();
  await sleep(timing.warmupMs);
  await pool.mark();
  during?.marked();
  const window = new CpuWindow(target.processes, pool.pids);
  await sleep(timing.durationMs);
  const cpu = window.stop();
  during?.stopping();
  const result = await pool.stop();
  await sleep(timing.settleMs);
  return { result, cpu };
}

/** Microseconds to milliseconds, three decimals. */
export const ms = (micros: number) => Math.round(micros) / 1000;

/** A row from a measured run; `deliveries` is what `rate` counts. */
export function makeRow(
  fields: Pick<Row, 'scenario' | 'title' | 'unit'> & { extra?: Record<string, unknown> },
  target: Target,
  deliveries: number,
  latency: Histogram,
  cpu: CpuUsage,
  result: PoolResult,
): Row {
  const notes: string[] = [];
  if (result.dropped > 0) notes.push(`${result.dropped} connection(s) dropped`);
  if (result.skipped > 0) notes.push(`${result.skipped} send(s) skipped: too many in flight`);
  if (deliveries === 0) notes.push('nothing delivered');
  return {
    ...fields,
    target: target.label,
    kind: target.kind,
    rate: Math.round(deliveries / cpu.seconds),
    deliveries,
    p50Ms: ms(latency.percentile(0.5)),
    p99Ms: ms(latency.percentile(0.99)),
    cpuUsPerDelivery: deliveries > 0 ? Math.round((cpu.serverTotal * 1e7) / deliveries) / 10 : NaN,
    cpu,
    notes,
  };
}
