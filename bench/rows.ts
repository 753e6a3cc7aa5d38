import type { CpuUsage } from './cpu-window.ts';
import type { TargetKind } from './targets.ts';

/** One measured run of one scenario against one server. */
export interface Row {
  /** Stable id of the scenario and size, e.g. `echo-100`, `fanout-all-10000`. */
  scenario: string;
  /** For people: `echo, 100 clients`. */
  title: string;
  target: string;
  kind: TargetKind;
  /** What `rate` counts: `round trips/s` or `deliveries/s`. */
  unit: string;
  rate: number;
  /** Messages counted in the measured window. */
  deliveries: number;
  p50Ms: number;
  p99Ms: number;
  /** Server CPU per delivery, microseconds (all server processes, from /proc). */
  cpuUsPerDelivery: number;
  cpu: CpuUsage;
  /** Anything that went wrong or is worth knowing (dropped connections, skipped sends). */
  notes: string[];
  extra?: Record<string, unknown>;
}

/** One step of the idle scenario. */
export interface IdleStep {
  connections: number;
  /** RSS of the process(es) holding the sockets, bytes, summed. */
  rss: number;
  /** (rss - rss with no connection) / connections. */
  bytesPerConnection: number;
  /** Other server processes (a Switchboard worker, the register), bytes. */
  otherRss: Record<string, number>;
}

export interface IdleResult {
  target: string;
  kind: TargetKind;
  baselineRss: number;
  steps: IdleStep[];
  /** The most connections held at once. */
  largest: number;
  /** Why the ramp stopped short of its last step, if it did. */
  stoppedBy: string | null;
}
