import { sleep, type ClusterControl } from './cluster-control.ts';
import { faultTarget, type PlannedFault } from './fault-schedule.ts';

/** A fault as it was carried out. */
export interface DoneFault extends PlannedFault {
  /** ms since the load started: when it was done (later than planned when the cluster was still recovering). */
  startedAt: number;
  /** The process it hit (none for a reload). */
  pid: number | null;
  /** ms from the fault until every process ran, was ready, and every client was logged in again; null: never. */
  recoveredIn: number | null;
  error?: string;
}

export interface FaultRunnerOptions {
  /** ms a stopped process stays stopped. */
  stopTime: number;
  /** ms the cluster may take to recover from a fault before the soak says so and goes on. */
  recoveryTimeout: number;
}

/**
 * Carries out the planned faults one after the other: each waits for its time and for the cluster to have
 * recovered from the one before (every process up and ready, every client logged in), so faults do not pile up
 * on each other, and each one's recovery time is measured.
 */
export class FaultRunner {
  readonly done: DoneFault[] = [];
  private stopped = false;

  constructor(
    private readonly cluster: ClusterControl,
    /** Told of every business worker SIGKILLed, as it happens. */
    private readonly onWorkerKilled: (pid: number) => void,
    private readonly boundCount: () => number,
    private readonly clients: number,
    private readonly now: () => number,
    private readonly options: FaultRunnerOptions,
    private readonly print: (line: string) => void,
  ) {}

  /** Runs the plan; resolves when it is through, or after `stop()` once the fault under way has recovered. */
  async run(plan: readonly PlannedFault[]): Promise<void> {
    for (const fault of plan) {
      while (!this.stopped && this.now() < fault.at) await sleep(Math.min(250, fault.at - this.now()));
      if (this.stopped) return;
      await this.recovered(this.options.recoveryTimeout);
      const done = await this.inject(fault);
      this.done.push(done);
      const recovered = done.recoveredIn === null ? 'did NOT recover' : `recovered in ${fmt(done.recoveredIn)}`;
      this.print(
        `  ${fmt(done.startedAt).padStart(8)}  ${fault.kind.padEnd(7)} ${faultTarget(fault).padEnd(15)}` +
          ` ${(done.pid ? `pid ${done.pid}` : '').padEnd(10)}  ${done.error ? `error: ${done.error}` : recovered}`,
      );
    }
  }

  /** No further fault is started. */
  stop(): void {
    this.stopped = true;
  }

  private async inject(fault: PlannedFault): Promise<DoneFault> {
    const startedAt = this.now();
    const done: DoneFault = { ...fault, startedAt, pid: null, recoveredIn: null };
    try {
      if (fault.kind === 'reload') {
        await this.cluster.reload();
      } else {
        const name = `${fault.role}#${fault.index}`;
        const target = (await this.cluster.processes()).find((p) => p.name === name);
        if (!target?.pid) throw new Error(`${name} has no process`);
        const pid = target.pid;
        done.pid = pid;
        if (fault.kind === 'kill') {
          this.cluster.signal(pid, 'SIGKILL');
          if (fault.role === 'business') this.onWorkerKilled(pid);
        } else if (fault.kind === 'restart') {
          this.cluster.signal(pid, 'SIGTERM');
        } else {
          this.cluster.signal(pid, 'SIGSTOP');
          await sleep(this.options.stopTime);
          this.cluster.signal(pid, 'SIGCONT');
        }
        if (fault.kind !== 'stop') await this.replaced(name, pid);
      }
      if (await this.recovered(this.options.recoveryTimeout)) done.recoveredIn = this.now() - startedAt;
    } catch (err) {
      done.error = (err as Error).message;
    }
    return done;
  }

  /** Waits until the process named `name` is no longer `pid`. */
  private async replaced(name: string, pid: number): Promise<void> {
    const deadline = Date.now() + this.options.recoveryTimeout;
    while (Date.now() < deadline) {
      const now = await this.cluster.processes().catch(() => []);
      const p = now.find((q) => q.name === name);
      if (p && p.pid !== pid) return;
      await sleep(100);
    }
  }

  /** Whether, within `timeoutMs`, every process is up and ready and every client logged in. */
  private async recovered(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.boundCount() === this.clients && (await this.cluster.whole().catch(() => false))) return true;
      if (Date.now() > deadline) return false;
      await sleep(100);
    }
  }
}

/** `12.3 s` */
export function fmt(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
