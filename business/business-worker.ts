import { Cmd, MAX_NESTING, nestsAtMost } from '../shared/commands.ts';
import type { Link } from '../shared/link.ts';
import { runtime, sessionSnapshot, type Context, type EventScope } from './context.ts';
import { checkExportNames, loadEventHandlers, type EventHandlers, type WorkerInfo } from './event-handlers.ts';
import { parseCookies } from './cookies.ts';
import { ErrorCode } from '../shared/errors.ts';
import type { ClientRequest } from '../shared/commands.ts';
import { GatewayDirectory, type ClientEvent } from '../gateway-api/gateway-directory.ts';
import { parseWorkerOptions, type BusinessWorkerOptions, type ResolvedWorkerOptions } from './worker-options.ts';
import { WorkerMetrics } from './worker-metrics.ts';

/**
 * A business worker: links to every gateway, runs the app's handlers for the events gateways send, and
 * makes the `Gateway` API work. Stateless; run as many as needed. Per-client order comes from the gateway,
 * which sends a client's next event only after this worker reported the previous one done.
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
  readonly metrics = new WorkerMetrics(
    () => this.inFlight,
    () => (this.directory ? [...this.directory.openLinks()].length : 0),
  );
  /** Events wait for onWorkerStart to finish. */
  private started: Promise<void> = Promise.resolve();
  private ready = false;
  private draining: { pending: Set<string>; done: () => void } | null = null;

  constructor(options: BusinessWorkerOptions = {}) {
    this.options = parseWorkerOptions(options);
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
      onEvent: (msg, link, gateway) => void this.handle(msg, link, gateway),
      onGatewayOpen: (_gateway, link) => {
        // A gateway that appears while we drain must not start routing to us.
        if (this.draining) link.send({ cmd: Cmd.WorkerDraining });
      },
      onDrained: (gateway) => this.drainedBy(gateway),
      onGatewayClose: (gateway) => this.drainedBy(gateway),
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
   * their events while there is none.
   */
  async drain(timeoutMs = 30_000): Promise<void> {
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
      this.options.log.warn(`drain timed out after ${timeoutMs} ms; ${this.inFlight} event(s) still running`);
      this.draining?.done();
    }, timeoutMs);
    await done;
    clearTimeout(timer);
    // Handlers for a gateway whose link broke meanwhile may still run: give them the same deadline.
    const deadline = Date.now() + timeoutMs;
    while (this.inFlight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
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
      gateways: this.directory ? [...this.directory.openLinks()].length : 0,
    };
  }

  async stop(): Promise<void> {
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

  private async handle(msg: ClientEvent, link: Link, gateway: string): Promise<void> {
    const { handlers } = this;
    const clientId = msg.client;
    const event = msg.cmd === Cmd.EvConnect ? 'connect' : msg.cmd === Cmd.EvMessage ? 'message' : 'close';
    // The gateway builds the request map of EvConnect from the upgrade request (a ClientRequest).
    const request = msg.cmd === Cmd.EvConnect ? (msg.request as unknown as ClientRequest) : undefined;
    const ctx: Context = {
      clientId,
      event,
      session: msg.session,
      uid: msg.cmd === Cmd.EvConnect ? null : (msg.uid ?? null),
      ip: msg.cmd === Cmd.EvConnect ? String(request?.ip ?? '') : (msg.ip ?? ''),
      port: msg.cmd === Cmd.EvConnect ? Number(request?.port ?? 0) : (msg.port ?? 0),
      routeKey: msg.routeKey ?? null,
      gateway,
      ...(request ? { request } : {}),
    };
    const scope: EventScope = { ctx, baseline: sessionSnapshot(msg.session) };
    this.inFlight++;
    const startedAt = performance.now();
    try {
      // Only the first events of a fresh worker wait for onWorkerStart; later ones skip the await.
      if (!this.ready) await this.started;
      await runtime.events.run(scope, () => {
        switch (msg.cmd) {
          case Cmd.EvConnect:
            return this.connected(clientId, ctx, scope);
          case Cmd.EvMessage:
            return handlers.onMessage?.(clientId, msg.data as string | Buffer, ctx);
          case Cmd.EvClose:
            return handlers.onClose?.(clientId, ctx);
        }
      });
    } catch (error) {
      this.metrics.handlerError(event);
      this.options.log.error(`on${event[0]!.toUpperCase()}${event.slice(1)} threw for client ${clientId}`, {
        client: clientId,
        event,
        error,
      });
    } finally {
      this.inFlight--;
      this.observe(event, clientId, performance.now() - startedAt);
    }
    if (event !== 'close') this.writeBackSession(scope, link);
    link.send({ cmd: Cmd.EventDone, client: clientId });
  }

  /** onConnect, then (unless it closed the client) onWebSocketConnect, as GatewayWorker calls them. */
  private async connected(clientId: string, ctx: Context, scope: EventScope): Promise<void> {
    const { onConnect, onWebSocketConnect } = this.handlers;
    await onConnect?.(clientId, ctx);
    if (!onWebSocketConnect || scope.closed || !ctx.request) return;
    const data = { ...ctx.request, cookies: parseCookies(ctx.request.headers.cookie) };
    await onWebSocketConnect(clientId, data, ctx);
  }

  private observe(event: Context['event'], clientId: string, ms: number): void {
    this.eventsHandled++;
    this.handlerMs += ms;
    this.metrics.handled(event, ms / 1000);
    if (ms > this.options.slowHandlerMs) {
      this.metrics.slowHandler();
      this.options.log.warn(`slow handler: on${event[0]!.toUpperCase()}${event.slice(1)} took ${Math.round(ms)} ms`, {
        client: clientId,
        event,
        ms: Math.round(ms),
      });
    }
  }

  /** Sends the session back when the handler changed it, ahead of EventDone on the same link. */
  private writeBackSession({ ctx, baseline }: EventScope, link: Link): void {
    const { session } = ctx;
    if (typeof session !== 'object' || session === null || Array.isArray(session)) {
      this.options.log.error(`ctx.session of client ${ctx.clientId} must stay an object; change ignored`);
      return;
    }
    let snapshot: string;
    try {
      snapshot = sessionSnapshot(session);
    } catch (error) {
      this.options.log.error(`ctx.session of client ${ctx.clientId} cannot be serialised; change ignored`, { error });
      return;
    }
    // A gateway refuses such a frame as bad and would close this worker's link.
    if (!nestsAtMost(session)) {
      this.options.log.error(
        `ctx.session of client ${ctx.clientId} nests deeper than ${MAX_NESTING} levels; change ignored`,
      );
      return;
    }
    // The JSON round trip sends exactly what a later getSession will return.
    if (snapshot !== baseline) link.send({ cmd: Cmd.SetSession, client: ctx.clientId, session: JSON.parse(snapshot) });
  }
}
