import { makeRow, measureLoad, ms } from '../measure.ts';
import type { Row } from '../rows.ts';
import type { LoadPool } from '../load-pool.ts';
import { connectAll, eachTarget, type ScenarioContext } from '../scenario-context.ts';
import { isTcp, type Target } from '../targets.ts';

const CLIENTS = 100;

/**
 * Latency under load: 100 clients first find the closed-loop echo maximum, then send `echo:` at half of it
 * (open loop: sends go out on schedule whatever the replies do), in `latencyRepeats` windows. Measuring the
 * maximum right before keeps both under the same machine load. Reported: the window with the median p99
 * (p50/p99 from send to reply, and p99 from when each send was due, which also counts the generator running
 * late), and every window's p99.
 */
export async function latencyScenario(ctx: ScenarioContext): Promise<Row[]> {
  const clients = Math.min(CLIENTS, ctx.options.echoClients[0] ?? CLIENTS);
  const describe = {
    scenario: 'latency-half-max',
    title: `echo at half max, ${clients} clients`,
    unit: 'round trips/s',
  };
  // WebSocket servers only: the TCP servers are measured on echo and touid.
  const targets = ctx.targets.filter((t) => t.kind !== 'socketio' && !isTcp(t.kind));
  // Repeated inside, window by window, and reported by median p99 rather than by CPU.
  const repeats = 1;
  return eachTarget(ctx, targets, describe, measure, repeats);

  async function measure(pool: LoadPool, target: Target): Promise<Row> {
    await connectAll(ctx, pool, target, clients);
    const closed = await measureLoad(pool, target, { kind: 'echo', ratePerSec: null }, ctx.options);
    const max = closed.result.received / closed.cpu.seconds;
    const offered = Math.max(1, Math.round(max / 2));
    const load = { kind: 'echo', ratePerSec: offered / pool.busyProcesses } as const;
    // Other work on the machine comes in bursts: of several windows, the median one is reported.
    const windows = [];
    for (let i = 0; i < Math.max(1, ctx.options.latencyRepeats); i++) {
      windows.push(await measureLoad(pool, target, load, ctx.options));
    }
    const p99s = windows.map((w) => w.result.latency.percentile(0.99));
    const median = [...windows].sort((a, b) => a.result.latency.percentile(0.99) - b.result.latency.percentile(0.99))[
      Math.floor(windows.length / 2)
    ]!;
    const { result, cpu } = median;
    return makeRow(
      {
        ...describe,
        extra: {
          maxPerSec: Math.round(max),
          offeredPerSec: offered,
          p99FromDueMs: result.scheduledLatency ? ms(result.scheduledLatency.percentile(0.99)) : null,
          p99OfEachWindowMs: p99s.map(ms),
          p95Ms: ms(result.latency.percentile(0.95)),
          p999Ms: ms(result.latency.percentile(0.999)),
        },
      },
      target,
      result.received,
      result.latency,
      cpu,
      result,
    );
  }
}
