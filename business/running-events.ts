import type { EventScope } from './context.ts';
import type { EventKind } from './worker-metrics.ts';

/** One event whose handler is running, as the watch sees it. */
export interface RunningEvent {
  readonly clientId: string;
  readonly event: EventKind;
  /** The handler's scope: marked `timedOut` at the timeout, which cuts the handler off from the Gateway API. */
  readonly scope: EventScope;
  /** `performance.now()` when its handler started. */
  readonly startedAt: number;
  /** Past the handler timeout: the worker stopped waiting for it, the client's next event went ahead. */
  timedOut: boolean;
  /** Set once the handler's promise settled (or it returned without one). */
  ended: boolean;
  /** Lets the worker go on with the client's next event; called once, at the timeout. */
  release: (() => void) | null;
}

/** What the watch tells the worker: a handler ran past the timeout, and later that such a handler ended. */
export interface WatchEvents {
  timedOut(event: RunningEvent, ageMs: number): void;
  endedLate(event: RunningEvent, ageMs: number, error: unknown): void;
}

/** How often the watch looks at the running handlers: a tenth of the timeout, within 5 ms to 1 s. */
export function sweepInterval(timeoutMs: number): number {
  return Math.min(1000, Math.max(5, Math.round(timeoutMs / 10)));
}

/** A gap between two looks this much longer than the interval means the process was stopped or blocked. */
const STALL_FACTOR = 3;

/**
 * The handlers running in a worker, oldest first, and the one timer that times them out (`--handler-timeout`).
 * One interval for all of them, rather than a timer per event: events start in time order, so each look only
 * reads the running events until the first that is young enough, and the oldest running one is always at hand
 * for `switchboard status`. A timed-out handler keeps running (JavaScript cannot stop it) and is kept apart
 * until it ends.
 */
export class RunningEvents {
  /** Handlers not past the timeout, in start order. */
  private readonly running = new Set<RunningEvent>();
  /** Handlers past the timeout that have not ended yet, in start order. */
  private readonly overdue = new Set<RunningEvent>();
  private readonly timer: NodeJS.Timeout | null;
  private lastLook = performance.now();
  private readonly interval: number;

  /** @param timeoutMs 0: no timeout (handlers are still tracked for the oldest event's age). */
  constructor(
    private readonly timeoutMs: number,
    private readonly events: WatchEvents,
  ) {
    this.interval = sweepInterval(timeoutMs);
    this.timer = timeoutMs > 0 ? setInterval(() => this.look(performance.now()), this.interval).unref() : null;
  }

  /** A handler starts now. */
  start(clientId: string, event: EventKind, scope: EventScope): RunningEvent {
    const running: RunningEvent = {
      clientId,
      event,
      scope,
      startedAt: performance.now(),
      timedOut: false,
      ended: false,
      release: null,
    };
    this.running.add(running);
    return running;
  }

  /**
   * Resolves when the handler's promise settles (rejects with its error), or at its timeout, whichever comes
   * first. A handler that settles after its timeout is reported to `endedLate`, its error included.
   */
  settled(running: RunningEvent, result: PromiseLike<unknown>): Promise<void> {
    return new Promise((resolve, reject) => {
      running.release = resolve;
      result.then(
        () => {
          if (this.end(running, undefined)) resolve();
        },
        (error: unknown) => {
          if (this.end(running, error)) reject(error);
        },
      );
    });
  }

  /** The handler ended. True when it ended in time; one that had timed out is reported to `endedLate`. */
  end(running: RunningEvent, error: unknown): boolean {
    if (running.ended) return !running.timedOut;
    running.ended = true;
    if (!running.timedOut) {
      this.running.delete(running);
      return true;
    }
    this.overdue.delete(running);
    this.events.endedLate(running, performance.now() - running.startedAt, error);
    return false;
  }

  /** Handlers running now, timed-out ones included. */
  get size(): number {
    return this.running.size + this.overdue.size;
  }

  /** Handlers past the timeout that are still running. */
  get overdueCount(): number {
    return this.overdue.size;
  }

  /** The timed-out handlers still running, oldest first. */
  overdueEvents(): IterableIterator<RunningEvent> {
    return this.overdue.values();
  }

  /** How long the oldest running handler has run (ms), timed-out ones included; 0 when none runs. */
  oldestAgeMs(now = performance.now()): number {
    const first = (set: Set<RunningEvent>) => set.values().next().value as RunningEvent | undefined;
    const a = first(this.running);
    const b = first(this.overdue);
    const oldest = a && b ? Math.min(a.startedAt, b.startedAt) : (a ?? b)?.startedAt;
    return oldest === undefined ? 0 : now - oldest;
  }

  /** Times out every handler that has run longer than the timeout. */
  look(now: number): void {
    if (this.timeoutMs === 0) return;
    const gap = now - this.lastLook;
    this.lastLook = now;
    // After a SIGSTOP or a blocked event loop, handlers that were about to end get the first turn.
    if (gap > STALL_FACTOR * this.interval) return;
    for (const running of this.running) {
      const age = now - running.startedAt;
      if (age < this.timeoutMs) break;
      this.running.delete(running);
      this.overdue.add(running);
      running.timedOut = true;
      running.scope.timedOut = true;
      this.events.timedOut(running, age);
      running.release?.();
    }
  }

  cancel(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
