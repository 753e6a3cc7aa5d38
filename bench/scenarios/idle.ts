import { evenShares } from '../load-pool.ts';
import { sleep } from '../measure.ts';
import { openFileLimit, rssBytes } from '../proc-stats.ts';
import type { IdleResult, IdleStep } from '../rows.ts';
import { connectAll, withPool, type ScenarioContext } from '../scenario-context.ts';
import { externalTarget, isTcp, startTarget, type Target } from '../targets.ts';

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
/** Summed RSS of the processes holding the sockets; NaN when they are not known. */
function rssOf(pids: number[]): number {
  return pids.length > 0 ? pids.reduce((sum, pid) => sum + rssBytes(pid), 0) : NaN;
}

export async function idleScenario(ctx: ScenarioContext): Promise<IdleResult[]> {
  const { soft } = openFileLimit();
  const perServer = soft - FD_MARGIN;
  const perLoad = Math.min(MAX_PER_LOAD_PROCESS, soft - FD_MARGIN);
  const { options } = ctx;
  const starts: (() => Promise<Target>)[] = options.targets
    // WebSocket servers only: the TCP servers are measured on echo and touid.
    .filter((kind) => kind !== 'socketio' && !isTcp(kind))
    .map(
      (kind) => () =>
        startTarget(kind, { host: options.serverHost[kind], gateways: options.gateways, workers: options.workers }),
    );
  // A server someone else runs is measured as it is (it cannot be restarted fresh).
  if (options.externalUrls.length > 0)
    starts.push(async () => externalTarget(options.externalUrls, options.externalPids));
  const out: IdleResult[] = [];
  for (const start of starts) {
    const target = await start();
    const { kind } = target;
    try {
      const holders = target.socketHolders;
      // Without the PIDs of an external server nothing bounds it but the steps asked for.
      const cap = holders.length > 0 ? perServer * holders.length : Infinity;
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
        const baselineRss = rssOf(holders);
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
          const rss = rssOf(holders);
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
              `${(step.bytesPerConnection / 1000).toFixed(2)} KB per connection`,
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
