import { Cmd } from '../shared/commands.ts';
import type { Link } from '../shared/link.ts';
import type { Logger } from '../shared/logger.ts';
import { planMoves } from './client-balance.ts';
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
  /** Events sent to this worker and not done yet. */
  inFlight = 0;
  /** It has finished an event: its onWorkerStart is over and it runs handlers. */
  proven = false;
  /** Clients planned to move here, and away from here, by a rebalance (not moved yet). */
  incoming = 0;
  outgoing = 0;

  constructor(readonly link: WorkerPeer) {}

  /** The clients it will hold once the planned moves are done. */
  get load(): number {
    return this.clients.size + this.incoming - this.outgoing;
  }
}

/**
 * Sends each client's events to one worker, up to `maxEventsInFlight` of them before the first is done. The
 * worker runs a client's events one after the other (the handler for event n finishes, awaits included,
 * before event n+1 starts), and an event sent while earlier ones were in flight says how many (`ahead`), so
 * the worker gives it the session, uid and route key that those earlier handlers left rather than the stale
 * ones it carries. With a window of 1, event n+1 leaves only when the worker said event n is done, and its
 * session write arrived first on the same ordered link. A client changes workers only with nothing in flight,
 * so per-client order holds across workers, and at most `maxEventsInFlight` events per client are at risk
 * when a worker dies (counted in `lostEvents`).
 *
 * A client is bound to the least-loaded worker on its first event and stays there until that worker goes, or
 * until a rebalance moves it: when the workers change (one joins, drains or leaves), the gateway plans the
 * fewest moves that give every worker taking events as many clients as any other, give or take one
 * (client-balance.ts), and each planned client moves at its next event with nothing in flight. A client
 * planned to move gets no new event at its old worker meanwhile (else a busy one, whose window never empties,
 * would never move); its events wait at the gateway until the old worker has done the ones it has, as when
 * that worker drains. Its session reaches the new worker with the first event there: the old worker sent
 * every session change before saying its last event was done, on the same ordered link. Planned clients that
 * are idle (nothing in flight, nothing queued) move at once. A worker that has not yet finished any event (its
 * onWorkerStart may still run) takes planned clients one at a time: the others stay where they are, served as
 * before, until it has done an event; then the idle ones move at once and the busy ones at their next event.
 *
 * A client with a route key (Gateway.setRouteKey) goes instead to the worker its key hashes to among the
 * workers taking events (route-hash.ts), which every gateway picks alike; a rebalance never moves it. When
 * workers come or go, a keyed client moves only between events, like a client of a draining worker: its
 * in-flight event finishes where it runs before the next one is sent elsewhere. With no worker connected,
 * events wait in the client's bounded queue.
 */
export class WorkerRouter {
  private readonly workers: RoutedWorker[] = [];
  /** Clients with events queued and no worker to take them. */
  private readonly waiting = new Set<ClientState>();
  /** Events that were with a worker when its link broke. */
  lostEvents = 0;
  /** The worker each route key hashes to among `workers`; forgotten whenever they change. */
  private readonly keyed = new Map<string, RoutedWorker>();
  /** Clients a rebalance planned to move, and where to; each is bound to the worker it leaves. */
  private readonly moves = new Map<ClientState, RoutedWorker>();
  /** Clients moved to another worker by a rebalance. */
  clientsMoved = 0;

  /** Clients a rebalance planned to move that have not moved yet. */
  get movesPlanned(): number {
    return this.moves.size;
  }

  constructor(
    private readonly log: Logger,
    private readonly maxPendingEvents: number,
    /** Called when a gone client's close event has been handled (or lost): forget it for good. */
    private readonly onFinished: (client: ClientState) => void,
    /** Events of one client sent to its worker before the first is done. */
    private readonly maxEventsInFlight = 1,
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
    this.rebalance(`worker ${link.name} joined`);
    return worker;
  }

  removeWorker(worker: RoutedWorker): void {
    const index = this.workers.indexOf(worker);
    if (index >= 0) this.workers.splice(index, 1);
    this.keyed.clear();
    this.cancelMoves(worker);
    let lost = 0;
    for (const client of worker.clients) {
      client.worker = null;
      lost += client.eventsInFlight;
      client.eventsInFlight = 0;
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
    if (index >= 0) this.rebalance(`worker ${worker.link.name} left`);
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
    this.cancelMoves(worker);
    for (const client of [...worker.clients]) {
      if (!client.inFlight) this.unbind(client);
    }
    this.log.info(`worker ${worker.link.name} is draining (${worker.clients.size} event(s) in flight)`);
    this.drainedIfIdle(worker);
    this.rebalance(`worker ${worker.link.name} is draining`);
  }

  private unbind(client: ClientState): void {
    if (this.moves.size > 0) this.cancelMove(client);
    client.worker?.clients.delete(client);
    client.worker = null;
  }

  /**
   * Plans the moves that give each worker taking events a fair share of the clients. Called when the workers
   * change, and only then: see client-balance.ts for why.
   */
  private rebalance(why: string): void {
    const plan = planMoves(this.workers, (c: ClientState) => c.routeKey === null && !c.gone && !this.moves.has(c));
    if (plan.length === 0) return;
    for (const { client, from, to } of plan) {
      this.moves.set(client, to);
      from.outgoing++;
      to.incoming++;
    }
    for (const w of this.workers) if (w.proven && w.incoming > 0) this.moveIdle(w);
    const shares = this.workers.map((w) => `${w.link.name} ${w.load}`).join(', ');
    this.log.info(`${why}: ${plan.length} client(s) move at their next event with nothing in flight (${shares})`, {
      clientsMoving: plan.length,
    });
  }

  /**
   * Moves at once the clients planned to go to `to` that have nothing in flight and nothing queued: no event
   * of theirs can be overtaken, and the next one will carry the session the gateway holds.
   */
  private moveIdle(to: RoutedWorker): void {
    for (const [client, target] of this.moves) {
      if (target !== to || client.eventsInFlight > 0 || client.queue.length > 0) continue;
      this.unbind(client);
      client.worker = to;
      to.clients.add(client);
      this.clientsMoved++;
    }
  }

  /** Forgets the planned moves to or from `worker`. */
  private cancelMoves(worker: RoutedWorker): void {
    if (worker.incoming === 0 && worker.outgoing === 0) return;
    for (const [client, to] of this.moves) if (to === worker || client.worker === worker) this.cancelMove(client);
  }

  private cancelMove(client: ClientState): void {
    const to = this.moves.get(client);
    if (to === undefined) return;
    this.moves.delete(client);
    to.incoming--;
    client.worker!.outgoing--;
  }

  /**
   * The worker a client planned to move goes to with its next event, `client.worker` for it to stay there
   * for now, or null to hold its events until those in flight at its old worker are done.
   */
  private moveTarget(client: ClientState, to: RoutedWorker): RoutedWorker | null {
    const from = client.worker!;
    // The close event of a client that left is handled where its other events were.
    if (client.gone) {
      this.cancelMove(client);
      return from;
    }
    // One client at a time goes to a worker that has not done an event yet; the others are served where they are.
    if (!to.proven && to.inFlight > 0) return from;
    if (client.eventsInFlight > 0) return null;
    this.cancelMove(client);
    this.clientsMoved++;
    return to;
  }

  private drainedIfIdle(worker: RoutedWorker): void {
    if (worker.draining && worker.clients.size === 0) worker.link.send({ cmd: Cmd.WorkerDrained });
  }

  /** Queues an event; false when the client's queue is full (the caller closes the client). */
  enqueue(client: ClientState, event: PendingEvent): boolean {
    if (event.kind !== 'close' && client.queue.length >= this.maxPendingEvents) return false;
    client.queue.push(event);
    if (client.eventsInFlight < this.maxEventsInFlight) this.dispatch(client);
    return true;
  }

  /** The worker finished the client's oldest in-flight event: send what the window now allows. */
  done(worker: RoutedWorker, client: ClientState): void {
    if (client.worker !== worker || client.eventsInFlight === 0) return;
    client.eventsInFlight--;
    worker.inFlight--;
    if (!worker.proven) {
      worker.proven = true;
      if (worker.incoming > 0) this.moveIdle(worker);
    }
    if (worker.draining && client.eventsInFlight === 0) {
      this.unbind(client);
      this.drainedIfIdle(worker);
    }
    this.dispatch(client);
  }

  private dispatch(client: ClientState): void {
    while (client.eventsInFlight < this.maxEventsInFlight && this.sendNext(client));
  }

  /** Sends the client's next event; false when there is none to send now. */
  private sendNext(client: ClientState): boolean {
    const event = client.queue[0];
    if (event === undefined) {
      if (client.gone && client.eventsInFlight === 0) this.finish(client);
      return false;
    }
    const current = client.worker;
    // A client changes workers only with nothing in flight: the new worker must not overtake the old one.
    if (current?.draining) {
      if (client.eventsInFlight > 0) return false;
      this.unbind(client);
    }
    let worker: RoutedWorker | null | undefined;
    if (client.routeKey !== null) {
      if (this.moves.size > 0) this.cancelMove(client);
      worker = this.workerFor(client.routeKey);
    } else if (this.moves.size > 0 && this.moves.has(client)) {
      worker = this.moveTarget(client, this.moves.get(client)!);
      if (worker === null) return false;
    } else worker = client.worker ?? this.leastLoaded();
    if (!worker) {
      if (client.eventsInFlight === 0) this.waiting.add(client);
      return false;
    }
    if (client.worker !== worker) {
      if (client.eventsInFlight > 0) return false;
      this.unbind(client);
      client.worker = worker;
      worker.clients.add(client);
    }
    client.queue.shift();
    const ahead = client.eventsInFlight++;
    worker.inFlight++;
    worker.eventsRouted++;
    this.send(worker, client, event, ahead);
    return true;
  }

  private send(worker: RoutedWorker, client: ClientState, event: PendingEvent, ahead: number): void {
    const { id, uid, session, ip, port, routeKey } = client;
    switch (event.kind) {
      case 'connect':
        // shift() leaves the array its backing store (~160 bytes) and most clients then sit idle for long:
        // setting the length lets go of it.
        if (client.queue.length === 0) client.queue.length = 0;
        return worker.link.send({ cmd: Cmd.EvConnect, client: id, session, request: { ...event.request }, routeKey });
      case 'message':
        // Most clients have no route key and nothing ahead: those fields are left out rather than sent as null
        // and 0 with every message.
        if (ahead > 0) {
          return worker.link.send({
            cmd: Cmd.EvMessage,
            client: id,
            uid,
            session,
            data: event.data,
            ip,
            port,
            routeKey,
            ahead,
          });
        }
        return worker.link.send(
          routeKey === null
            ? { cmd: Cmd.EvMessage, client: id, uid, session, data: event.data, ip, port }
            : { cmd: Cmd.EvMessage, client: id, uid, session, data: event.data, ip, port, routeKey },
        );
      case 'close':
        return worker.link.send(
          ahead > 0
            ? { cmd: Cmd.EvClose, client: id, uid, session, ip, port, routeKey, ahead }
            : { cmd: Cmd.EvClose, client: id, uid, session, ip, port, routeKey },
        );
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

  /** By `load`: the clients planned to move to a worker already count there. */
  private leastLoaded(): RoutedWorker | undefined {
    let best: RoutedWorker | undefined;
    for (const worker of this.workers) if (!best || worker.load < best.load) best = worker;
    return best;
  }
}
