import type { Registry } from 'prom-client';

/**
 * The child side of the supervisor's IPC channel (present when a role runs under `switchboard start` or
 * `--count`): says when the role is ready, and answers stats requests for `switchboard status`.
 */

/** Messages between the supervisor and its children; `sb` keeps them apart from anything else on the channel. */
export type IpcMessage =
  | { sb: 'ready' }
  | { sb: 'stats'; id: number }
  | { sb: 'stats-reply'; id: number; stats: ChildStats }
  /** Asks for the current value of some of the child's metrics (the dashboard), each summed over its labels. */
  | { sb: 'metrics'; id: number; names: string[] }
  | { sb: 'metrics-reply'; id: number; values: Record<string, number> };

export interface ChildStats {
  rss: number;
  /** Role-specific counters (connections, messagesIn, inFlight, …). */
  [key: string]: number;
}

export function isIpcMessage(value: unknown): value is IpcMessage {
  return typeof value === 'object' && value !== null && typeof (value as { sb?: unknown }).sb === 'string';
}

/**
 * Wires a running role to its supervisor, if it has one. `metrics` gives the role's Prometheus registry (made on
 * first use) for metrics requests; a role without one answers them with nothing.
 */
export function reportToSupervisor(stats: () => Record<string, number>, metrics?: () => Registry): { ready(): void } {
  const send = process.send?.bind(process);
  if (!send) return { ready() {} };
  process.on('message', (msg: unknown) => {
    if (!isIpcMessage(msg)) return;
    if (msg.sb === 'stats') {
      send({
        sb: 'stats-reply',
        id: msg.id,
        stats: { ...stats(), rss: process.memoryUsage().rss },
      } satisfies IpcMessage);
    } else if (msg.sb === 'metrics') {
      void readMetrics(metrics?.(), msg.names).then((values) =>
        send({ sb: 'metrics-reply', id: msg.id, values } satisfies IpcMessage),
      );
    }
  });
  // The channel must not keep a stopping child alive.
  process.channel?.unref();
  return { ready: () => void send({ sb: 'ready' } satisfies IpcMessage) };
}

/** The named metrics of `registry` that exist, each summed over its label sets (histograms are left out). */
async function readMetrics(registry: Registry | undefined, names: readonly string[]): Promise<Record<string, number>> {
  const values: Record<string, number> = {};
  if (!registry) return values;
  for (const name of names) {
    const metric = registry.getSingleMetric(name);
    if (!metric) continue;
    try {
      const { type, values: samples } = await metric.get();
      if (['counter', 'gauge'].includes(String(type))) values[name] = samples.reduce((sum, s) => sum + s.value, 0);
    } catch {
      // A metric whose collect() fails is left out, as a scrape would show it broken.
    }
  }
  return values;
}
