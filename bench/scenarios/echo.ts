import { makeRow, measureLoad } from '../measure.ts';
import type { Row } from '../rows.ts';
import { connectAll, eachTarget, type ScenarioContext } from '../scenario-context.ts';

/** Echo: C clients, one `echo:` in flight each; round trips/s and round-trip latency. */
export async function echoScenario(ctx: ScenarioContext): Promise<Row[]> {
  const rows: Row[] = [];
  for (const clients of ctx.options.echoClients) {
    const describe = { scenario: `echo-${clients}`, title: `echo, ${clients} clients`, unit: 'round trips/s' };
    rows.push(
      ...(await eachTarget(ctx, ctx.targets, describe, async (pool, target) => {
        await connectAll(ctx, pool, target, clients);
        const { result, cpu } = await measureLoad(pool, target, { kind: 'echo', ratePerSec: null }, ctx.options);
        return makeRow(describe, target, result.received, result.latency, cpu, result);
      })),
    );
  }
  return rows;
}
