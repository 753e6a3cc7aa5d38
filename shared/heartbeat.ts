/** Why a heartbeat gave up on its peer: the regular check, or an early probe that went unanswered. */
export type HeartbeatFailure = 'silent' | 'probe';

/**
 * Keeps an internal link honest: `ping` is called every `interval` ms, and `onDead` once when nothing was
 * received for `maxMissed` intervals. Call `alive()` whenever anything arrives.
 */
export class Heartbeat {
  private missed = 0;
  private readonly timer: NodeJS.Timeout;
  private probeTimer: NodeJS.Timeout | null = null;
  private done = false;

  constructor(
    interval: number,
    maxMissed: number,
    private readonly ping: () => void,
    private readonly onDead: (why: HeartbeatFailure) => void,
  ) {
    this.timer = setInterval(() => {
      if (++this.missed > maxMissed) this.die('silent');
      else ping();
    }, interval);
    this.timer.unref();
  }

  alive(): void {
    this.missed = 0;
    if (this.probeTimer) {
      clearTimeout(this.probeTimer);
      this.probeTimer = null;
    }
  }

  /**
   * Pings now and declares the peer dead unless something arrives within `timeout` ms, without waiting for
   * the regular check: for when someone else (a register) reports the peer gone. A probe already running
   * is left to finish.
   */
  probe(timeout: number): void {
    if (this.done || this.probeTimer) return;
    this.probeTimer = setTimeout(() => this.die('probe'), timeout);
    this.probeTimer.unref();
    this.ping();
  }

  cancel(): void {
    this.done = true;
    clearInterval(this.timer);
    if (this.probeTimer) clearTimeout(this.probeTimer);
    this.probeTimer = null;
  }

  private die(why: HeartbeatFailure): void {
    if (this.done) return;
    this.cancel();
    this.onDead(why);
  }
}
