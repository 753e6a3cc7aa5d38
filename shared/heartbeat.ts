/**
 * Keeps an internal link honest: `ping` is called every `interval` ms, and `onDead` once when nothing was
 * received for `maxMissed` intervals. Call `alive()` whenever anything arrives.
 */
export class Heartbeat {
  private missed = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(interval: number, maxMissed: number, ping: () => void, onDead: () => void) {
    this.timer = setInterval(() => {
      if (++this.missed > maxMissed) {
        this.cancel();
        onDead();
      } else {
        ping();
      }
    }, interval);
    this.timer.unref();
  }

  alive(): void {
    this.missed = 0;
  }

  cancel(): void {
    clearInterval(this.timer);
  }
}
