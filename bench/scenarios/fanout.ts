import { connectClient, type LoadClient } from '../load-client.ts';
import type { LoadPool } from '../load-pool.ts';
import { nowMicros } from '../load-protocol.ts';
import { makeRow, measureLoad } from '../measure.ts';
import type { Row } from '../rows.ts';
import { CONNECT_TIMEOUT_MS, connectAll, eachTarget, type ScenarioContext } from '../scenario-context.ts';
import { isTcp, type Target } from '../targets.ts';

const GROUP = 'bench';

/**
 * Fanout: N receivers (all of them in one group for `group:`); one sender, held by the coordinator, keeps
 * `fanoutWindow` broadcasts in flight. A broadcast is done when every load process reports that all its
 * receivers have it, so the server is never asked for more than the receivers can read. Deliveries/s,
 * latency from send to each arrival, and server CPU per delivery.
 */
export async function fanoutScenario(ctx: ScenarioContext): Promise<Row[]> {
  const rows: Row[] = [];
  for (const receivers of ctx.options.fanoutReceivers) {
    for (const mode of ['all', 'group'] as const) {
      const describe = {
        scenario: `fanout-${mode}-${receivers}`,
        title: `fanout ${mode}: ${receivers} receivers`,
        unit: 'deliveries/s',
      };
      // WebSocket servers only: the TCP servers are measured on echo and touid.
      const targets = ctx.targets.filter((t) => !isTcp(t.kind));
      const measured = await eachTarget(ctx, targets, describe, async (pool, target) => {
        await connectAll(ctx, pool, target, receivers, { join: mode === 'group' ? GROUP : null });
        const from = ctx.options.clientHosts.at(-1)!;
        const sender = await connectClient(target.transport, target.urls[0]!, from, CONNECT_TIMEOUT_MS);
        try {
          return await broadcastRun(ctx, pool, target, sender, mode, describe);
        } finally {
          sender.close();
        }
      });
      rows.push(...measured);
    }
  }
  return rows;
}

async function broadcastRun(
  ctx: ScenarioContext,
  pool: LoadPool,
  target: Target,
  sender: LoadClient,
  mode: 'all' | 'group',
  describe: Pick<Row, 'scenario' | 'title' | 'unit'>,
): Promise<Row> {
  const prefix = mode === 'all' ? 'all:' : `group:${GROUP}:`;
  const processes = pool.busyProcesses;
  const acks = new Map<number, number>();
  let nextId = 0;
  let done = 0;
  let doneAtMark = 0;
  let sending = true;
  const send = () => sender.send(`${prefix}${nextId++},${Math.round(nowMicros())}`);
  pool.onAck = (id) => {
    const n = (acks.get(id) ?? 0) + 1;
    if (n < processes) return void acks.set(id, n);
    acks.delete(id);
    done++;
    if (sending) send();
  };
  const { result, cpu } = await measureLoad(pool, target, { kind: 'receive' }, ctx.options, {
    started: () => {
      for (let i = 0; i < ctx.options.fanoutWindow; i++) send();
    },
    marked: () => (doneAtMark = done),
    stopping: () => (sending = false),
  });
  pool.onAck = () => {};
  const broadcasts = done - doneAtMark;
  const row = makeRow(
    {
      ...describe,
      extra: { broadcasts, broadcastsPerSec: Math.round(broadcasts / cpu.seconds), window: ctx.options.fanoutWindow },
    },
    target,
    result.received,
    result.latency,
    cpu,
    result,
  );
  if (broadcasts === 0) row.notes.push('no broadcast completed');
  return row;
}
