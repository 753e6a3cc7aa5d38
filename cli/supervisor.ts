import cluster, { type Worker } from 'node:cluster';
import type { Server } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Backoff } from '../shared/backoff.ts';
import type { Logger } from '../shared/logger.ts';
import { isIpcMessage, type ChildStats, type IpcMessage } from './child-ipc.ts';
import { listenControl, type ControlAnswer, type ControlRequest } from './control-socket.ts';

/**
 * The CLI the children run: the compiled one beside this module in the installed package, or, when this module
 * runs from the repository's TypeScript sources, the launcher that runs the CLI from sources.
 */
const CLI = fileURLToPath(
  new URL(import.meta.url.endsWith('.ts') ? '../bin/switchboard.js' : './main.js', import.meta.url),
);

export type Role = 'register' | 'gateway' | 'business' | 'api';

/** The environment that tells a business worker its index and the size of its group. */
export const WORKER_ID_ENV = 'SWITCHBOARD_WORKER_ID';
export const WORKER_COUNT_ENV = 'SWITCHBOARD_WORKER_COUNT';

/** `count` processes of one role; `argsFor(i)` gives process i its flags (e.g. its own inner port). */
export interface ProcessGroup {
  role: Role;
  /** How `status` names the group where the role alone does not tell it apart (`gateway[text]`). */
  label?: string;
  count: number;
  argsFor(index: number): string[];
  /**
   * How long a process of the group may take to stop gracefully before it is killed, when that is longer than
   * the supervisor's own bound (a worker's drain grows with its handler timeout).
   */
  exitTimeoutMs?: number;
}

/** One supervised process slot and the process currently filling it. */
interface Slot {
  role: Role;
  label: string | undefined;
  index: number;
  /** The number of slots of its role. */
  count: number;
  args: string[];
  /** How long its process may take to stop gracefully (drain) before SIGKILL. */
  exitTimeoutMs: number;
  worker: Worker | null;
  backoff: Backoff;
  /** Stats of the previous status request, for per-second rates. */
  last: { at: number; stats: ChildStats } | null;
  /** Times its process died and was started again. */
  restarts: number;
  /** Its process died, and the one started in its place is not up yet. */
  crashed: boolean;
}

/** One process as `sample()` sees it: its state, and its raw figures (totals, not rates). */
export interface ProcessSample {
  role: Role;
  label?: string;
  index: number;
  pid: number | null;
  state: ProcessState;
  /** When its current process started (ms since the epoch), null while none runs. */
  startedAt: number | null;
  restarts: number;
  /** What it answered a stats request with; null when it did not (down, or too busy within a second). */
  stats: ChildStats | null;
  /** The metrics asked for that it has, each summed over its labels. */
  metrics: Record<string, number>;
}

/** Something that happened to a supervised process: started, up, exited, draining. */
export interface ProcessChange {
  at: number;
  role: Role;
  label?: string;
  index: number;
  pid: number | null;
  what: 'started' | 'up' | 'exited' | 'draining';
  /** For `exited`: the signal or exit code, and what happens next. */
  detail?: string;
}

/**
 * What a process of `switchboard status` is doing: `starting` until it said it is ready, `up`, `draining` (a
 * replaced or stopping worker finishing its events, listed until it has exited, beside its successor),
 * `restarting` (it died and the supervisor starts it again after a backoff), `stopped` (during `stop`).
 */
export type ProcessState = 'starting' | 'up' | 'draining' | 'restarting' | 'stopped';

/** One row of `switchboard status`. */
export interface ProcessStatus {
  role: Role;
  /** Always set by the supervisor. */
  state?: ProcessState;
  /** The group's label, when it has one. */
  label?: string;
  index: number;
  pid: number | null;
  uptime: number;
  rss: number | null;
  messagesInPerSec?: number;
  messagesOutPerSec?: number;
  [key: string]: unknown;
}

/** A child that ran this long before dying is restarted at once; one that keeps dying waits longer each time. */
const HEALTHY_AFTER_MS = 10_000;
/** How long a new worker may take to link to every gateway during a reload. */
const READY_TIMEOUT_MS = 30_000;
/** How long every process together may take to come up at start; a business worker waits for the gateways. */
const STARTUP_TIMEOUT_MS = READY_TIMEOUT_MS + 5_000;
/** How long a draining worker may take to finish its events. */
const EXIT_TIMEOUT_MS = 35_000;
/** Order of stopping: nothing new comes in, workers drain, then gateways say "going away". */
const STOP_ORDER: Role[] = ['api', 'business', 'gateway', 'register'];

/**
 * Runs the roles as child processes (`switchboard start`, or `--count N` for one role), restarts any that
 * crashes, replaces business workers one at a time on reload, and stops everything in order. It is the
 * cluster primary, so N gateways share one public port; each child has an IPC channel for readiness and stats.
 */
export class Supervisor {
  private readonly slots: Slot[] = [];
  private stopping = false;
  private reloading = false;
  private control: Server | null = null;
  private readonly env: NodeJS.ProcessEnv;
  private nextStatsId = 1;
  /** When each process started, for uptime. */
  private readonly startedAt = new WeakMap<Worker, number>();
  /** New workers of a reload until they are ready: their exit fails the reload instead of being restarted. */
  private readonly onProbation = new WeakSet<Worker>();
  /** Processes that said they are ready. */
  private readonly readyWorkers = new WeakSet<Worker>();
  /** The slot each process was started for, so one still draining after it was replaced is listed there. */
  private readonly slotOf = new WeakMap<Worker, Slot>();
  /**
   * Processes that left their slot and have not exited yet: a worker being replaced (`up` while its successor
   * starts, then `draining`), or one asked to stop (`draining`).
   */
  private readonly leaving = new Map<Worker, 'up' | 'draining'>();
  private readonly watchers = new Set<(change: ProcessChange) => void>();

  constructor(
    groups: ProcessGroup[],
    secrets: { secret?: string; apiToken?: string },
    private readonly log: Logger,
  ) {
    // Secrets travel in the environment, not in argv where `ps` would show them. With none, every child works
    // out the same one the other commands use: the loopback-only secret, or a clear error off loopback.
    this.env = {};
    const secret = secrets.secret || process.env.SWITCHBOARD_SECRET;
    if (secret) this.env.SWITCHBOARD_SECRET = secret;
    if (secrets.apiToken) this.env.SWITCHBOARD_API_TOKEN = secrets.apiToken;
    for (const group of groups) {
      for (let index = 0; index < group.count; index++) {
        this.slots.push({
          role: group.role,
          label: group.label,
          index,
          count: group.count,
          args: group.argsFor(index),
          exitTimeoutMs: Math.max(EXIT_TIMEOUT_MS, group.exitTimeoutMs ?? 0),
          worker: null,
          backoff: new Backoff(500, 10_000),
          last: null,
          restarts: 0,
          crashed: false,
        });
      }
    }
  }

  /**
   * Starts every process, and the control socket when `controlPath` is given, and resolves once every process
   * says it is up. A process that exits or stays silent before then fails the start: everything started is
   * stopped and the promise rejects (the child has printed its own error). Later crashes are restarted.
   * Resolves with false when a stop came first (SIGTERM, `switchboard stop`) and not every process came up.
   */
  async start(controlPath?: string): Promise<boolean> {
    if (controlPath) this.control = await listenControl(controlPath, (req) => this.handle(req));
    const stop = () => void this.stop().then(() => process.exit(0));
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    const started = this.slots.map((slot) => {
      const worker = this.spawn(slot, true);
      return this.whenReady(worker, STARTUP_TIMEOUT_MS).then(
        () => this.onProbation.delete(worker),
        (err: Error) => {
          // Stopped (SIGTERM, `switchboard stop`) while starting: not a failure of the child.
          if (this.stopping) return;
          throw new Error(`${slot.role} ${slot.index} did not start: ${err.message}`);
        },
      );
    });
    try {
      await Promise.all(started);
    } catch (err) {
      await this.stop();
      throw err;
    }
    if (!this.stopping) await this.settle(READY_TIMEOUT_MS);
    return !this.stopping;
  }

  /**
   * Waits until every register knows every gateway started here, and every business worker and the HTTP API is
   * linked to each. A process is ready on its own terms (a worker once linked to the gateways it has heard of),
   * and gateways announce themselves while the workers start: without this, "started" could come while a worker
   * had heard of one gateway only. Logs what is still missing after `timeoutMs`; the links keep being retried.
   */
  private async settle(timeoutMs: number): Promise<void> {
    const gateways = this.slots.filter((slot) => slot.role === 'gateway').length;
    const waiters = this.slots.filter((slot) => slot.role !== 'gateway');
    if (gateways === 0 || waiters.length === 0) return;
    const deadline = Date.now() + timeoutMs;
    let missing: string[] = [];
    while (!this.stopping) {
      const known = await Promise.all(
        waiters.map(async (slot) => ({ slot, stats: slot.worker ? await this.askStats(slot.worker) : null })),
      );
      missing = known
        .filter(({ stats }) => (stats?.gateways ?? 0) < gateways)
        .map(({ slot, stats }) => `${slot.role} ${slot.index} knows ${stats?.gateways ?? 0} of ${gateways} gateways`);
      if (missing.length === 0) return;
      if (Date.now() >= deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    if (this.stopping) return;
    this.log.warn(
      `started before every gateway was linked: ${missing.join(', ')}. A register short of gateways: see the ` +
        "gateways' log for why they cannot reach it. A worker short of some: each gateway's --lan-ip must be an " +
        'address the workers can reach.',
    );
  }

  private async handle(request: ControlRequest): Promise<ControlAnswer> {
    switch (request.cmd) {
      case 'status':
        return { ok: true, processes: await this.status() };
      case 'reload':
        return { ok: true, ...(await this.reload()) };
      case 'reload-tls': {
        const gateways = this.slots.filter((slot) => slot.role === 'gateway' && slot.worker);
        for (const slot of gateways) slot.worker!.process.kill('SIGHUP');
        return { ok: true, gateways: gateways.length };
      }
      case 'stop':
        setImmediate(() => void this.stop().then(() => process.exit(0)));
        return { ok: true };
      default:
        return { ok: false, error: `unknown command ${JSON.stringify((request as { cmd?: unknown }).cmd)}` };
    }
  }

  /**
   * Every process with its role's figures; rates are per second since the previous status request. A worker
   * that drains is listed, as `draining`, after the slot's current process until it has exited.
   */
  async status(): Promise<ProcessStatus[]> {
    return Promise.all(this.processes().map(({ slot, worker, state }) => this.statusRow(slot, worker, state)));
  }

  /**
   * Every process to list, in slot order: the slot's current one (none while it restarts), then those that left
   * the slot and have not exited. While a slot stops, only its draining process is listed.
   */
  private processes(): { slot: Slot; worker: Worker | null; state: ProcessState }[] {
    return this.slots.flatMap((slot) => {
      const leaving = [...this.leaving].filter(([w]) => this.slotOf.get(w) === slot);
      const current =
        slot.worker || leaving.length === 0 ? [{ slot, worker: slot.worker, state: this.stateOf(slot) }] : [];
      return [...current, ...leaving.map(([worker, state]) => ({ slot, worker, state }))];
    });
  }

  private stateOf(slot: Slot): ProcessState {
    const { worker } = slot;
    if (worker && this.readyWorkers.has(worker)) return 'up';
    // A process started in place of one that died is `restarting` until it is up.
    if (slot.crashed && !this.stopping) return 'restarting';
    if (!worker) return this.stopping ? 'stopped' : 'restarting';
    return 'starting';
  }

  /** One row of `status`; the slot's current process also gets its rates since the previous request. */
  private async statusRow(slot: Slot, worker: Worker | null, state: ProcessState): Promise<ProcessStatus> {
    const now = Date.now();
    const stats = worker ? await this.askStats(worker) : null;
    const startedAt = (worker && this.startedAt.get(worker)) ?? now;
    const row: ProcessStatus = {
      role: slot.role,
      state,
      ...(slot.label ? { label: slot.label } : {}),
      index: slot.index,
      pid: worker?.process.pid ?? null,
      uptime: Math.round((now - startedAt) / 1000),
      rss: stats?.rss ?? null,
      ...stats,
    };
    if (worker !== slot.worker) return row;
    if (stats && stats.messagesIn !== undefined) {
      const prev = slot.last ?? { at: startedAt, stats: { rss: 0, messagesIn: 0, messagesOut: 0 } };
      const seconds = Math.max(0.001, (now - prev.at) / 1000);
      row.messagesInPerSec = Math.round((stats.messagesIn - (prev.stats.messagesIn ?? 0)) / seconds);
      row.messagesOutPerSec = Math.round((stats.messagesOut! - (prev.stats.messagesOut ?? 0)) / seconds);
    }
    if (stats) slot.last = { at: now, stats };
    return row;
  }

  /** Calls `listener` on every change of a process (the dashboard); returns what stops it. */
  watch(listener: (change: ProcessChange) => void): () => void {
    this.watchers.add(listener);
    return () => this.watchers.delete(listener);
  }

  /**
   * Every process with its state and raw figures, plus the metrics named in `metrics` that it has (asked over
   * IPC, so no `--metrics-listen` is needed); draining processes are listed too. Unlike `status()` it keeps
   * no rates, so it does not change what `switchboard status` reports.
   */
  async sample(metrics: readonly string[] = []): Promise<ProcessSample[]> {
    const one = async (slot: Slot, worker: Worker | null, state: ProcessState): Promise<ProcessSample> => {
      const [stats, values] = worker
        ? await Promise.all([this.askStats(worker), metrics.length ? this.askMetrics(worker, metrics) : {}])
        : [null, {}];
      return {
        role: slot.role,
        ...(slot.label ? { label: slot.label } : {}),
        index: slot.index,
        pid: worker?.process.pid ?? null,
        state,
        startedAt: (worker && this.startedAt.get(worker)) ?? null,
        restarts: slot.restarts,
        stats,
        metrics: values ?? {},
      };
    };
    return Promise.all(this.processes().map(({ slot, worker, state }) => one(slot, worker, state)));
  }

  private changed(slot: Slot, worker: Worker | null, what: ProcessChange['what'], detail?: string): void {
    if (this.watchers.size === 0) return;
    const change: ProcessChange = {
      at: Date.now(),
      role: slot.role,
      ...(slot.label ? { label: slot.label } : {}),
      index: slot.index,
      pid: worker?.process.pid ?? null,
      what,
      ...(detail ? { detail } : {}),
    };
    for (const watcher of this.watchers) watcher(change);
  }

  /**
   * Replaces the business workers one at a time with freshly started ones (so edited code is loaded): the new
   * one must be linked to every gateway before the old one drains (finishes its events, then exits).
   */
  async reload(): Promise<{ replaced: number }> {
    if (this.reloading) throw new Error('a reload is already running');
    this.reloading = true;
    let replaced = 0;
    try {
      for (const slot of this.slots.filter((s) => s.role === 'business')) {
        const old = slot.worker;
        // Still serving while its successor starts: listed beside it.
        if (old) this.leaving.set(old, 'up');
        const fresh = this.spawn(slot, true);
        try {
          await this.whenReady(fresh, READY_TIMEOUT_MS);
        } catch (err) {
          void this.retire(fresh, 0);
          if (old) this.leaving.delete(old);
          slot.worker = old;
          throw new Error(
            `reload stopped: the new worker did not come up (${(err as Error).message}); the old one keeps running`,
          );
        }
        this.onProbation.delete(fresh);
        if (old) await this.retire(old, slot.exitTimeoutMs);
        replaced++;
        this.log.info(`reload: business worker ${slot.index} replaced (pid ${fresh.process.pid})`);
      }
      return { replaced };
    } finally {
      this.reloading = false;
    }
  }

  /** Stops in order: API, workers (they drain), gateways (clients get 1001), register. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    for (const role of STOP_ORDER) {
      await Promise.all(
        this.slots.filter((s) => s.role === role && s.worker).map((s) => this.retire(s.worker!, s.exitTimeoutMs)),
      );
    }
    this.control?.close();
  }

  private spawn(slot: Slot, probation = false): Worker {
    cluster.setupPrimary({ exec: CLI, args: [slot.role, ...slot.args] });
    // A business worker learns its place in the group (`worker.id`, `worker.count` in onWorkerStart).
    const env =
      slot.role === 'business'
        ? { ...this.env, [WORKER_ID_ENV]: String(slot.index), [WORKER_COUNT_ENV]: String(slot.count) }
        : this.env;
    const worker = cluster.fork(env);
    slot.worker = worker;
    this.slotOf.set(worker, slot);
    slot.last = null;
    const startedAt = Date.now();
    this.startedAt.set(worker, startedAt);
    if (probation) this.onProbation.add(worker);
    const onReady = (msg: unknown) => {
      if (!isIpcMessage(msg) || msg.sb !== 'ready') return;
      worker.off('message', onReady);
      this.readyWorkers.add(worker);
      if (slot.worker === worker) slot.crashed = false;
      this.changed(slot, worker, 'up');
    };
    worker.on('message', onReady);
    this.changed(slot, worker, 'started');
    worker.once('exit', (code, signal) => {
      this.leaving.delete(worker);
      if (slot.worker !== worker || this.stopping || this.onProbation.has(worker)) return;
      slot.worker = null;
      slot.restarts++;
      slot.crashed = true;
      if (Date.now() - startedAt > HEALTHY_AFTER_MS) slot.backoff.reset();
      const delay = slot.backoff.next();
      this.changed(slot, null, 'exited', `${signal ?? `code ${code}`}; restarting in ${delay} ms`);
      this.log.error(`${slot.role} exited (${signal ?? `code ${code}`}); restarting in ${delay} ms`, {
        child: slot.role,
        index: slot.index,
      });
      setTimeout(() => {
        if (!this.stopping && slot.worker === null) this.spawn(slot);
      }, delay);
    });
    return worker;
  }

  /** Asks a process to stop gracefully (SIGTERM: workers drain first) and waits; SIGKILL after `timeoutMs`. */
  private retire(worker: Worker, timeoutMs: number): Promise<void> {
    for (const slot of this.slots) if (slot.worker === worker) slot.worker = null;
    if (worker.isDead()) {
      this.leaving.delete(worker);
      return Promise.resolve();
    }
    this.leaving.set(worker, 'draining');
    const slot = this.slotOf.get(worker);
    if (slot) this.changed(slot, worker, 'draining');
    return new Promise((resolve) => {
      const kill = setTimeout(() => worker.process.kill('SIGKILL'), timeoutMs);
      worker.once('exit', () => {
        clearTimeout(kill);
        this.leaving.delete(worker);
        resolve();
      });
      worker.process.kill('SIGTERM');
    });
  }

  private whenReady(worker: Worker, timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`not ready within ${timeoutMs} ms`)), timeoutMs);
      const onMessage = (msg: unknown) => {
        if (!isIpcMessage(msg) || msg.sb !== 'ready') return;
        done();
        resolve();
      };
      const onExit = (code: number | null, signal: string | null) => {
        done();
        reject(new Error(`it exited (${signal ?? `code ${code}`})`));
      };
      const done = () => {
        clearTimeout(timer);
        worker.off('message', onMessage);
        worker.off('exit', onExit);
      };
      worker.on('message', onMessage);
      worker.once('exit', onExit);
    });
  }

  /** The named metrics of a child's registry, each summed over its labels; {} when it does not answer. */
  private askMetrics(worker: Worker, names: readonly string[]): Promise<Record<string, number>> {
    const id = this.nextStatsId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => finish({}), 1000);
      const onMessage = (msg: unknown) => {
        if (isIpcMessage(msg) && msg.sb === 'metrics-reply' && msg.id === id) finish(msg.values);
      };
      const finish = (values: Record<string, number>) => {
        clearTimeout(timer);
        worker.off('message', onMessage);
        resolve(values);
      };
      worker.on('message', onMessage);
      if (!worker.isConnected()) return finish({});
      // With a callback, a channel that closes meanwhile (the child is exiting) is reported here, not thrown.
      worker.send({ sb: 'metrics', id, names: [...names] } satisfies IpcMessage, (err) => {
        if (err) finish({});
      });
    });
  }

  private askStats(worker: Worker): Promise<ChildStats | null> {
    const id = this.nextStatsId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => finish(null), 1000);
      const onMessage = (msg: unknown) => {
        if (isIpcMessage(msg) && msg.sb === 'stats-reply' && msg.id === id) finish(msg.stats);
      };
      const finish = (stats: ChildStats | null) => {
        clearTimeout(timer);
        worker.off('message', onMessage);
        resolve(stats);
      };
      worker.on('message', onMessage);
      if (!worker.isConnected()) return finish(null);
      worker.send({ sb: 'stats', id } satisfies IpcMessage, (err) => {
        if (err) finish(null);
      });
    });
  }
}
