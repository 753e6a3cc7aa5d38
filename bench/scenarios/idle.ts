import { evenShares } from '../load-pool.ts';
import { sleep } from '../measure.ts';
import { openFileLimit, rssBytes } from '../proc-stats.ts';
import type { IdleResult, IdleStep } from '../rows.ts';
import { connectAll, withPool, type ScenarioContext } from '../scenario-context.ts';
import { startTarget, type TargetKind } from '../targets.ts';

/** File descriptors a process keeps for itself besides client sockets (listeners, links, stdio, libuv). */
const FD_MARGIN = 200;
/** Connections one load process holds at most (each is one file descriptor in it). */
const MAX_PER_LOAD_PROCESS = 15_000;

/**
 * Idle: connections that only connect, added in steps, on a freshly started server (so earlier scenarios'
 * heap does not hide the cost). After each step settles, the RSS of the process holding the sockets, and
 * its growth per connection. Stops at the first step that cannot be reached and says why.
 *
 * One process can hold no more sockets than its open-file limit, which this process and its children
 * share: steps above it are not tried (raise it with `ulimit -n` where the hard limit allows).
 */
export async function idleScenario(ctx: ScenarioContext): Promise<IdleResult[]> {
  const { soft } = openFileLimit();
  const perServer = soft - FD_MARGIN;
  const perLoad = Math.min(MAX_PER_LOAD_PROCESS, soft - FD_MARGIN);
  const kinds = ctx.options.targets.filter((k): k is Exclude<TargetKind, 'socketio'> => k !== 'socketio');
  const out: IdleResult[] = [];
  for (const kind of kinds) {
    const target = await startTarget(kind, {
      host: ctx.options.serverHost[kind],
      gateways: ctx.options.gateways,
      workers: ctx.options.workers,
    });
    try {
      const holders = target.socketHolders;
      const cap = perServer * holders.length;
      const steps = ctx.options.idleSteps.filter((n) => n <= cap);
      let stoppedBy: string | null =
        steps.length < ctx.options.idleSteps.length
          ? `open-file limit ${soft} per process (ulimit -n): at most ${cap} connections on ${holders.length} socket-holding process(es)`
          : null;
      if (stoppedBy && (steps.at(-1) ?? 0) < cap) steps.push(cap);
      const last = steps.at(-1) ?? 0;
      const loadProcesses = Math.max(1, Math.ceil(last / perLoad));
      const result = await withPool(loadProcesses, async (pool) => {
        await sleep(ctx.options.idleSettleMs);
        const baselineRss = holders.reduce((sum, pid) => sum + rssBytes(pid), 0);
        const measured: IdleStep[] = [];
        let reached = 0;
        for (const goal of steps) {
          const more = goal - pool.clients;
          try {
            await connectAll(ctx, pool, target, more, { shares: evenShares(more, loadProcesses) });
          } catch (err) {
            stoppedBy = (err as Error).message;
            reached = pool.clients;
            break;
          }
          await sleep(ctx.options.idleSettleMs);
          const rss = holders.reduce((sum, pid) => sum + rssBytes(pid), 0);
          const otherRss: Record<string, number> = {};
          for (const p of target.processes) if (!holders.includes(p.pid)) otherRss[p.role] = rssBytes(p.pid);
          const step = {
            connections: pool.clients,
            rss,
            bytesPerConnection: Math.round((rss - baselineRss) / pool.clients),
            otherRss,
          };
          measured.push(step);
          ctx.log(
            `  idle on ${target.label}: ${step.connections} connections, RSS ${(rss / 2 ** 20).toFixed(1)} MiB, ` +
              `${(step.bytesPerConnection / 1024).toFixed(2)} KiB per connection`,
          );
        }
        return { baselineRss, measured, reached };
      });
      out.push({
        target: target.label,
        kind,
        baselineRss: result.baselineRss,
        steps: result.measured,
        largest: Math.max(result.reached, ...result.measured.map((s) => s.connections)),
        stoppedBy,
      });
    } finally {
      await target.stop();
    }
  }
  return out;
}
