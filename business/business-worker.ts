import { Cmd, MAX_NESTING, nestsAtMost } from '../shared/commands.ts';
import type { Link } from '../shared/link.ts';
import { runtime, sessionSnapshot, type Context, type EventScope } from './context.ts';
import { checkExportNames, loadEventHandlers, type EventHandlers, type WorkerInfo } from './event-handlers.ts';
import { parseCookies } from './cookies.ts';
import { ErrorCode } from '../shared/errors.ts';
import type { ClientRequest, SessionData } from '../shared/commands.ts';
import { GatewayDirectory, type ClientEvent } from '../gateway-api/gateway-directory.ts';
import {
  drainTimeoutMs,
  parseWorkerOptions,
  type BusinessWorkerOptions,
  type ResolvedWorkerOptions,
} from './worker-options.ts';
import { WorkerMetrics, type EventKind } from './worker-metrics.ts';
import { RunningEvents, type RunningEvent } from './running-events.ts';

/** What a client's last handler left, when it changed it: the session (JSON), uid and route key. */
interface LeftState {
  session: string;
  uid: string | null;
  routeKey: string | null;
}

/** An event waiting for the client's running one to finish. */
interface QueuedEvent {
  msg: ClientEvent;
  link: Link;
  gateway: string;
}

/**
 * One client's events at this worker: they run one after the other. `left` is kept while the gateway may
 * still send events carrying a session older than what the last handler wrote (events sent while earlier
 * ones were in flight): such an event starts from `left` instead.
 */
interface ClientLane {
  readonly queue: QueuedEvent[];
  running: boolean;
  left: LeftState | null;
  readonly gateway: string;
  /** When its last event ended (performance.now()), for forgetting lanes of clients that went elsewhere. */
  idleSince: number;
}

/**
 * An idle lane's `left` matters only for events the gateway sent before our EventDone reached it, which are
 * on the wire for milliseconds. Lanes idle this long belong to clients that moved to another worker (their
 * close event goes there) and are forgotten, so a long-lived gateway link does not collect them.
 */
const IDLE_LANE_MS = 60_000;

/**
 * A business worker: links to every gateway, runs the app's handlers for the events gateways send, and
 * makes the `Gateway` API work. Stateless; run as many as needed. A gateway may send several events of a
 * client before the first is done (`maxEventsInFlight`); the worker runs them in order, the handler for
 * event n finishing (awaits included) before event n+1 starts, and event n+1 sees what event n left in the
 * session, uid and route key.
 */
export class BusinessWorker {
  readonly options: ResolvedWorkerOptions;
  private handlers: EventHandlers = {};
  private directory: GatewayDirectory | null = null;
  /** Events being handled now. */
  inFlight = 0;
  /** Events handled, and the time their handlers took, since start (for `switchboard status`). */
  eventsHandled = 0;
  handlerMs = 0;
  /** Handlers that ran past the handler timeout, since start. */
  handlerTimeouts = 0;
  /** The running handlers, and the timer that times them out. */
  private readonly watch: RunningEvents;
  readonly metrics = new WorkerMetrics(
    () => this.inFlight,
    () => (this.directory ? [...this.directory.openLinks()].length : 0),
    { overdue: () => this.watch.overdueCount, oldestAgeMs: () => this.watch.oldestAgeMs() },
  );
  /** Events wait for onWorkerStart to finish. */
  private started: Promise<void> = Promise.resolve();
  private ready = false;
  private draining: { pending: Set<string>; done: () => void } | null = null;
  /** Clients with an event running here, or whose last handler's changes the gateway may not have yet. */
  private readonly lanes = new Map<string, ClientLane>();
  private lastLaneSweep = performance.now();

  constructor(options: BusinessWorkerOptions = {}) {
    this.options = parseWorkerOptions(options);
    this.watch = new RunningEvents(this.options.handlerTimeoutMs, {
      timedOut: (running, ageMs) => this.timedOut(running, ageMs),
      endedLate: (running, ageMs, error) => this.endedLate(running, ageMs, error),
    });
  }

  get info(): WorkerInfo {
    const { name, id, count } = this.options;
    return { name, pid: process.pid, id, count };
  }

  /** Loads the handlers, runs onWorkerStart, then connects to the registers and gateways. */
  async start(): Promise<void> {
    const { events, log } = this.options;
    const warn = (message: string) => log.warn(message, { code: ErrorCode.UnknownHandler });
    if (typeof events === 'string') this.handlers = await loadEventHandlers(events, warn);
    else {
      checkExportNames('events', Object.keys(events), warn);
      this.handlers = events;
    }
    const directory = new GatewayDirectory({
      registers: this.options.registers,
      link: { ...this.options.link, onInternalError: () => this.metrics.internalError() },
      role: 'worker',
      name: this.options.name,
      queryTimeout: this.options.queryTimeout,
      routing: this.options.routing,
      ...{ history: this.options.history, historySize: this.options.historySize, historyTtl: this.options.historyTtl },
      onEvent: (msg, link, gateway) => this.accept(msg, link, gateway),
      onGatewayOpen: (_gateway, link) => {
        // A gateway that appears while we drain must not start routing to us.
        if (this.draining) link.send({ cmd: Cmd.WorkerDraining });
      },
      onDrained: (gateway) => this.drainedBy(gateway),
      onGatewayClose: (gateway) => {
        this.forgetGateway(gateway);
        this.drainedBy(gateway);
      },
    });
    this.directory = directory;
    runtime.directory = directory;
    // The Gateway API works inside onWorkerStart; client events wait until it has finished.
    this.started = Promise.resolve(this.handlers.onWorkerStart?.(this.info)).then(() => {});
    await this.started;
    this.ready = true;
    log.info(`business worker started`, { events: typeof events === 'string' ? events : '(functions)' });
  }

  /** Null when started and linked to a register and every known gateway, else what is missing (`/readyz`). */
  notReady(): string | null {
    if (!this.ready || !this.directory) return 'starting (onWorkerStart has not finished)';
    if (this.draining) return 'draining';
    return this.directory.notReady();
  }

  /** Resolves once every known gateway is linked (or `timeoutMs` passed). */
  async linked(timeoutMs: number): Promise<void> {
    await this.directory?.whenReady(timeoutMs);
  }

  /**
   * Leaves without losing anything: tells every gateway to send no new events, waits until each reports that
   * none of ours is in flight (our EventDone for each arrived, so every handler finished and its sends were
   * written first), then stops. Gateways route this worker's clients to the other workers meanwhile, or hold
   * their events while there is none. A handler past the handler timeout counts as done (it was reported then),
   * so one hung handler holds the drain for about the handler timeout; `timeoutMs` bounds the whole drain.
   */
  async drain(timeoutMs = drainTimeoutMs(this.options.handlerTimeoutMs)): Promise<void> {
    const directory = this.directory;
    if (!directory || this.draining) return;
    const pending = new Set<string>();
    const done = new Promise<void>((resolve) => {
      this.draining = { pending, done: resolve };
    });
    for (const gateway of directory.addresses) {
      const link = directory.link(gateway);
      if (!link) continue;
      pending.add(gateway);
      link.send({ cmd: Cmd.WorkerDraining });
    }
    this.options.log.info(`draining: waiting for ${pending.size} gateway(s)`);
    if (pending.size === 0) this.draining!.done();
    const timer = setTimeout(() => {
      const queued = [...this.lanes.values()].reduce((n, lane) => n + lane.queue.length, 0);
      this.options.log.warn(
        `drain timed out after ${timeoutMs} ms; ${this.inFlight} event(s) still running, ${queued} queued`,
      );
      this.draining?.done();
    }, timeoutMs);
    await done;
    clearTimeout(timer);
    // Handlers for a gateway whose link broke meanwhile may still run: give them the same deadline.
    const deadline = Date.now() + timeoutMs;
    while (this.inFlight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    for (const running of this.watch.overdueEvents()) {
      const ageMs = Math.round(performance.now() - running.startedAt);
      this.options.log.warn(
        `leaving with ${handlerName(running.event)} for client ${running.clientId} still running after ${ageMs} ms ` +
          `(timed out, reported then): it is given up`,
        { client: running.clientId, event: running.event, ageMs, timedOut: true },
      );
    }
    await this.stop();
  }

  private drainedBy(gateway: string): void {
    const draining = this.draining;
    if (!draining || !draining.pending.delete(gateway)) return;
    if (draining.pending.size === 0) draining.done();
  }

  /** Figures for `switchboard status`. */
  stats(): Record<string, number> {
    return {
      inFlight: this.inFlight,
      eventsHandled: this.eventsHandled,
      handlerMs: this.handlerMs,
      oldestEventMs: Math.round(this.watch.oldestAgeMs()),
      overdue: this.watch.overdueCount,
      handlerTimeouts: this.handlerTimeouts,
      gateways: this.directory ? [...this.directory.openLinks()].length : 0,
    };
  }

  async stop(): Promise<void> {
    this.watch.cancel();
    try {
      await this.handlers.onWorkerStop?.(this.info);
    } catch (error) {
      this.options.log.error('onWorkerStop failed', { error });
    }
    const directory = this.directory;
    this.directory = null;
    if (runtime.directory === directory) runtime.directory = null;
    await directory?.stop();
  }

  /** An event from a gateway: run now, or after the client's running one. */
  private accept(msg: ClientEvent, link: Link, gateway: string): void {
    let lane = this.lanes.get(msg.client);
    if (lane === undefined) {
      lane = { queue: [], running: false, left: null, gateway, idleSince: 0 };
      this.lanes.set(msg.client, lane);
    }
    if (lane.running) lane.queue.push({ msg, link, gateway });
    else this.run(lane, { msg, link, gateway });
  }

  /**
   * Runs the client's events one after the other until none is waiting. While handlers return no promise this
   * stays synchronous, so a synchronous handler costs no promise (with AsyncLocalStorage on, every promise
   * also runs its hooks); an asynchronous one holds the lane until it has ended.
   */
  private run(lane: ClientLane, first: QueuedEvent): void {
    lane.running = true;
    let current: QueuedEvent | undefined = first;
    let last = first;
    for (; current !== undefined; current = lane.queue.shift()) {
      last = current;
      const pending = this.handle(current, lane);
      if (pending === undefined) continue;
      void pending.then(() => {
        const after = lane.queue.shift();
        if (after === undefined) this.idle(lane, last.msg.client, last.msg.cmd);
        else this.run(lane, after);
      });
      return;
    }
    this.idle(lane, last.msg.client, last.msg.cmd);
  }

  /** The lane has nothing left to run: kept only while its last handler's changes may not be at the gateway. */
  private idle(lane: ClientLane, clientId: string, lastCmd: ClientEvent['cmd']): void {
    lane.running = false;
    if (lane.left === null || lastCmd === Cmd.EvClose) {
      this.lanes.delete(clientId);
      return;
    }
    const now = performance.now();
    lane.idleSince = now;
    if (now - this.lastLaneSweep > IDLE_LANE_MS / 2) this.forgetIdleLanes(now);
  }

  private forgetIdleLanes(now: number): void {
    this.lastLaneSweep = now;
    for (const [clientId, lane] of this.lanes) {
      if (!lane.running && now - lane.idleSince > IDLE_LANE_MS) this.lanes.delete(clientId);
    }
  }

  /** A gateway is gone with its clients: what their handlers left is of no more use. */
  private forgetGateway(gateway: string): void {
    for (const [clientId, lane] of this.lanes) {
      if (lane.gateway === gateway && !lane.running) this.lanes.delete(clientId);
    }
  }

  /** Runs one event's handler; a promise only when it did not end synchronously (it never rejects). */
  private handle({ msg, link, gateway }: QueuedEvent, lane: ClientLane): Promise<void> | undefined {
    const clientId = msg.client;
    const event = msg.cmd === Cmd.EvConnect ? 'connect' : msg.cmd === Cmd.EvMessage ? 'message' : 'close';
    // The gateway builds the request map of EvConnect from the upgrade request (a ClientRequest).
    const request = msg.cmd === Cmd.EvConnect ? (msg.request as unknown as ClientRequest) : undefined;
    // Sent with nothing ahead, the event carries all the gateway knows; sent behind others, it may carry what
    // was there before they ran, so it starts from what the last of them left.
    if (msg.cmd === Cmd.EvConnect || !msg.ahead) lane.left = null;
    const { left } = lane;
    const baseline = left ? left.session : sessionSnapshot(msg.session);
    const ctx: Context = {
      clientId,
      event,
      session: left ? (JSON.parse(left.session) as SessionData) : msg.session,
      uid: startingUid(msg, left),
      ip: msg.cmd === Cmd.EvConnect ? String(request?.ip ?? '') : (msg.ip ?? ''),
      port: msg.cmd === Cmd.EvConnect ? Number(request?.port ?? 0) : (msg.port ?? 0),
      routeKey: startingRouteKey(msg, left),
      gateway,
      ...(request ? { request } : {}),
    };
    const scope: EventScope = { ctx, baseline };
    this.inFlight++;
    // Only the first events of a fresh worker wait for onWorkerStart.
    if (!this.ready) return this.started.then(() => this.invoke(msg, scope, link, lane));
    return this.invoke(msg, scope, link, lane);
  }

  /** Calls the handler in the event's scope; then `finish`, at once or when its promise has settled. */
  private invoke(msg: ClientEvent, scope: EventScope, link: Link, lane: ClientLane): Promise<void> | undefined {
    const { clientId, event } = scope.ctx;
    const running = this.watch.start(clientId, event, scope);
    let result: unknown;
    try {
      result = runtime.events.run(scope, this.dispatch, msg, scope);
    } catch (error) {
      this.handlerFailed(scope, error);
    }
    if (!isThenable(result)) return void this.finish(running, scope, msg, link, lane);
    // Past the handler timeout this resolves without the handler: the client's next event goes ahead.
    return this.watch.settled(running, result).then(
      () => this.finish(running, scope, msg, link, lane),
      (error: unknown) => {
        this.handlerFailed(scope, error);
        this.finish(running, scope, msg, link, lane);
      },
    );
  }

  /** The handler for the event's kind; called inside the event's AsyncLocalStorage scope. */
  private readonly dispatch = (msg: ClientEvent, scope: EventScope): unknown => {
    const { ctx } = scope;
    switch (msg.cmd) {
      case Cmd.EvConnect:
        return this.connected(ctx.clientId, ctx, scope);
      case Cmd.EvMessage:
        return this.handlers.onMessage?.(ctx.clientId, msg.data as string | Buffer, ctx);
      case Cmd.EvClose:
        return this.handlers.onClose?.(ctx.clientId, ctx);
    }
  };

  private handlerFailed({ ctx: { clientId, event } }: EventScope, error: unknown): void {
    this.metrics.handlerError(event);
    this.options.log.error(`${handlerName(event)} threw for client ${clientId}`, { client: clientId, event, error });
  }

  /** The handler ended (or timed out): counted, its changes written back, and the event reported done. */
  private finish(running: RunningEvent, scope: EventScope, msg: ClientEvent, link: Link, lane: ClientLane): void {
    const { ctx, baseline } = scope;
    // What the event started from: the lane's `left` does not change while its event runs.
    const { left } = lane;
    if (!running.timedOut) this.watch.end(running, undefined);
    this.inFlight--;
    this.observe(ctx.event, ctx.clientId, performance.now() - running.startedAt, running.timedOut);
    if (ctx.event !== 'close') {
      const session = this.writeBackSession(scope, link);
      const changed =
        session !== baseline || ctx.uid !== startingUid(msg, left) || ctx.routeKey !== startingRouteKey(msg, left);
      if (left || changed) {
        lane.left = { session, uid: ctx.uid, routeKey: ctx.routeKey };
      }
    }
    link.send({ cmd: Cmd.EventDone, client: ctx.clientId });
  }

  /** onConnect, then (unless it closed the client) onWebSocketConnect, as GatewayWorker calls them. */
  private async connected(clientId: string, ctx: Context, scope: EventScope): Promise<void> {
    const { onConnect, onWebSocketConnect } = this.handlers;
    await onConnect?.(clientId, ctx);
    if (!onWebSocketConnect || scope.closed || !ctx.request) return;
    const data = { ...ctx.request, cookies: parseCookies(ctx.request.headers.cookie) };
    await onWebSocketConnect(clientId, data, ctx);
  }

  private observe(event: Context['event'], clientId: string, ms: number, timedOut: boolean): void {
    this.eventsHandled++;
    this.handlerMs += ms;
    this.metrics.handled(event, ms / 1000);
    // A timed-out handler was logged at its timeout.
    if (ms > this.options.slowHandlerMs && !timedOut) {
      this.metrics.slowHandler();
      this.options.log.warn(`slow handler: on${event[0]!.toUpperCase()}${event.slice(1)} took ${Math.round(ms)} ms`, {
        client: clientId,
        event,
        ms: Math.round(ms),
      });
    }
  }

  /**
   * A handler is still running past the handler timeout: said now, while it runs. The worker then writes back
   * the session as the handler left it so far and reports the event done, so the client's next event goes ahead.
   */
  private timedOut(running: RunningEvent, ageMs: number): void {
    this.handlerTimeouts++;
    this.metrics.handlerTimeout();
    const { clientId, event } = running;
    const { handlerTimeoutMs } = this.options;
    this.options.log.warn(
      `handler timeout: ${handlerName(event)} for client ${clientId} still running after ${Math.round(ageMs)} ms ` +
        `(--handler-timeout ${handlerTimeoutMs}): the client's next event goes ahead, and the Gateway calls this ` +
        `handler makes from now on throw ${ErrorCode.HandlerTimeout}`,
      {
        code: ErrorCode.HandlerTimeout,
        client: clientId,
        event,
        ageMs: Math.round(ageMs),
        timeoutMs: handlerTimeoutMs,
      },
    );
  }

  /** A handler that had timed out ended after all: what it changed in ctx.session since was not written back. */
  private endedLate(running: RunningEvent, ageMs: number, error: unknown): void {
    const { clientId, event } = running;
    const fields = { client: clientId, event, ageMs: Math.round(ageMs), timedOut: true };
    const name = handlerName(event);
    if (error === undefined) {
      this.options.log.warn(
        `${name} for client ${clientId} ended ${Math.round(ageMs)} ms after it started, past its timeout`,
        fields,
      );
      return;
    }
    this.metrics.handlerError(event);
    this.options.log.error(`${name} threw for client ${clientId} after its timeout`, { ...fields, error });
  }

  /**
   * Sends the session back when the handler changed it, ahead of EventDone on the same link. Returns the
   * session (JSON) the gateway holds after it.
   */
  private writeBackSession({ ctx, baseline }: EventScope, link: Link): string {
    const { session } = ctx;
    if (typeof session !== 'object' || session === null || Array.isArray(session)) {
      this.options.log.error(`ctx.session of client ${ctx.clientId} must stay an object; change ignored`);
      return baseline;
    }
    let snapshot: string;
    try {
      snapshot = sessionSnapshot(session);
    } catch (error) {
      this.options.log.error(`ctx.session of client ${ctx.clientId} cannot be serialised; change ignored`, { error });
      return baseline;
    }
    // A gateway refuses such a frame as bad and would close this worker's link.
    if (!nestsAtMost(session)) {
      this.options.log.error(
        `ctx.session of client ${ctx.clientId} nests deeper than ${MAX_NESTING} levels; change ignored`,
      );
      return baseline;
    }
    // The JSON round trip sends exactly what a later getSession will return.
    if (snapshot !== baseline) link.send({ cmd: Cmd.SetSession, client: ctx.clientId, session: JSON.parse(snapshot) });
    return snapshot;
  }
}

/** The uid an event starts from: what the client's last event left, else what the gateway sent. */
function startingUid(msg: ClientEvent, left: LeftState | null): string | null {
  if (left) return left.uid;
  return msg.cmd === Cmd.EvConnect ? null : (msg.uid ?? null);
}

/** The route key an event starts from, likewise. */
function startingRouteKey(msg: ClientEvent, left: LeftState | null): string | null {
  return left ? left.routeKey : (msg.routeKey ?? null);
}

/** `onMessage` for `message`, as the handlers are named in the events module. */
function handlerName(event: EventKind): string {
  return `on${event[0]!.toUpperCase()}${event.slice(1)}`;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null)?.then === 'function';
}
