import type { SwitchboardError } from '../shared/errors.ts';

interface Waiter {
  resolve(): void;
  reject(err: SwitchboardError): void;
  timer: NodeJS.Timeout;
}

/** Callers waiting, each with its own deadline, for a condition to hold (the directory to be ready). */
export class ReadyWaiters {
  private readonly waiters = new Set<Waiter>();

  constructor(private readonly isReady: () => boolean) {}

  /** Callers waiting now. */
  get size(): number {
    return this.waiters.size;
  }

  /** Resolves once the condition holds (at once if it does now); rejects with `onTimeout()` after `timeoutMs`. */
  wait(timeoutMs: number, onTimeout: () => SwitchboardError): Promise<void> {
    if (this.isReady()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        timer: setTimeout(() => {
          this.waiters.delete(waiter);
          reject(onTimeout());
        }, timeoutMs),
      };
      this.waiters.add(waiter);
    });
  }

  /** The state changed: resolves every waiter if the condition holds now. */
  check(): void {
    if (this.waiters.size === 0 || !this.isReady()) return;
    for (const waiter of this.waiters) {
      clearTimeout(waiter.timer);
      waiter.resolve();
    }
    this.waiters.clear();
  }

  /** Rejects every waiter with `err` and clears their timers. */
  cancel(err: SwitchboardError): void {
    for (const waiter of this.waiters) {
      clearTimeout(waiter.timer);
      waiter.reject(err);
    }
    this.waiters.clear();
  }
}
