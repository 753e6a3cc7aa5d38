import { evenShares } from '../load-pool.ts';
import { makeRow, measureLoad } from '../measure.ts';
import type { Row } from '../rows.ts';
import { connectAll, eachTarget, warmUp, type ScenarioContext } from '../scenario-context.ts';
import { startTarget, type Target } from '../targets.ts';

const WINDOW = 10;
const ECHO_CLIENTS = 100;
const TOUID_SENDERS = 10;
const TOUID_RECEIVERS = 100;

/**
 * Pipelining clients, on `ws`, on Switchboard with the bench's flags (limits off) and on a Switchboard with
 * its default flags (started here): echo with 100 clients, 10 in flight each; touid with 10 senders, 10 in
 * flight each, to 100 logged-in receivers.
 */
export async function pipelinedScenario(ctx: ScenarioContext): Promise<Row[]> {
  const { options } = ctx;
  const extra: Target[] = [];
  if (options.targets.includes('switchboard')) {
    extra.push(
      await startTarget('switchboard', {
        host: options.serverHost.switchboard,
        gateways: options.gateways,
        workers: options.workers,
        defaultFlags: true,
      }),
    );
  }
  try {
    // Warmed up like the side-by-side servers, or its first run would measure compilation.
    await warmUp(ctx, extra);
    const targets = [...ctx.targets.filter((t) => t.kind === 'ws' || t.kind === 'switchboard'), ...extra];
    const rows: Row[] = [];
    const echo = {
      scenario: `echo-${ECHO_CLIENTS}-window-${WINDOW}`,
      title: `echo, ${ECHO_CLIENTS} clients, ${WINDOW} in flight each`,
      unit: 'round trips/s',
    };
    rows.push(
      ...(await eachTarget(ctx, targets, echo, async (pool, target) => {
        await connectAll(ctx, pool, target, ECHO_CLIENTS);
        const load = { kind: 'echo', ratePerSec: null, window: WINDOW } as const;
        const { result, cpu } = await measureLoad(pool, target, load, options);
        return makeRow(echo, target, result.received, result.latency, cpu, result);
      })),
    );
    const { generators } = options;
    const perProcess = Math.ceil(TOUID_SENDERS / generators);
    const touid = {
      scenario: `touid-pipelined-${TOUID_RECEIVERS}`,
      title: `touid, ${perProcess * generators} senders × ${WINDOW} in flight → ${TOUID_RECEIVERS} uids`,
      unit: 'deliveries/s',
    };
    rows.push(
      ...(await eachTarget(ctx, targets, touid, async (pool, target) => {
        const senders = Array.from({ length: generators }, () => perProcess);
        await connectAll(ctx, pool, target, perProcess * generators, { login: true, shares: senders });
        const receivers = evenShares(TOUID_RECEIVERS, generators);
        await connectAll(ctx, pool, target, TOUID_RECEIVERS, { login: true, shares: receivers });
        const load = { kind: 'touid', senders: perProcess, window: WINDOW } as const;
        const { result, cpu } = await measureLoad(pool, target, load, options);
        return makeRow(touid, target, result.received, result.latency, cpu, result);
      })),
    );
    return rows;
  } finally {
    for (const t of extra) await t.stop();
  }
}
