import { join } from 'node:path';
import type { Row } from '../rows.ts';
import { eachTarget, withPool, type ScenarioContext } from '../scenario-context.ts';
import { startTarget, type Target } from '../targets.ts';
import { touidRun } from './touid.ts';

type Routing = 'directory' | 'all';

/** Send commands the gateways of a target received and messages they handed to clients, from their /metrics. */
async function gatewayCounts(target: Target): Promise<{ commands: number; messages: number }> {
  const texts = await Promise.all(
    target.urls.map(async (url) => (await fetch(`${url.replace(/^ws/, 'http')}/metrics`)).text()),
  );
  const total = (name: string) =>
    texts.reduce((sum, text) => sum + Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN), 0);
  return {
    commands: total('switchboard_gateway_send_commands_total'),
    messages: total('switchboard_gateway_messages_out_total'),
  };
}

/** Gateway CPU per delivery, µs: what sending every uid message to every gateway would multiply. */
export const gatewayCpuUs = (row: Row) =>
  row.deliveries > 0
    ? (Object.entries(row.cpu.server)
        .filter(([role]) => role.startsWith('gateway'))
        .reduce((sum, [, seconds]) => sum + seconds, 0) *
        1e6) /
      row.deliveries
    : NaN;

/**
 * routing: the touid load on one gateway, then on several with `directory` routing (a send goes only to the
 * gateway holding the uid) and with `all` (every send goes to every gateway, as GatewayWorker does). The
 * figure that matters is gateway CPU per delivery: with `all` it grows with the number of gateways.
 * Each layout is its own Switchboard, started here and stopped before the scenario returns.
 */
export async function routingScenario(ctx: ScenarioContext): Promise<Row[]> {
  const { routingGateways: many, workers, serverHost } = ctx.options;
  const layouts: [gateways: number, routing: Routing][] = [
    [1, 'directory'],
    [many, 'directory'],
    [many, 'all'],
  ];
  const targets: Target[] = [];
  try {
    for (const [gateways, routing] of layouts) {
      const profileDir = ctx.options.profileDir ? join(ctx.options.profileDir, `${gateways}g-${routing}`) : undefined;
      targets.push(
        await startTarget('switchboard', { host: serverHost.switchboard, gateways, workers, routing, profileDir }),
      );
    }
    const describe = { scenario: 'routing', title: 'touid', unit: 'deliveries/s' };
    // Fresh processes run slower until their hot code is compiled: one uncounted touid run on each first.
    const warm = { ...ctx, options: { ...ctx.options, durationMs: ctx.options.serverWarmupMs } };
    if (warm.options.durationMs > 0) {
      await withPool(ctx.options.generators, async (pool) => {
        for (const target of targets) {
          await touidRun(warm, pool, target, describe);
          await pool.reset();
        }
      });
    }
    return await eachTarget(ctx, targets, describe, async (pool, target) => {
      const [gateways, routing] = layouts[targets.indexOf(target)]!;
      const before = await gatewayCounts(target);
      const row = await touidRun(ctx, pool, target, describe);
      const after = await gatewayCounts(target);
      const commands = after.commands - before.commands;
      const messages = after.messages - before.messages;
      return {
        ...row,
        scenario: `routing-${gateways}g-${routing}`,
        title: `touid, ${gateways} gateway${gateways > 1 ? 's' : ''}, routing ${routing}`,
        extra: {
          ...row.extra,
          gatewayCpuUsPerDelivery: Math.round(gatewayCpuUs(row) * 100) / 100,
          // Free of timing noise: how many gateways each send reached (logins and their replies included).
          sendCommandsPerMessage: messages > 0 ? Math.round((commands / messages) * 100) / 100 : NaN,
        },
      };
    });
  } finally {
    await Promise.all(targets.map((t) => t.stop()));
  }
}
