import { join } from 'node:path';
import { RedisServer } from '../../test/helpers/redis.ts';
import type { Row } from '../rows.ts';
import { eachTarget, withPool, type ScenarioContext } from '../scenario-context.ts';
import { startTarget, type Target } from '../targets.ts';
import { gatewayCpuUs } from './routing.ts';
import { touidRun } from './touid.ts';

/**
 * kept: the touid load through a whole Switchboard (register, gateway, worker) three times: ordinary sends,
 * then every send with `keep: true` on the embedded history, then on a Redis this scenario starts on a free
 * loopback port. CPU per delivery (every process: register, gateway, worker, and redis-server for the last) and
 * send-to-arrival latency, side by side: under the touid scenario's load, then with one sender per load process. The clients do not speak the recovery subprotocol: what is measured is
 * the cost of keeping, which every kept send pays.
 */
export async function keptScenario(ctx: ScenarioContext): Promise<Row[]> {
  const { workers, serverHost } = ctx.options;
  const redis = await RedisServer.start();
  const layouts = [
    { name: 'ordinary', title: 'touid, ordinary sends', history: undefined, keep: false },
    { name: 'memory', title: 'touid, keep: true, embedded history', history: 'memory', keep: true },
    { name: 'redis', title: 'touid, keep: true, Redis history', history: redis.url, keep: true },
  ] as const;
  const targets: Target[] = [];
  try {
    for (const layout of layouts) {
      const profileDir = ctx.options.profileDir ? join(ctx.options.profileDir, `kept-${layout.name}`) : undefined;
      targets.push(
        await startTarget('switchboard', {
          host: serverHost.switchboard,
          gateways: 1,
          workers,
          history: layout.history,
          keep: layout.keep,
          profileDir,
        }),
      );
    }
    // Redis's own CPU counts with the Switchboard that uses it.
    targets[2]!.processes.push({ role: 'redis', pid: redis.pid! });
    const describe = { scenario: 'kept', title: 'touid', unit: 'deliveries/s' };
    const warm = { ...ctx, options: { ...ctx.options, durationMs: ctx.options.serverWarmupMs } };
    if (warm.options.durationMs > 0) {
      await withPool(ctx.options.generators, async (pool) => {
        for (const target of targets) {
          await touidRun(warm, pool, target, describe);
          await pool.reset();
        }
      });
    }
    // Under load (every sender of the touid scenario), then light (one sender per load process), where latency
    // is the message's own rather than the queue's.
    const light = { ...ctx, options: { ...ctx.options, touidSenders: ctx.options.generators } };
    const rows: Row[] = [];
    for (const [runCtx, suffix] of [
      [ctx, ''],
      [light, '-light'],
    ] as const) {
      const senders = Math.ceil(runCtx.options.touidSenders / runCtx.options.generators) * runCtx.options.generators;
      rows.push(
        ...(await eachTarget(runCtx, targets, describe, async (pool, target) => {
          const layout = layouts[targets.indexOf(target)]!;
          const row = await touidRun(runCtx, pool, target, describe);
          const workerCpu = Object.entries(row.cpu.server)
            .filter(([role]) => role.startsWith('worker'))
            .reduce((sum, [, seconds]) => sum + seconds, 0);
          return {
            ...row,
            scenario: `kept-${layout.name}${suffix}`,
            title: `${layout.title}, ${senders} senders`,
            extra: {
              ...row.extra,
              gatewayCpuUsPerDelivery: Math.round(gatewayCpuUs(row) * 100) / 100,
              workerCpuUsPerDelivery: row.deliveries > 0 ? Math.round((workerCpu * 1e8) / row.deliveries) / 100 : NaN,
            },
          };
        })),
      );
    }
    return rows;
  } finally {
    await Promise.all(targets.map((t) => t.stop()));
    await redis.stop();
  }
}
