import { BenchCluster, mb, PeakRss, scrapeMetric } from '../bench-cluster.ts';
import { LoadPool } from '../load-pool.ts';
import { ms, sleep } from '../measure.ts';
import type { ScenarioContext } from '../scenario-context.ts';

/** What one login storm measured. */
export interface StormResult {
  clients: number;
  /** Kill to the restarted gateway's "listening" line, ms. */
  restartMs: number;
  /** From the first reconnect to every client logged in and joined again (bind + join answered), ms. */
  servedMs: number;
  /** The first login of the same clients (before the kill), at the bench's usual pace, ms. */
  firstLoginMs: number;
  failedLogins: number;
  /** Events the gateways count as lost (switchboard_gateway_lost_events_total, both gateways). */
  lostEvents: number;
  /** Connections of the other gateway's clients that closed during the storm. */
  bystanderDropped: number;
  /** Round trips of the bystanders on the other gateway: p99 before and during the storm, ms. */
  bystanderP99Ms: { before: number; during: number };
  /** Peak RSS of each server process during the storm, bytes. */
  peakRss: Record<string, number>;
  /** Membership update frames the restarted gateway sent per subscriber for the storm's logins and joins. */
  updateFramesPerSubscriber: number;
  line: string;
}

/** Each reconnecting client may take this long to be let in again. */
const STORM_TIMEOUT_MS = 120_000;

/**
 * storm: a gateway holding `stormClients` logged-in clients (each bound to a uid, in a group) is killed and
 * started again on the same ports; every client reconnects at once and logs in again. Another gateway's
 * clients keep an echo load going meanwhile (are they disturbed?). Two workers serve both gateways.
 */
export async function stormScenario(ctx: ScenarioContext): Promise<StormResult> {
  const { stormClients, generators, clientHosts, connectConcurrency } = ctx.options;
  const cluster = new BenchCluster({
    host: ctx.options.serverHost.switchboard,
    registers: 1,
    gateways: 2,
    workers: 2,
    basePort: 21_000,
  });
  // Each load process stays well under the 20,000 open files a process may have.
  const stormPool = new LoadPool(Math.max(generators, Math.ceil(stormClients / 15_000)));
  const bystanders = new LoadPool(1);
  try {
    await cluster.start();
    const connect = (pool: LoadPool, url: string, count: number, concurrency: number, join: string | null) =>
      pool.connect({
        transport: 'ws',
        urls: [url],
        localAddresses: clientHosts,
        count,
        concurrency,
        timeoutMs: STORM_TIMEOUT_MS,
        login: true,
        join,
      });
    let t = Date.now();
    const first = await connect(stormPool, cluster.gatewayUrl(0), stormClients, connectConcurrency, 'storm');
    const firstLoginMs = Date.now() - t;
    if (first.failed > 0) throw new Error(`storm: ${first.failed} first logins failed: ${first.error}`);
    ctx.log(`  ${stormClients} clients logged in on gateway 0 in ${firstLoginMs} ms`);
    const bystanderCount = Math.min(200, Math.max(10, Math.round(stormClients / 100)));
    await connect(bystanders, cluster.gatewayUrl(1), bystanderCount, connectConcurrency, null);
    const echo = { kind: 'echo', ratePerSec: bystanderCount * 5 } as const;
    await bystanders.start(echo);
    await sleep(500);
    await bystanders.mark();
    await sleep(2000);
    const before = await bystanders.stop();

    const peaks = new PeakRss(() => cluster.all.map((p) => ({ name: p.name, pid: p.pid })));
    await bystanders.start(echo);
    await bystanders.mark();
    const lostBefore = await scrapeMetric(cluster.gatewayMetrics(1), 'switchboard_gateway_lost_events_total');
    t = Date.now();
    await cluster.killGateway(0);
    const dead = stormPool.reset();
    const gateway = cluster.startGateway(0);
    await gateway.waitFor('gateway listening', 60_000);
    const restartMs = Date.now() - t;
    await dead;
    // Every client at once: one lane per client.
    t = Date.now();
    const perProcess = Math.ceil(stormClients / stormPool.size);
    const storm = await connect(stormPool, cluster.gatewayUrl(0), stormClients, perProcess, 'storm');
    const servedMs = Date.now() - t;
    await sleep(500);
    const during = await bystanders.stop();
    const peakRss = Object.fromEntries(peaks.stop());
    const updates = await scrapeMetric(cluster.gatewayMetrics(0), 'switchboard_gateway_membership_updates_total');
    const lost =
      (await scrapeMetric(cluster.gatewayMetrics(0), 'switchboard_gateway_lost_events_total')) +
      (await scrapeMetric(cluster.gatewayMetrics(1), 'switchboard_gateway_lost_events_total')) -
      lostBefore;
    const lostEvents = Number.isFinite(lost) ? lost : 0;
    const subscribers = 2;
    const result: StormResult = {
      clients: stormClients,
      restartMs,
      servedMs,
      firstLoginMs,
      failedLogins: storm.failed + (stormClients - storm.ok - storm.failed),
      lostEvents,
      bystanderDropped: during.dropped,
      bystanderP99Ms: { before: ms(before.latency.percentile(0.99)), during: ms(during.latency.percentile(0.99)) },
      peakRss,
      updateFramesPerSubscriber: Math.round(updates / subscribers),
      line: '',
    };
    const rss = Object.entries(peakRss)
      .map(([name, bytes]) => `${name} ${mb(bytes)} MB`)
      .join(', ');
    result.line =
      `storm: ${stormClients} clients back in ${(servedMs / 1000).toFixed(1)} s ` +
      `(gateway restarted in ${(restartMs / 1000).toFixed(1)} s), ${result.failedLogins} failed logins, ` +
      `${lostEvents} events lost; bystanders ${during.dropped} dropped, p99 ${result.bystanderP99Ms.before} → ${result.bystanderP99Ms.during} ms; ` +
      `${result.updateFramesPerSubscriber} membership frames per subscriber for ${2 * stormClients} changes; ` +
      `peak RSS ${rss}`;
    if (storm.error) ctx.log(`  first storm error: ${storm.error}`);
    return result;
  } finally {
    await Promise.all([stormPool.close(), bystanders.close()]);
    await cluster.stop();
  }
}
