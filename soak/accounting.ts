/**
 * Accounts for every message of a soak: which were sent, delivered, duplicated or reordered, and, for each one
 * that never arrived, whether the documentation allows that loss (and which page), or not. Pure bookkeeping: it
 * is told what the clients saw and what the faults did, with times in ms since the load started; no I/O.
 *
 * Messages are kept in typed arrays per sender (a 10-minute run sends millions), indexed by sequence number.
 */

/** Why a lost message may be lost, and the page of the docs that says so. */
export interface LossCause {
  id: LossCauseId;
  what: string;
  doc: string;
}

export type LossCauseId =
  | 'sender-gateway-killed'
  | 'sender-gateway-stopped'
  | 'sender-over-pending-limit'
  | 'worker-killed'
  | 'receiver-gateway-killed'
  | 'receiver-gateway-stopped'
  | 'receiver-closed-by-limit'
  | 'receiver-not-bound';

/** Every documented cause a loss is matched against, in the order they are tried. */
export const LOSS_CAUSES: readonly LossCause[] = [
  {
    id: 'sender-gateway-killed',
    what: "in flight on the sender's connection when its gateway was killed (1006)",
    doc: 'docs/guide.md#the-client-library-switchboardclient ("one handed to a connection that then breaks may be lost"), docs/operations.md#crashes',
  },
  {
    id: 'sender-gateway-stopped',
    what: "in flight on the sender's connection when its gateway stopped (1001, going away)",
    doc: 'docs/guide.md#the-client-library-switchboardclient, docs/operations.md#control (gateways close their clients with 1001)',
  },
  {
    id: 'sender-over-pending-limit',
    what: 'the sender was closed with 1013 (more than --max-pending-events waiting for a worker)',
    doc: 'docs/limits-and-security.md#limits (events waiting per client: close 1013)',
  },
  {
    id: 'worker-killed',
    what: 'in flight at a business worker that was killed (at most --max-events-in-flight per client)',
    doc: 'docs/operations.md#crashes ("the events it had ... are lost"), docs/guide.md#ordering-and-concurrency',
  },
  {
    id: 'receiver-gateway-killed',
    what: "sent to a uid while its client was away: the receiver's gateway was killed",
    doc: 'docs/guide.md#the-client-library-switchboardclient ("messages sent to this user while it was away")',
  },
  {
    id: 'receiver-gateway-stopped',
    what: "sent to a uid while its client was away: the receiver's gateway stopped (1001)",
    doc: 'docs/guide.md#the-client-library-switchboardclient, docs/operations.md#control',
  },
  {
    id: 'receiver-closed-by-limit',
    what: 'sent to a uid while its client was away: it had been closed by a limit (1013 pending events, 4008 slow consumer)',
    doc: 'docs/limits-and-security.md#limits',
  },
  {
    id: 'receiver-not-bound',
    what: 'sent to a uid whose client was connected but not logged in again yet (its login in flight, or lost with a killed worker)',
    doc: 'docs/guide.md#the-client-library-switchboardclient, docs/guide.md#routing-of-uid-and-group-sends',
  },
];

/**
 * Time allowances, in ms. A receiver counts as away from `AWAY_BEFORE` before its client saw its connection
 * close (its gateway died a moment before the client noticed) until `AWAY_AFTER` after its login was confirmed
 * (other workers learn the new binding from the gateway a moment later). A message counts as in flight on a
 * connection that closed at most `IN_FLIGHT_MAX_AGE` after it was sent, and at a worker killed at most
 * `KILL_AFTER_SEND` after it was sent (the gateway forwards until it sees the link drop).
 */
export const AWAY_BEFORE = 1000;
export const AWAY_AFTER = 500;
export const IN_FLIGHT_MAX_AGE = 10_000;
export const KILL_AFTER_SEND = 500;

/** WebSocket close codes the causes refer to. */
const ABNORMAL = 1006;
const GOING_AWAY = 1001;
const TRY_AGAIN_LATER = 1013;
const SLOW_CONSUMER = 4008;

/** A lost message no documented cause explains, with what is known about it. */
export interface UnexplainedLoss {
  from: number;
  seq: number;
  to: number;
  sentAt: number;
  why: string;
}

export interface AccountingSummary {
  sent: number;
  /** Distinct messages delivered (a duplicate counts once here). */
  delivered: number;
  duplicated: number;
  reordered: number;
  /** Deliveries that match nothing sent, or reached a uid they were not sent to. */
  misdelivered: number;
  lost: number;
  lostDocumented: Record<LossCauseId, number>;
  lostUndocumented: number;
  /** The first unexplained losses, to look into. */
  unexplained: UnexplainedLoss[];
  /** Send-to-delivery latency of the delivered messages, ms. */
  latency: { p50: number; p99: number; max: number };
  /** Worker kills the accounting was told of. */
  workerKills: number;
  connectionsOpened: number;
}

/** A growable column of numbers. */
class Column<A extends Float64Array | Int32Array | Uint16Array | Uint8Array> {
  length = 0;
  constructor(
    private data: A,
    private readonly make: (n: number) => A,
  ) {}
  push(value: number): number {
    if (this.length === this.data.length) {
      const bigger = this.make(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.length] = value;
    return this.length++;
  }
  get(i: number): number {
    return this.data[i]!;
  }
  set(i: number, value: number): void {
    this.data[i] = value;
  }
}

const f64 = (n: number) => new Float64Array(n);
const i32 = (n: number) => new Int32Array(n);
const u16 = (n: number) => new Uint16Array(n);
const u8 = (n: number) => new Uint8Array(n);

/** One connection of a client: from open to close, and when its login was confirmed. */
interface Epoch {
  openedAt: number;
  boundAt: number;
  closedAt: number;
  code: number;
}

/** What one client sent (indexed by sequence number) and the connections it had. */
class ClientLedger {
  readonly target = new Column(u16(1024), u16);
  readonly sentAt = new Column(f64(1024), f64);
  readonly epoch = new Column(u16(1024), u16);
  readonly deliveries = new Column(u8(1024), u8);
  readonly deliveredAt = new Column(f64(1024), f64);
  readonly handledBy = new Column(i32(1024), i32);
  readonly epochs: Epoch[] = [];
  /** Per sender, the highest sequence number this client received from it (-1: none yet). */
  lastSeqFrom: Int32Array;

  constructor(clients: number) {
    this.lastSeqFrom = new Int32Array(clients).fill(-1);
  }
}

const LATENCY_BUCKETS = 60_000;

export class Accounting {
  private readonly ledgers: ClientLedger[];
  private readonly workerKills: { pid: number; at: number }[] = [];
  private duplicated = 0;
  private reordered = 0;
  private misdelivered = 0;
  private readonly latency = new Uint32Array(LATENCY_BUCKETS + 1);
  private connectionsOpened = 0;
  /** Every delivery so far, duplicates included: the soak waits for it to stop moving before it sums up. */
  deliveries = 0;
  /** Messages sent so far. */
  sentSoFar = 0;

  constructor(
    readonly clients: number,
    private readonly maxEventsInFlight: number,
  ) {
    this.ledgers = Array.from({ length: clients }, () => new ClientLedger(clients));
  }

  /** Client `client` has a new open connection at `at`. */
  opened(client: number, at: number): void {
    this.ledgers[client]!.epochs.push({ openedAt: at, boundAt: NaN, closedAt: NaN, code: 0 });
    this.connectionsOpened++;
  }

  /** The gateway confirmed the client's login on its current connection. */
  bound(client: number, at: number): void {
    const epoch = this.ledgers[client]!.epochs.at(-1);
    if (epoch && Number.isNaN(epoch.boundAt) && Number.isNaN(epoch.closedAt)) epoch.boundAt = at;
  }

  /** The client's current connection closed with `code`. */
  closed(client: number, at: number, code: number): void {
    const epoch = this.ledgers[client]!.epochs.at(-1);
    if (epoch && Number.isNaN(epoch.closedAt)) {
      epoch.closedAt = at;
      epoch.code = code;
    }
  }

  /** Whether the client's current connection is open with its login confirmed. */
  isBound(client: number): boolean {
    const epoch = this.ledgers[client]!.epochs.at(-1);
    return !!epoch && !Number.isNaN(epoch.boundAt) && Number.isNaN(epoch.closedAt);
  }

  /** `from` handed a message for `to` to its open connection at `at`; returns its sequence number. */
  sent(from: number, to: number, at: number): number {
    const ledger = this.ledgers[from]!;
    this.sentSoFar++;
    ledger.target.push(to);
    ledger.sentAt.push(at);
    ledger.epoch.push(Math.max(0, ledger.epochs.length - 1));
    ledger.deliveries.push(0);
    ledger.deliveredAt.push(NaN);
    return ledger.handledBy.push(0);
  }

  /** Client `receiver` got message `seq` of `from`, meant for `to`, handled by the worker with pid `worker`. */
  delivered(receiver: number, from: number, seq: number, to: number, worker: number, at: number): void {
    this.deliveries++;
    const sender = this.ledgers[from];
    if (!sender || !Number.isInteger(seq) || seq < 0 || seq >= sender.target.length) {
      this.misdelivered++;
      return;
    }
    if (to !== receiver || sender.target.get(seq) !== receiver) {
      this.misdelivered++;
      return;
    }
    const count = sender.deliveries.get(seq);
    if (count > 0) {
      this.duplicated++;
      if (count < 255) sender.deliveries.set(seq, count + 1);
      return;
    }
    sender.deliveries.set(seq, 1);
    sender.deliveredAt.set(seq, at);
    sender.handledBy.set(seq, worker);
    const ledger = this.ledgers[receiver]!;
    if (seq < ledger.lastSeqFrom[from]!) this.reordered++;
    else ledger.lastSeqFrom[from] = seq;
    const ms = Math.max(0, Math.round(at - sender.sentAt.get(seq)));
    this.latency[Math.min(ms, LATENCY_BUCKETS)]!++;
  }

  /** A message that arrived as something the soak cannot read. */
  unreadable(): void {
    this.misdelivered++;
  }

  /** The business worker with pid `pid` was SIGKILLed at `at`. */
  workerKilled(pid: number, at: number): void {
    this.workerKills.push({ pid, at });
  }

  /** Sorts every message that never arrived by cause, once no more deliveries are expected (`end`). */
  summarize(unexplainedKept = 10): AccountingSummary {
    const lostDocumented = Object.fromEntries(LOSS_CAUSES.map((c) => [c.id, 0])) as Record<LossCauseId, number>;
    const unexplained: UnexplainedLoss[] = [];
    let sent = 0;
    let delivered = 0;
    let lostUndocumented = 0;
    for (let from = 0; from < this.clients; from++) {
      const ledger = this.ledgers[from]!;
      const n = ledger.target.length;
      sent += n;
      // For each message: when the sender's next delivered message arrived (its own handling was over by then,
      // as a client's events are handled one after the other), and the worker of its previous delivered one.
      const nextDeliveredAt = new Float64Array(n);
      let next = Infinity;
      for (let seq = n - 1; seq >= 0; seq--) {
        nextDeliveredAt[seq] = next;
        if (ledger.deliveries.get(seq) > 0) next = ledger.deliveredAt.get(seq);
      }
      const lastDeliveredInEpoch = new Map<number, number>();
      for (let seq = 0; seq < n; seq++) {
        if (ledger.deliveries.get(seq) > 0) lastDeliveredInEpoch.set(ledger.epoch.get(seq), seq);
      }
      const killsCharged = new Map<number, number>();
      let previousWorker = 0;
      let previousEpoch = -1;
      for (let seq = 0; seq < n; seq++) {
        const epoch = ledger.epoch.get(seq);
        if (epoch !== previousEpoch) {
          previousWorker = 0;
          previousEpoch = epoch;
        }
        if (ledger.deliveries.get(seq) > 0) {
          delivered++;
          previousWorker = ledger.handledBy.get(seq);
          continue;
        }
        // No message stays in the cluster longer than IN_FLIGHT_MAX_AGE: that bounds the window of its handling.
        const handledBy = Math.min(nextDeliveredAt[seq]!, ledger.sentAt.get(seq) + IN_FLIGHT_MAX_AGE);
        const cause = this.causeOf(ledger, seq, handledBy, previousWorker, lastDeliveredInEpoch, killsCharged);
        if (typeof cause === 'string' && isCause(cause)) lostDocumented[cause]++;
        else {
          lostUndocumented++;
          if (unexplained.length < unexplainedKept) {
            unexplained.push({ from, seq, to: ledger.target.get(seq), sentAt: ledger.sentAt.get(seq), why: cause.why });
          }
        }
      }
    }
    return {
      sent,
      delivered,
      duplicated: this.duplicated,
      reordered: this.reordered,
      misdelivered: this.misdelivered,
      lost: sent - delivered,
      lostDocumented,
      lostUndocumented,
      unexplained,
      latency: this.latencySummary(),
      workerKills: this.workerKills.length,
      connectionsOpened: this.connectionsOpened,
    };
  }

  private causeOf(
    ledger: ClientLedger,
    seq: number,
    handledBy: number,
    previousWorker: number,
    lastDeliveredInEpoch: Map<number, number>,
    killsCharged: Map<number, number>,
  ): LossCauseId | { why: string } {
    const sentAt = ledger.sentAt.get(seq);
    const epochIndex = ledger.epoch.get(seq);
    const epoch = ledger.epochs[epochIndex];
    // 1. Still on the sender's connection (or queued at its gateway) when that connection broke: every later
    //    message of that connection is then lost too, so none of them may have arrived.
    if (
      epoch &&
      epoch.closedAt >= sentAt &&
      epoch.closedAt - sentAt <= IN_FLIGHT_MAX_AGE &&
      (lastDeliveredInEpoch.get(epochIndex) ?? -1) < seq
    ) {
      if (epoch.code === ABNORMAL) return 'sender-gateway-killed';
      if (epoch.code === GOING_AWAY) return 'sender-gateway-stopped';
      if (epoch.code === TRY_AGAIN_LATER) return 'sender-over-pending-limit';
    }
    // 2. At a worker that was killed before it was done with it: the worker that handled the sender's
    //    previous message on this connection (if any arrived) is the one killed, and at most
    //    --max-events-in-flight of the sender's messages go with one kill.
    for (let k = 0; k < this.workerKills.length; k++) {
      const kill = this.workerKills[k]!;
      if (sentAt > kill.at + KILL_AFTER_SEND || handledBy < kill.at) continue;
      if (previousWorker !== 0 && previousWorker !== kill.pid) continue;
      const charged = killsCharged.get(k) ?? 0;
      if (charged >= this.maxEventsInFlight) {
        return { why: `more than --max-events-in-flight (${this.maxEventsInFlight}) lost with worker ${kill.pid}` };
      }
      killsCharged.set(k, charged + 1);
      return 'worker-killed';
    }
    // 3. The receiver was away at some moment between the send and the end of its handling.
    const away = this.awayCause(this.ledgers[ledger.target.get(seq)]!, sentAt, handledBy);
    if (away) return away;
    const closed = epoch && !Number.isNaN(epoch.closedAt) ? `closed with ${epoch.code}` : 'open';
    return { why: `sender's connection ${closed}, receiver logged in throughout, no worker killed meanwhile` };
  }

  /**
   * Whether `receiver` was away at some time in [from, to]: before its login was confirmed on a connection, or
   * after that connection closed. The cause is named by how the connection before the absence ended.
   */
  private awayCause(receiver: ClientLedger, from: number, to: number): LossCauseId | { why: string } | null {
    let absentFrom = -Infinity;
    let endedWith = 0; // 0: never connected before
    const overlaps = (start: number, end: number) => start <= to && end >= from;
    for (const epoch of receiver.epochs) {
      if (!Number.isNaN(absentFrom) && !Number.isNaN(epoch.boundAt)) {
        if (overlaps(absentFrom, epoch.boundAt + AWAY_AFTER)) return absenceCause(endedWith);
        absentFrom = NaN;
      }
      if (!Number.isNaN(epoch.closedAt) && Number.isNaN(absentFrom)) {
        absentFrom = epoch.closedAt - AWAY_BEFORE;
        endedWith = epoch.code;
      }
    }
    if (!Number.isNaN(absentFrom) && overlaps(absentFrom, Infinity)) return absenceCause(endedWith);
    return null;
  }

  private latencySummary(): { p50: number; p99: number; max: number } {
    let total = 0;
    for (const n of this.latency) total += n;
    const at = (q: number) => {
      const want = Math.ceil(total * q);
      let seen = 0;
      for (let ms = 0; ms <= LATENCY_BUCKETS; ms++) {
        seen += this.latency[ms]!;
        if (seen >= want && seen > 0) return ms;
      }
      return 0;
    };
    let max = 0;
    for (let ms = LATENCY_BUCKETS; ms >= 0; ms--) {
      if (this.latency[ms]! > 0) {
        max = ms;
        break;
      }
    }
    return { p50: at(0.5), p99: at(0.99), max };
  }
}

function absenceCause(code: number): LossCauseId | { why: string } {
  if (code === 0) return 'receiver-not-bound';
  if (code === ABNORMAL) return 'receiver-gateway-killed';
  if (code === GOING_AWAY) return 'receiver-gateway-stopped';
  if (code === TRY_AGAIN_LATER || code === SLOW_CONSUMER) return 'receiver-closed-by-limit';
  return { why: `the receiver's connection closed with ${code}` };
}

function isCause(value: string): value is LossCauseId {
  return LOSS_CAUSES.some((c) => c.id === value);
}
