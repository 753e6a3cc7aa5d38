import type { HistogramData } from './histogram.ts';
import type { Transport } from './load-client.ts';

/** What the coordinator asks a load process to do (over its IPC channel). */
export type LoadCommand =
  | {
      op: 'connect';
      transport: Transport;
      urls: string[];
      localAddresses: string[];
      /** Global index of this process's first new client: spreads clients over urls and source addresses. */
      firstIndex: number;
      count: number;
      /** Connections opening at once. */
      concurrency: number;
      timeoutMs: number;
      /** Each client sends `login:u<global index>` and waits for `ok`. */
      login: boolean;
      /** Each client joins this group and waits for `ok`. */
      join: string | null;
    }
  /** Start the load; nothing is counted until `mark`. */
  | { op: 'start'; load: Load }
  /** Reset the counters: the measurement starts now. */
  | { op: 'mark' }
  /** Stop sending and report what was counted since `mark`. */
  | { op: 'stop' }
  /** Close every client, keep the process for the next server. */
  | { op: 'reset' }
  | { op: 'close' };

export type Load =
  /**
   * Every client: `window` `echo:` in flight (ratePerSec null; window 1 unless given), or a fixed rate of
   * `echo:` over all clients.
   */
  | { kind: 'echo'; ratePerSec: number | null; window?: number }
  /** The first `senders` clients send `touid:` to the others of this process, `window` in flight each. */
  | { kind: 'touid'; senders: number; window: number }
  /** Every client receives broadcasts `<id>,<ts>`; the process acks an id once all its clients have it. */
  | { kind: 'receive' };

/** What a load process answers. */
export type LoadReply =
  | { op: 'connected'; ok: number; failed: number; error: string | null; clients: number }
  | { op: 'started' }
  | { op: 'marked' }
  | { op: 'result'; result: LoadResult }
  | { op: 'ack'; id: number }
  | { op: 'reset' }
  | { op: 'closed' }
  | { op: 'error'; message: string };

export interface LoadResult {
  /** Messages sent and received since `mark`. */
  sent: number;
  received: number;
  /** Open-loop sends skipped because too many were outstanding. */
  skipped: number;
  /** Connections that closed while they should not have. */
  dropped: number;
  /** From the moment each message was sent to its arrival. */
  latency: HistogramData;
  /** Open loop only: from the moment each message was due, so a late send counts against the result too. */
  scheduledLatency: HistogramData | null;
  rss: number;
}

/** Microseconds on the monotonic clock, which every process on the machine shares. */
export function nowMicros(): number {
  const [s, ns] = process.hrtime();
  return s * 1e6 + ns / 1e3;
}
