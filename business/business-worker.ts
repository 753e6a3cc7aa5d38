import { Cmd, type Message } from '../shared/commands.ts';
import type { Link } from '../shared/link.ts';
import { runtime, sessionSnapshot, type Context, type EventScope } from './context.ts';
import { loadEventHandlers, type EventHandlers, type WorkerInfo } from './event-handlers.ts';
import { GatewayDirectory } from './gateway-directory.ts';
import { parseWorkerOptions, type BusinessWorkerOptions, type ResolvedWorkerOptions } from './worker-options.ts';

type ClientEvent = Extract<Message, { cmd: typeof Cmd.EvConnect | typeof Cmd.EvMessage | typeof Cmd.EvClose }>;

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

  constructor(options: BusinessWorkerOptions = {}) {
    this.options = parseWorkerOptions(options);
  }

  get info(): WorkerInfo {
    return { name: this.options.name, pid: process.pid };
  }

  /** Loads the handlers, runs onWorkerStart, then connects to the registers and gateways. */
  async start(): Promise<void> {
    const { events, log } = this.options;
    this.handlers = typeof events === 'string' ? await loadEventHandlers(events) : events;
    const directory = new GatewayDirectory({
      registers: this.options.registers,
      link: this.options.link,
      role: 'worker',
      name: this.options.name,
      queryTimeout: this.options.queryTimeout,
      onEvent: (msg, link, gateway) => void this.handle(msg as ClientEvent, link, gateway),
    });
    this.directory = directory;
    runtime.directory = directory;
    await this.handlers.onWorkerStart?.(this.info);
    log.info(`business worker started`, { events: typeof events === 'string' ? events : '(functions)' });
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
    const ctx: Context = {
      clientId,
      event,
      session: msg.session,
      uid: msg.cmd === Cmd.EvConnect ? null : (msg.uid ?? null),
      gateway,
      ...(msg.cmd === Cmd.EvConnect ? { request: msg.request as unknown as Context['request'] } : {}),
    };
    const scope: EventScope = { ctx, baseline: sessionSnapshot(msg.session) };
    this.inFlight++;
    try {
      await runtime.events.run(scope, () => {
        switch (msg.cmd) {
          case Cmd.EvConnect:
            return handlers.onConnect?.(clientId, ctx);
          case Cmd.EvMessage:
            return handlers.onMessage?.(clientId, msg.data as string | Buffer, ctx);
          case Cmd.EvClose:
            return handlers.onClose?.(clientId, ctx);
        }
      });
    } catch (error) {
      this.options.log.error(`on${event[0]!.toUpperCase()}${event.slice(1)} threw for client ${clientId}`, {
        client: clientId,
        event,
        error,
      });
    } finally {
      this.inFlight--;
    }
    if (event !== 'close') this.writeBackSession(scope, link);
    link.send({ cmd: Cmd.EventDone, client: clientId });
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
    // The JSON round trip sends exactly what a later getSession will return.
    if (snapshot !== baseline) link.send({ cmd: Cmd.SetSession, client: ctx.clientId, session: JSON.parse(snapshot) });
  }
}
