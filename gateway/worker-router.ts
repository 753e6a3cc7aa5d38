import { Cmd } from '../shared/commands.ts';
import type { Link } from '../shared/link.ts';
import type { Logger } from '../shared/logger.ts';
import type { ClientState, PendingEvent } from './client-registry.ts';
import { pickByKey } from './route-hash.ts';

/** Route keys whose worker is remembered between membership changes; past it the memo starts again. */
const MAX_REMEMBERED_KEYS = 10_000;

/** What the router needs of a worker's link: its name for logs, and a way to send it events. */
export type WorkerPeer = Pick<Link, 'name' | 'send'>;

/**
 * A business worker as the router sees it: its link, the clients whose events are sticky to it, and whether
 * it is draining. One per linked worker.
 */
export class RoutedWorker {
  readonly clients = new Set<ClientState>();
  /** The worker asked for no new events; it leaves once its in-flight ones are done. */
  draining = false;
  /** Events sent to this worker, for metrics. */
  eventsRouted = 0;

  constructor(readonly link: WorkerPeer) {}
}

/**
 * Sends each client's events to one worker, one at a time: event n+1 leaves only when the worker said event
 * n is done (its awaits finished and its session write arrived first, on the same ordered link). So per-client
 * order holds across workers, a session change made for message n is in the session sent with message n+1,
 * and at most one event per client is ever at risk when a worker dies.
 *
 * A client is bound to the least-loaded worker on its first event and stays there until that worker goes.
 * A client with a route key (Gateway.setRouteKey) goes instead to the worker its key hashes to among the
 * workers taking events (route-hash.ts), which every gateway picks alike. When workers come or go, a keyed
 * client moves only between events, like a client of a draining worker: its in-flight event finishes where it
 * runs before the next one is sent elsewhere. With no worker connected, events wait in the client's bounded
 * queue.
 */
export class WorkerRouter {
  private readonly workers: RoutedWorker[] = [];
  /** Clients with events queued and no worker to take them. */
  private readonly waiting = new Set<ClientState>();
  /** Events that were with a worker when its link broke. */
  lostEvents = 0;
  /** The worker each route key hashes to among `workers`; forgotten whenever they change. */
  private readonly keyed = new Map<string, RoutedWorker>();

  constructor(
    private readonly log: Logger,
    private readonly maxPendingEvents: number,
    /** Called when a gone client's close event has been handled (or lost): forget it for good. */
    private readonly onFinished: (client: ClientState) => void,
  ) {}

  get workerCount(): number {
    return this.workers.length;
  }

  /** Workers taking new events. */
  activeWorkers(): readonly RoutedWorker[] {
    return this.workers;
  }

  /** Events waiting at this gateway: queued behind a busy worker or for any worker at all. */
  queuedEvents(): number {
    let n = 0;
    for (const worker of this.workers) for (const client of worker.clients) n += client.queue.length;
    for (const client of this.waiting) n += client.queue.length;
    return n;
  }

  addWorker(link: WorkerPeer): RoutedWorker {
    const worker = new RoutedWorker(link);
    if (this.workers.some((w) => w.link.name === link.name)) {
      this.log.warn(`two workers are named ${link.name}: keyed routing needs every worker name to be unique`);
    }
    this.workers.push(worker);
    this.keyed.clear();
    // Keyed clients that are idle move to the newcomer if their key now hashes to it: on their next event.
    const waiting = [...this.waiting];
    this.waiting.clear();
    for (const client of waiting) this.dispatch(client);
    return worker;
  }

  removeWorker(worker: RoutedWorker): void {
    const index = this.workers.indexOf(worker);
    if (index >= 0) this.workers.splice(index, 1);
    this.keyed.clear();
    let lost = 0;
    for (const client of worker.clients) {
      client.worker = null;
      if (client.inFlight) {
        client.inFlight = false;
        lost++;
      }
    }
    const rebound = [...worker.clients];
    worker.clients.clear();
    this.lostEvents += lost;
    if (lost > 0) {
      this.log.warn(`worker ${worker.link.name} left with ${lost} event(s) unfinished; its clients move on`, {
        lostEvents: lost,
      });
    }
    for (const client of rebound) this.dispatch(client);
  }

  /**
   * The worker is leaving: it gets no new events. Its idle clients move on at once; the others after their
   * in-flight event is done. When none is left, the worker is told it is drained.
   */
  drain(worker: RoutedWorker): void {
    if (worker.draining) return;
    worker.draining = true;
    const index = this.workers.indexOf(worker);
    if (index >= 0) this.workers.splice(index, 1);
    this.keyed.clear();
    for (const client of [...worker.clients]) {
      if (!client.inFlight) this.unbind(client);
    }
    this.log.info(`worker ${worker.link.name} is draining (${worker.clients.size} event(s) in flight)`);
    this.drainedIfIdle(worker);
  }

  private unbind(client: ClientState): void {
    client.worker?.clients.delete(client);
    client.worker = null;
  }

  private drainedIfIdle(worker: RoutedWorker): void {
    if (worker.draining && worker.clients.size === 0) worker.link.send({ cmd: Cmd.WorkerDrained });
  }

  /** Queues an event; false when the client's queue is full (the caller closes the client). */
  enqueue(client: ClientState, event: PendingEvent): boolean {
    if (event.kind !== 'close' && client.queue.length >= this.maxPendingEvents) return false;
    client.queue.push(event);
    if (!client.inFlight) this.dispatch(client);
    return true;
  }

  /** The worker finished the client's in-flight event: send the next one. */
  done(worker: RoutedWorker, client: ClientState): void {
    if (client.worker !== worker || !client.inFlight) return;
    client.inFlight = false;
    if (worker.draining) {
      this.unbind(client);
      this.drainedIfIdle(worker);
    }
    this.dispatch(client);
  }

  private dispatch(client: ClientState): void {
    const event = client.queue[0];
    if (event === undefined) {
      if (client.gone) this.finish(client);
      return;
    }
    // Nothing of this client is in flight here (dispatch runs only then), so it may change workers now.
    const worker = client.routeKey === null ? (client.worker ?? this.leastLoaded()) : this.workerFor(client.routeKey);
    if (!worker) {
      this.waiting.add(client);
      return;
    }
    if (client.worker !== worker) {
      this.unbind(client);
      client.worker = worker;
      worker.clients.add(client);
    }
    client.queue.shift();
    client.inFlight = true;
    worker.eventsRouted++;
    const { id, uid, session, ip, port, routeKey } = client;
    switch (event.kind) {
      case 'connect':
        // shift() leaves the array its backing store (~160 bytes) and most clients then sit idle for long:
        // setting the length lets go of it.
        if (client.queue.length === 0) client.queue.length = 0;
        return worker.link.send({ cmd: Cmd.EvConnect, client: id, session, request: { ...event.request }, routeKey });
      case 'message':
        // Most clients have no route key: the field is left out rather than sent as null with every message.
        return worker.link.send(
          routeKey === null
            ? { cmd: Cmd.EvMessage, client: id, uid, session, data: event.data, ip, port }
            : { cmd: Cmd.EvMessage, client: id, uid, session, data: event.data, ip, port, routeKey },
        );
      case 'close':
        return worker.link.send({ cmd: Cmd.EvClose, client: id, uid, session, ip, port, routeKey });
    }
  }

  private finish(client: ClientState): void {
    this.unbind(client);
    this.waiting.delete(client);
    this.onFinished(client);
  }

  /** The worker taking events that `key` hashes to, or undefined when none is. */
  private workerFor(key: string): RoutedWorker | undefined {
    let worker = this.keyed.get(key);
    if (worker) return worker;
    worker = pickByKey(key, this.workers, (w) => w.link.name);
    if (!worker) return undefined;
    if (this.keyed.size >= MAX_REMEMBERED_KEYS) this.keyed.clear();
    this.keyed.set(key, worker);
    return worker;
  }

  private leastLoaded(): RoutedWorker | undefined {
    let best: RoutedWorker | undefined;
    for (const worker of this.workers) if (!best || worker.clients.size < best.clients.size) best = worker;
    return best;
  }
}
