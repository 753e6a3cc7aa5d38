import type { ProcessChange, ProcessSample, ProcessState, Role } from '../cli/supervisor.ts';

/**
 * The counters the dashboard shows beside the charts, and the metrics they are read from (asked of every
 * child over the supervisor's IPC channel). A metric no process has (an older worker without handler
 * timeouts) leaves its counter out of the page.
 */
export const WATCHED_COUNTERS = {
  slowConsumers: ['switchboard_gateway_slow_consumers_total'],
  droppedPushes: ['switchboard_gateway_dropped_pushes_total'],
  lostEvents: ['switchboard_gateway_lost_events_total'],
  handlerTimeouts: ['switchboard_worker_handler_timeouts_total'],
  slowHandlers: ['switchboard_worker_slow_handlers_total'],
  internalErrors: ['switchboard_gateway_internal_errors_total', 'switchboard_worker_internal_errors_total'],
} as const;

export type CounterName = keyof typeof WATCHED_COUNTERS;

/** Every metric name of WATCHED_COUNTERS, for `Supervisor.sample()`. */
export const WATCHED_METRICS: readonly string[] = Object.values(WATCHED_COUNTERS).flat();

/** One process as the page shows it. */
export interface ProcessView {
  /** `register`, `gateway#0`, `gateway[text]#0`, `business#1`: as `switchboard status` names it. */
  name: string;
  role: Role;
  index: number;
  pid: number | null;
  state: ProcessState;
  /** Seconds since its current process started. */
  uptime: number | null;
  rss: number | null;
  restarts: number;
  connections?: number;
  uids?: number;
  groups?: number;
  messagesInPerSec?: number;
  messagesOutPerSec?: number;
  inFlight?: number;
  queuedEvents?: number;
  /** Its own process's watched counters (since it started). */
  counters: Partial<Record<CounterName, number>>;
}

/** One point of the charts: the cluster's figures at `at`. */
export interface ClusterPoint {
  at: number;
  connections: number;
  messagesInPerSec: number;
  messagesOutPerSec: number;
  /** Events running in the workers' handlers now. */
  inFlight: number;
  /** Events waiting at the gateways for a worker. */
  queuedEvents: number;
}

/** The cluster now: every process, the totals, and the counters since the supervisor started. */
export interface ClusterView {
  at: number;
  processes: ProcessView[];
  totals: Omit<ClusterPoint, 'at'> & { uids: number; groups: number };
  /** Each watched counter summed over every process since `start` began, restarted ones included; absent when no process has it. */
  counters: Partial<Record<CounterName, number>>;
  /** The latest process changes (started, up, exited, draining), newest last. */
  changes: ProcessChange[];
}

/** How many process changes the view keeps. */
const MAX_CHANGES = 50;

/** The name `switchboard status` gives a process. */
export function processName(p: { role: Role; label?: string; index: number }): string {
  return p.role === 'gateway' || p.role === 'business' || p.index > 0 ? `${p.label ?? p.role}#${p.index}` : p.role;
}

const slotKey = (p: ProcessSample) => `${p.label ?? p.role}#${p.index}#${p.state === 'draining' ? p.pid : ''}`;

/** What the history keeps of a process's previous answers: its totals for rates, its counters for deltas. */
interface Previous {
  pid: number;
  stats: { at: number; messagesIn: number; messagesOut: number } | null;
  counters: Partial<Record<CounterName, number>>;
}

const number = (value: unknown): number | undefined => (typeof value === 'number' ? value : undefined);

/**
 * Turns successive `Supervisor.sample()` answers into what the page shows: per-second rates from the raw
 * totals (per process, so a restarted one starts again from 0), counters that survive restarts, and the chart
 * points of the last `historySize` samples. No I/O: the dashboard server feeds it.
 */
export class ClusterHistory {
  readonly points: ClusterPoint[] = [];
  private readonly changes: ProcessChange[] = [];
  /** The previous sample of each process (by slot; by pid for a draining one), for rates and counter deltas. */
  private readonly previous = new Map<string, Previous>();
  private readonly totals: Partial<Record<CounterName, number>> = {};
  private latest: ClusterView | null = null;

  constructor(private readonly historySize: number) {}

  /** Notes a process change, shown in the view's list. */
  change(change: ProcessChange): void {
    this.changes.push(change);
    if (this.changes.length > MAX_CHANGES) this.changes.shift();
  }

  /** Takes a sample taken at `at`; with `point`, also adds a chart point. Returns the view it makes. */
  add(samples: ProcessSample[], at: number, point = true): ClusterView {
    const processes = samples.map((sample) => this.processView(sample, at));
    const seen = new Set(samples.map(slotKey));
    for (const key of this.previous.keys()) if (!seen.has(key)) this.previous.delete(key);
    const sum = (pick: (p: ProcessView) => number | undefined) =>
      processes.reduce((total, p) => total + (pick(p) ?? 0), 0);
    const totals = {
      connections: sum((p) => p.connections),
      uids: sum((p) => p.uids),
      groups: sum((p) => p.groups),
      messagesInPerSec: sum((p) => p.messagesInPerSec),
      messagesOutPerSec: sum((p) => p.messagesOutPerSec),
      inFlight: sum((p) => p.inFlight),
      queuedEvents: sum((p) => p.queuedEvents),
    };
    if (point) {
      const { uids: _uids, groups: _groups, ...charted } = totals;
      this.points.push({ at, ...charted });
      if (this.points.length > this.historySize) this.points.shift();
    }
    this.latest = { at, processes, totals, counters: { ...this.totals }, changes: [...this.changes] };
    return this.latest;
  }

  /** The latest view, or null before the first sample. */
  get view(): ClusterView | null {
    return this.latest && { ...this.latest, changes: [...this.changes] };
  }

  private processView(sample: ProcessSample, at: number): ProcessView {
    const key = slotKey(sample);
    const stats = sample.stats;
    const view: ProcessView = {
      name: processName(sample),
      role: sample.role,
      index: sample.index,
      pid: sample.pid,
      state: sample.state,
      uptime: sample.startedAt === null ? null : Math.max(0, Math.round((at - sample.startedAt) / 1000)),
      rss: stats?.rss ?? null,
      restarts: sample.restarts,
      counters: {},
    };
    if (sample.pid === null) return view;
    let before = this.previous.get(key);
    // A new process (a restart) counts from 0.
    if (!before || before.pid !== sample.pid) {
      before = { pid: sample.pid, stats: null, counters: {} };
      this.previous.set(key, before);
    }
    if (stats) {
      for (const field of ['connections', 'uids', 'groups', 'inFlight', 'queuedEvents'] as const) {
        const value = number(stats[field]);
        if (value !== undefined) view[field] = value;
      }
      const messagesIn = number(stats.messagesIn);
      const messagesOut = number(stats.messagesOut);
      if (messagesIn !== undefined && messagesOut !== undefined) {
        const last = before.stats;
        const seconds = last ? Math.max(0.001, (at - last.at) / 1000) : 0;
        view.messagesInPerSec = last ? rate(messagesIn, last.messagesIn, seconds) : 0;
        view.messagesOutPerSec = last ? rate(messagesOut, last.messagesOut, seconds) : 0;
        before.stats = { at, messagesIn, messagesOut };
      }
    }
    for (const [counter, names] of Object.entries(WATCHED_COUNTERS) as [CounterName, readonly string[]][]) {
      const present = names.filter((name) => sample.metrics[name] !== undefined);
      if (present.length === 0) {
        // Not answered this time (or not a metric of this role): show what it said last.
        if (before.counters[counter] !== undefined) view.counters[counter] = before.counters[counter];
        continue;
      }
      const value = present.reduce((total, name) => total + sample.metrics[name]!, 0);
      view.counters[counter] = value;
      this.totals[counter] = (this.totals[counter] ?? 0) + Math.max(0, value - (before.counters[counter] ?? 0));
      before.counters[counter] = value;
    }
    return view;
  }
}

function rate(now: number, before: number | undefined, seconds: number): number {
  return Math.max(0, Math.round((now - (before ?? 0)) / seconds));
}
