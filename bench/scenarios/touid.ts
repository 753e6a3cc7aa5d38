import { evenShares, type LoadPool } from '../load-pool.ts';
import { makeRow, measureLoad } from '../measure.ts';
import type { Row } from '../rows.ts';
import { connectAll, eachTarget, type ScenarioContext } from '../scenario-context.ts';
import type { Target } from '../targets.ts';

/**
 * touid: every client logs in; in each load process the first clients send `touid:` to that process's
 * receivers in turn, one in flight per sender. Deliveries/s and send-to-arrival latency.
 */
export async function touidScenario(ctx: ScenarioContext): Promise<Row[]> {
  const { touidSenders, touidReceivers, generators } = ctx.options;
  const perProcess = Math.ceil(touidSenders / generators);
  const describe = {
    scenario: `touid-${touidReceivers}`,
    title: `touid, ${perProcess * generators} senders → ${touidReceivers} uids`,
    unit: 'deliveries/s',
  };
  const targets = ctx.targets.filter((t) => t.kind !== 'socketio');
  return eachTarget(ctx, targets, describe, (pool, target) => touidRun(ctx, pool, target, describe));
}

/** One touid run on one target: connect and log in the senders and receivers, then measure. */
export async function touidRun(
  ctx: ScenarioContext,
  pool: LoadPool,
  target: Target,
  describe: Pick<Row, 'scenario' | 'title' | 'unit'>,
): Promise<Row> {
  const { touidSenders, touidReceivers, generators } = ctx.options;
  const perProcess = Math.ceil(touidSenders / generators);
  // Each process gets its senders first, then its receivers: the load takes its first clients as senders.
  const senders = Array.from({ length: generators }, () => perProcess);
  await connectAll(ctx, pool, target, perProcess * generators, { login: true, shares: senders });
  const receivers = evenShares(touidReceivers, generators);
  await connectAll(ctx, pool, target, touidReceivers, { login: true, shares: receivers });
  const load = { kind: 'touid', senders: perProcess, window: 1 } as const;
  const { result, cpu } = await measureLoad(pool, target, load, ctx.options);
  return makeRow(describe, target, result.received, result.latency, cpu, result);
}
