import { makeRow, measureLoad } from '../measure.ts';
import type { Row } from '../rows.ts';
import { connectAll, withPool, type ScenarioContext } from '../scenario-context.ts';

/** Echo: C clients, one `echo:` in flight each; round trips/s and round-trip latency. */
export async function echoScenario(ctx: ScenarioContext): Promise<Row[]> {
  const rows: Row[] = [];
  for (const clients of ctx.options.echoClients) {
    for (const target of ctx.targets) {
      const row = await withPool(ctx.options.generators, async (pool) => {
        await connectAll(ctx, pool, target, clients);
        const { result, cpu } = await measureLoad(pool, target, { kind: 'echo', ratePerSec: null }, ctx.options);
        return makeRow(
          { scenario: `echo-${clients}`, title: `echo, ${clients} clients`, unit: 'round trips/s' },
          target,
          result.received,
          result.latency,
          cpu,
          result,
        );
      });
      if (clients === 100) ctx.echoMax.set(target.label, row.rate);
      ctx.log(`  ${row.title} on ${target.label}: ${row.rate} ${row.unit}, p99 ${row.p99Ms} ms`);
      rows.push(row);
    }
  }
  return rows;
}
