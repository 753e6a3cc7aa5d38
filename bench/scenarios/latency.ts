import { makeRow, measureLoad, ms } from '../measure.ts';
import type { Row } from '../rows.ts';
import { connectAll, withPool, type ScenarioContext } from '../scenario-context.ts';

const CLIENTS = 100;

/**
 * Latency under load: 100 clients send `echo:` at a fixed total rate, half the closed-loop maximum this run
 * measured for the same server (open loop: sends go out on schedule whatever the replies do). p50/p99 from
 * send to reply, and p99 from when each send was due (which also counts the generator running late).
 */
export async function latencyScenario(ctx: ScenarioContext): Promise<Row[]> {
  const rows: Row[] = [];
  for (const target of ctx.targets.filter((t) => t.kind !== 'socketio')) {
    const row = await withPool(ctx.options.generators, async (pool) => {
      const clients = Math.min(CLIENTS, ctx.options.echoClients[0] ?? CLIENTS);
      await connectAll(ctx, pool, target, clients);
      let max = ctx.echoMax.get(target.label);
      if (max === undefined) {
        const closed = await measureLoad(pool, target, { kind: 'echo', ratePerSec: null }, ctx.options);
        max = closed.result.received / closed.cpu.seconds;
      }
      const offered = Math.max(1, Math.round(max / 2));
      const load = { kind: 'echo', ratePerSec: offered / pool.busyProcesses } as const;
      const { result, cpu } = await measureLoad(pool, target, load, ctx.options);
      const row = makeRow(
        {
          scenario: 'latency-half-max',
          title: `echo at half max, ${clients} clients`,
          unit: 'round trips/s',
          extra: {
            offeredPerSec: offered,
            p99FromDueMs: result.scheduledLatency ? ms(result.scheduledLatency.percentile(0.99)) : null,
          },
        },
        target,
        result.received,
        result.latency,
        cpu,
        result,
      );
      return row;
    });
    ctx.log(`  ${row.title} on ${target.label}: offered ${row.extra?.offeredPerSec}/s, p99 ${row.p99Ms} ms`);
    rows.push(row);
  }
  return rows;
}
