import { makeRow, measureLoad } from '../measure.ts';
import type { Row } from '../rows.ts';
import { connectAll, withPool, type ScenarioContext } from '../scenario-context.ts';

/**
 * touid: every client logs in; in each load process the first clients send `touid:` to that process's
 * receivers in turn, one in flight per sender. Deliveries/s and send-to-arrival latency.
 */
export async function touidScenario(ctx: ScenarioContext): Promise<Row[]> {
  const { touidSenders, touidReceivers, generators } = ctx.options;
  const perProcess = Math.ceil(touidSenders / generators);
  const rows: Row[] = [];
  for (const target of ctx.targets.filter((t) => t.kind !== 'socketio')) {
    const row = await withPool(generators, async (pool) => {
      // Clients are dealt to the processes in order: each gets its senders first, then its receivers.
      const shares = Array.from({ length: generators }, () => perProcess);
      await connectAll(ctx, pool, target, perProcess * generators, { login: true, shares });
      const receivers = Array.from(
        { length: generators },
        (_, i) => Math.floor(touidReceivers / generators) + (i < touidReceivers % generators ? 1 : 0),
      );
      await connectAll(ctx, pool, target, touidReceivers, { login: true, shares: receivers });
      const load = { kind: 'touid', senders: perProcess, window: 1 } as const;
      const { result, cpu } = await measureLoad(pool, target, load, ctx.options);
      return makeRow(
        {
          scenario: `touid-${touidReceivers}`,
          title: `touid, ${perProcess * generators} senders → ${touidReceivers} uids`,
          unit: 'deliveries/s',
        },
        target,
        result.received,
        result.latency,
        cpu,
        result,
      );
    });
    ctx.log(`  ${row.title} on ${target.label}: ${row.rate} ${row.unit}, p99 ${row.p99Ms} ms`);
    rows.push(row);
  }
  return rows;
}
