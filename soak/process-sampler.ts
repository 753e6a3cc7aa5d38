import { residentBytes, type ClusterControl } from './cluster-control.ts';
import type { RssSample } from './memory-trend.ts';

/** The counters a soak reads from each process's /metrics. */
export const HANDLER_TIMEOUTS = 'switchboard_worker_handler_timeouts_total';
export const LOST_EVENTS = 'switchboard_gateway_lost_events_total';

/** What was sampled of one process (one pid) over its life. */
export interface SampledProcess {
  /** `gateway#1`, or `supervisor` */
  name: string;
  pid: number;
  samples: RssSample[];
  /** The last value read of each counter this process serves; absent when it never served it. */
  counters: Partial<Record<typeof HANDLER_TIMEOUTS | typeof LOST_EVENTS, number>>;
}

/**
 * Samples, every `every` ms, the resident memory (from /proc) of every process of the cluster and of the
 * supervisor, and reads the counters of interest from the gateways' and workers' /metrics. A process that was
 * replaced (killed, restarted, reloaded) is a new entry: samples are kept per pid.
 */
export class ProcessSampler {
  readonly processes = new Map<number, SampledProcess>();
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> = Promise.resolve();

  constructor(
    private readonly cluster: ClusterControl,
    private readonly every: number,
    private readonly now: () => number,
  ) {}

  start(): void {
    const loop = () => {
      this.running = this.sample().finally(() => {
        if (this.timer !== null) this.timer = setTimeout(loop, this.every);
      });
    };
    this.timer = setTimeout(loop, 0);
  }

  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }

  /** Takes one sample of every process now. */
  async sample(): Promise<void> {
    const at = this.now();
    const supervisor = this.cluster.supervisorPid;
    if (supervisor) this.record('supervisor', supervisor, at);
    let processes;
    try {
      processes = await this.cluster.processes();
    } catch {
      return; // the supervisor did not answer this time
    }
    await Promise.all(
      processes.map(async (p) => {
        if (!p.pid) return;
        const entry = this.record(p.name, p.pid, at);
        if (!entry || p.role === 'register') return;
        const counter = p.role === 'gateway' ? LOST_EVENTS : HANDLER_TIMEOUTS;
        const value = await readCounter(`${this.cluster.metricsUrl(p.role, p.index)}/metrics`, counter);
        if (value !== null) entry.counters[counter] = Math.max(entry.counters[counter] ?? 0, value);
      }),
    );
  }

  /** The sum over every process of the last value of `counter`, and whether any process served it. */
  total(counter: typeof HANDLER_TIMEOUTS | typeof LOST_EVENTS): { value: number; served: boolean } {
    let value = 0;
    let served = false;
    for (const p of this.processes.values()) {
      const v = p.counters[counter];
      if (v !== undefined) {
        served = true;
        value += v;
      }
    }
    return { value, served };
  }

  private record(name: string, pid: number, at: number): SampledProcess | null {
    const rss = residentBytes(pid);
    if (rss === null) return null;
    let entry = this.processes.get(pid);
    if (!entry) {
      entry = { name, pid, samples: [], counters: {} };
      this.processes.set(pid, entry);
    }
    entry.samples.push({ at, rss });
    return entry;
  }
}

/** The value of an unlabelled counter (or the sum of its labelled series) in Prometheus text; null if absent. */
export function counterValue(text: string, name: string): number | null {
  let total: number | null = null;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (rest[0] !== ' ' && rest[0] !== '{') continue;
    const value = Number(rest.slice(rest.lastIndexOf(' ') + 1));
    if (Number.isFinite(value)) total = (total ?? 0) + value;
  }
  return total;
}

async function readCounter(url: string, name: string): Promise<number | null> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(1500) });
    return counterValue(await res.text(), name);
  } catch {
    return null;
  }
}
