import type { ClientRequest, SessionData } from '../shared/commands.ts';
import type { ClientConnection } from './client-connection.ts';
import type { ClientKept } from './kept-delivery.ts';
import type { RateLimit } from './rate-limit.ts';
import type { RoutedWorker } from './worker-router.ts';

/**
 * A client event waiting for (or being handled by) a worker. The session is attached when it is sent; the
 * upgrade request travels with the connect event only, so the gateway does not keep every client's headers.
 */
export type PendingEvent =
  { kind: 'connect'; request: ClientRequest } | { kind: 'message'; data: string | Buffer } | { kind: 'close' };

/** The session of a client that has none yet: shared, never changed (a session write replaces it). */
export const NO_SESSION: SessionData = Object.freeze({});

/** The groups of a client in none: shared, never changed (joinGroup gives the client its own set). */
const NO_GROUPS: ReadonlySet<string> = new Set();

/** Everything the gateway keeps per client connection. */
export class ClientState {
  uid: string | null = null;
  /** Created on the first joinGroup: most clients join none, and an empty Set costs memory per connection. */
  groups: ReadonlySet<string> = NO_GROUPS;
  session: SessionData = NO_SESSION;
  /** The client's remote port (its address is `ip`), sent with every event for `ctx.port`. */
  port = 0;
  /** Set by Gateway.setRouteKey: the client's events go to the worker that the key hashes to. */
  routeKey: string | null = null;
  /** The worker this client's events are sticky to, while it is alive. */
  worker: RoutedWorker | null = null;
  /** Events sent to `worker` and not yet done (at most the gateway's `maxEventsInFlight`). */
  eventsInFlight = 0;
  readonly queue: PendingEvent[] = [];
  missedPings = 0;
  /** Null when clients have no message rate limit. */
  rate: RateLimit | null = null;
  /** Set while the client is over its rate: its socket is not read until the timer fires. */
  throttle: NodeJS.Timeout | null = null;
  /** Over the send-buffer bound (drop policy): pushes are skipped until it drains. */
  slow = false;
  /** The connection is gone; only its close event remains to be handled. */
  gone = false;
  /** Kept-message progress of a client that speaks the recovery subprotocol; null for every other client. */
  kept: ClientKept | null = null;

  /** An event was sent to `worker` and is not yet done. */
  get inFlight(): boolean {
    return this.eventsInFlight > 0;
  }

  constructor(
    readonly id: string,
    /** The WebSocket, or the TCP client. */
    readonly conn: ClientConnection,
    /** The client's address as the gateway sees it, for logs. */
    readonly ip: string,
  ) {}
}

/** Which index a key belongs to. */
export type IndexKind = 'uid' | 'group';

/**
 * The gateway's clients and its two-way indexes: uid -> clients (one uid, many devices) and
 * group -> clients, with `client.uid` / `client.groups` the other direction. Empty entries are deleted so
 * memory follows the live clients, not history.
 */
export class ClientRegistry {
  readonly clients = new Map<string, ClientState>();
  readonly uids = new Map<string, Set<ClientState>>();
  readonly groups = new Map<string, Set<ClientState>>();
  /** Called when a uid or group gains its first member (`present` true) or loses its last. */
  onIndexChange: ((kind: IndexKind, key: string, present: boolean) => void) | null = null;

  add(client: ClientState): void {
    this.clients.set(client.id, client);
  }

  get(id: string): ClientState | undefined {
    return this.clients.get(id);
  }

  /** Forgets a client and takes it out of every index; its uid and groups stay readable on the object. */
  remove(client: ClientState): void {
    this.clients.delete(client.id);
    if (client.uid !== null) this.removeFrom('uid', client.uid, client);
    for (const group of client.groups) this.removeFrom('group', group, client);
  }

  /** A client has at most one uid: binding replaces the previous one. */
  bindUid(client: ClientState, uid: string): void {
    if (client.uid === uid) return;
    if (client.uid !== null) this.removeFrom('uid', client.uid, client);
    client.uid = uid;
    this.addTo('uid', uid, client);
  }

  unbindUid(client: ClientState, uid: string): void {
    if (client.uid !== uid) return;
    this.removeFrom('uid', uid, client);
    client.uid = null;
  }

  joinGroup(client: ClientState, group: string): void {
    if (client.groups === NO_GROUPS) client.groups = new Set([group]);
    else (client.groups as Set<string>).add(group);
    this.addTo('group', group, client);
  }

  leaveGroup(client: ClientState, group: string): void {
    (client.groups as Set<string>).delete(group);
    this.removeFrom('group', group, client);
  }

  ungroup(group: string): void {
    const members = this.groups.get(group);
    if (!members) return;
    for (const client of members) (client.groups as Set<string>).delete(group);
    this.groups.delete(group);
    this.onIndexChange?.('group', group, false);
  }

  /** The clients of a group, or every client when `group` is null. */
  members(group: string | null): Iterable<ClientState> {
    return group === null ? this.clients.values() : (this.groups.get(group) ?? []);
  }

  private index(kind: IndexKind): Map<string, Set<ClientState>> {
    return kind === 'uid' ? this.uids : this.groups;
  }

  private addTo(kind: IndexKind, key: string, client: ClientState): void {
    const index = this.index(kind);
    const set = index.get(key);
    if (set) return void set.add(client);
    index.set(key, new Set([client]));
    this.onIndexChange?.(kind, key, true);
  }

  private removeFrom(kind: IndexKind, key: string, client: ClientState): void {
    const index = this.index(kind);
    const set = index.get(key);
    if (!set) return;
    set.delete(client);
    if (set.size > 0) return;
    index.delete(key);
    this.onIndexChange?.(kind, key, false);
  }
}
