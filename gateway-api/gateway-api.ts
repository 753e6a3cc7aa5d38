import { Cmd, type Message, type SessionData } from '../shared/commands.ts';
import { ErrorCode, hasCode } from '../shared/errors.ts';
import { Query, type ClientInfo, type QueryArgs, type QueryName, type QueryResult } from '../shared/queries.ts';
import { invalid, name, nameList, ownerOf, payload, session, type Name, type SendData } from './call-arguments.ts';
import { streamOf } from '../history/history-store.ts';
import type { GatewayDirectory } from './gateway-directory.ts';
import { counted, isDeliveryCount, SENDS, type Route, type SendArgs, type SendCall } from './sends.ts';

export type { Name, SendData, SessionData, SendArgs, SendCall };

/** Options of a uid or group send. */
export interface SendOptions {
  /**
   * Keep the message in the history of each uid's (or group's) stream, so a client that reconnects and is bound
   * (joined) again gets it if it missed it (docs/history.md). The call then returns a Promise that resolves once
   * the message is kept and has left for the gateways, and rejects with SB_ERR_HISTORY_UNAVAILABLE (nothing
   * sent) when the history cannot be written. @default false
   */
  keep?: boolean;
}

const sum = (parts: number[]) => parts.reduce((a, b) => a + b, 0);
const concat = (parts: string[][]) => parts.flat();
const union = (parts: string[][]) => [...new Set(concat(parts))];

function merge<T>(parts: Record<string, T>[]): Record<string, T> {
  const out: Record<string, T> = {};
  for (const part of parts) for (const key in part) out[key] = part[key]!;
  return out;
}

/** Merges per-gateway `{ key: string[] }` answers, keeping each list free of duplicates. */
function mergeLists(parts: Record<string, string[]>[]): Record<string, string[]> {
  const out: Record<string, Set<string>> = {};
  for (const part of parts) {
    for (const [key, list] of Object.entries(part)) for (const item of list) (out[key] ??= new Set()).add(item);
  }
  return Object.fromEntries(Object.entries(out).map(([k, set]) => [k, [...set]]));
}

/** A `group` query argument: null for every client, one name, or several. */
function groupArg(call: string, group: unknown): string | string[] | null {
  if (group == null) return null;
  return Array.isArray(group) ? nameList(call, 'group', group) : name(call, 'group', group);
}

/** Like groupArg, where a group must be given. */
function requiredGroups(call: string, group: unknown): string | string[] {
  return groupArg(call, group) ?? invalid(call, 'group must be a string or an array of strings, got null');
}

/** Whether a send's options ask to keep it; SB_ERR_INVALID_ARGUMENT for options that are not an object. */
function keepOption(call: string, options: unknown): boolean {
  if (options == null) return false;
  if (typeof options !== 'object') invalid(call, `options must be an object, got ${typeof options}`);
  const { keep } = options as SendOptions;
  if (keep != null && typeof keep !== 'boolean') invalid(call, `keep must be a boolean, got ${typeof keep}`);
  return keep === true;
}

const counts = (lists: Record<string, string[]>) =>
  Object.fromEntries(Object.entries(lists).map(([k, list]) => [k, list.length]));

/**
 * The Gateway API: GatewayWorker's calls, same names, parameter order and meaning, camelCase and typed.
 * Sends and mutations are fire-and-forget and leave in the order they were called; queries return Promises.
 * A call about one client whose gateway is gone or unreachable from this process does nothing (sends) or
 * answers "offline" (queries). Aggregate queries ask the gateways in parallel and reject
 * (SB_ERR_QUERY_TIMEOUT, SB_ERR_GATEWAY_UNAVAILABLE) rather than undercount when a gateway cannot answer.
 *
 * Written once over a GatewayDirectory: the worker's `Gateway` and (for other programs) a client both use it.
 */
export abstract class GatewayApi {
  protected abstract get directory(): GatewayDirectory;

  // ---- routing -----------------------------------------------------------------------------------------

  /**
   * Hands one message to a gateway (or, with `gateway` null, to every gateway that must get it: see
   * GatewayDirectory.forEachTarget). Every send and mutation passes here, so a subclass can hold them until
   * the gateways are known (GatewayClient). A gateway that is not linked is skipped quietly: its clients are
   * gone.
   */
  protected route(call: string, gateway: string | null, message: Message): void {
    const { directory } = this;
    if (gateway !== null) return directory.send(gateway, message);
    directory.requireGateways(call);
    directory.sendToTargets(message);
  }

  /** Resolves once queries can be asked; a worker always can. */
  protected ready(): Promise<void> {
    return Promise.resolve();
  }

  private toOwner(call: string, clientId: unknown, message: Message): void {
    this.route(call, ownerOf(call, clientId), message);
  }

  /**
   * Runs one of the send calls and resolves with the number of client connections the data was handed to
   * (summed over the gateways, which each report their count). Rejects like a query when a gateway that had to
   * be asked cannot answer.
   */
  protected async countDeliveries<K extends SendCall>(call: K, args: SendArgs<K>): Promise<number> {
    const routes = SENDS[call](...args);
    await this.ready();
    const { directory } = this;
    const counts: Promise<number>[] = [];
    const ask = (gateway: string, message: Message) =>
      counts.push(directory.request(gateway, call, (id) => counted(message, id), isDeliveryCount));
    for (const [gateway, message] of routes) {
      if (gateway === null) {
        directory.requireGateways(call);
        directory.forEachTarget(message, ask);
      } else if (directory.addresses.includes(gateway)) ask(gateway, message);
    }
    return sum(await Promise.all(counts));
  }

  private async askOwner(call: string, clientId: unknown, clients: string[]): Promise<Record<string, ClientInfo>> {
    const gateway = ownerOf(call, clientId);
    await this.ready();
    // A client whose gateway is gone, or that this process cannot reach now, is offline as far as it can tell.
    if (!this.directory.link(gateway)) return {};
    try {
      return await this.directory.query(gateway, Query.ClientInfo, { clients });
    } catch (err) {
      // The link broke while we waited (the gateway died or was cut off): offline too, not an error.
      if (hasCode(err, ErrorCode.GatewayUnavailable)) return {};
      throw err;
    }
  }

  private async askAll<Q extends QueryName>(q: Q, args: QueryArgs<Q>): Promise<QueryResult<Q>[]> {
    await this.ready();
    return this.directory.queryAll(q, args);
  }

  // ---- sending -----------------------------------------------------------------------------------------

  /** Sends `data` to one client. Queued, not "delivered": a client that is gone is skipped. */
  sendToClient(clientId: string, data: SendData): void {
    this.routeAll('sendToClient', SENDS.sendToClient(clientId, data));
  }

  /**
   * Sends to every device bound to `uid` (or to each of several uids), on every gateway. With `{ keep: true }`
   * the message is kept in each uid's history and the call returns a Promise (see SendOptions).
   * @example
   * await Gateway.sendToUid('alice', { text: 'hi' }, { keep: true });
   */
  sendToUid(uid: Name | Name[], data: SendData, options?: SendOptions & { keep?: false }): void;
  sendToUid(uid: Name | Name[], data: SendData, options: SendOptions & { keep: true }): Promise<void>;
  sendToUid(uid: Name | Name[], data: SendData, options?: SendOptions): void | Promise<void>;
  sendToUid(uid: Name | Name[], data: SendData, options?: SendOptions): void | Promise<void> {
    const routes = SENDS.sendToUid(uid, data);
    if (keepOption('sendToUid', options)) return this.keep('sendToUid', routes);
    this.routeAll('sendToUid', routes);
  }

  /**
   * Sends to every member of a group (or of several; a member of two gets one copy), except `exclude`. With
   * `{ keep: true }` the message is kept in each group's history (a member of two groups then gets one copy per
   * group) and the call returns a Promise (see SendOptions).
   */
  sendToGroup(
    group: Name | Name[],
    data: SendData,
    exclude?: string | string[] | null,
    options?: SendOptions & { keep?: false },
  ): void;
  sendToGroup(
    group: Name | Name[],
    data: SendData,
    exclude: string | string[] | null | undefined,
    options: SendOptions & { keep: true },
  ): Promise<void>;
  sendToGroup(
    group: Name | Name[],
    data: SendData,
    exclude?: string | string[] | null,
    options?: SendOptions,
  ): void | Promise<void>;
  sendToGroup(
    group: Name | Name[],
    data: SendData,
    exclude?: string | string[] | null,
    options?: SendOptions,
  ): void | Promise<void> {
    const routes = SENDS.sendToGroup(group, data, exclude);
    if (keepOption('sendToGroup', options)) return this.keep('sendToGroup', routes);
    this.routeAll('sendToGroup', routes);
  }

  /**
   * A kept send: this process writes it to the history first (Redis, or the embedded history the first
   * register holds), one position per stream, and the message carries them to the gateways that hold its
   * members. A gateway only ever hands out positions of a history it replays from. With no gateway running
   * the send is complete once kept: no client is connected to hand it to, and each gets it when it comes back.
   */
  private async keep(call: 'sendToUid' | 'sendToGroup', routes: Route[]): Promise<void> {
    const { directory } = this;
    for (const [, message] of routes) {
      if (message.cmd !== Cmd.SendToUids && message.cmd !== Cmd.SendToGroups) continue;
      const streams =
        message.cmd === Cmd.SendToUids
          ? message.uids.map((uid) => streamOf('uid', uid))
          : message.groups.map((group) => streamOf('group', group));
      const positions = await Promise.all(streams.map((stream) => directory.history.append(stream, message.data)));
      try {
        this.route(call, null, { ...message, kept: positions.map((p) => [p.epoch, p.offset]) });
      } catch (err) {
        if (!hasCode(err, ErrorCode.NoGateway)) throw err;
      }
    }
  }

  /**
   * Sends to every client, or only to `clientIds` when given (`[]` sends to nobody), except `exclude`.
   * With `clientIds`, each gateway gets only its own ids.
   */
  sendToAll(data: SendData, clientIds?: string[] | null, exclude?: string | string[] | null): void {
    this.routeAll('sendToAll', SENDS.sendToAll(data, clientIds, exclude));
  }

  private routeAll(call: string, routes: Route[]): void {
    for (const [gateway, message] of routes) this.route(call, gateway, message);
  }

  /** Sends a last message (if given), then closes the client normally (1000). */
  closeClient(clientId: string, data?: SendData | null): void {
    const call = 'closeClient';
    this.toOwner(call, clientId, {
      cmd: Cmd.CloseClient,
      client: clientId,
      data: data == null ? null : payload(call, data),
    });
  }

  /** Drops the connection at once, without a closing handshake. */
  destroyClient(clientId: string): void {
    this.toOwner('destroyClient', clientId, { cmd: Cmd.DestroyClient, client: clientId });
  }

  /**
   * Routes a client's events by `key`: from its next event on, every gateway sends the events of all clients
   * with the same key to the same business worker (chosen among the live workers by a hash of the key and
   * their names), so a game room's or a document's state can live in that worker's memory. `null` goes back to
   * the default, sticky per client. When workers come and go, few keys move, and a client moves only once its
   * running event has finished, so its events stay in order. `ctx.routeKey` shows the key. Keys are routed
   * apart from groups: join the room's group as well to send to it.
   * @example
   * Gateway.joinGroup(clientId, `room:${room}`);
   * Gateway.setRouteKey(clientId, `room:${room}`); // the room's state can now live in this worker's memory
   */
  setRouteKey(clientId: string, key: Name | null): void {
    const call = 'setRouteKey';
    this.toOwner(call, clientId, {
      cmd: Cmd.SetRouteKey,
      client: clientId,
      key: key === null ? null : name(call, 'key', key),
    });
  }

  // ---- uids, groups, sessions ----------------------------------------------------------------------------

  /** Binds a client to a uid. A client has at most one uid (binding again replaces it); a uid many clients. */
  bindUid(clientId: string, uid: Name): void {
    this.toOwner('bindUid', clientId, { cmd: Cmd.BindUid, client: clientId, uid: name('bindUid', 'uid', uid) });
  }

  unbindUid(clientId: string, uid: Name): void {
    this.toOwner('unbindUid', clientId, { cmd: Cmd.UnbindUid, client: clientId, uid: name('unbindUid', 'uid', uid) });
  }

  joinGroup(clientId: string, group: Name): void {
    this.toOwner('joinGroup', clientId, {
      cmd: Cmd.JoinGroup,
      client: clientId,
      group: name('joinGroup', 'group', group),
    });
  }

  leaveGroup(clientId: string, group: Name): void {
    const call = 'leaveGroup';
    this.toOwner(call, clientId, { cmd: Cmd.LeaveGroup, client: clientId, group: name(call, 'group', group) });
  }

  /** Dissolves a group on every gateway (its members stay connected). */
  ungroup(group: Name): void {
    this.route('ungroup', null, { cmd: Cmd.Ungroup, group: name('ungroup', 'group', group) });
  }

  /** Replaces a client's session. */
  setSession(clientId: string, data: SessionData): void {
    this.toOwner('setSession', clientId, {
      cmd: Cmd.SetSession,
      client: clientId,
      session: session('setSession', data),
    });
  }

  /** Merges `data` into a client's session (top-level keys). */
  updateSession(clientId: string, data: SessionData): void {
    const call = 'updateSession';
    this.toOwner(call, clientId, { cmd: Cmd.UpdateSession, client: clientId, session: session(call, data) });
  }

  /** A client's session, or null when the client is not online. */
  async getSession(clientId: string): Promise<SessionData | null> {
    return (await this.askOwner('getSession', clientId, [clientId]))[clientId]?.session ?? null;
  }

  // ---- queries -------------------------------------------------------------------------------------------

  async isOnline(clientId: string): Promise<boolean> {
    return (await this.askOwner('isOnline', clientId, [clientId]))[clientId] !== undefined;
  }

  /** The uid bound to a client, or null (not bound, or not online). */
  async getUidByClientId(clientId: string): Promise<string | null> {
    return (await this.askOwner('getUidByClientId', clientId, [clientId]))[clientId]?.uid ?? null;
  }

  async isUidOnline(uid: Name): Promise<boolean> {
    const key = name('isUidOnline', 'uid', uid);
    return (await this.isUidsOnline([key]))[key] ?? false;
  }

  /** Every client id bound to `uid`, across all gateways. */
  async getClientIdByUid(uid: Name): Promise<string[]> {
    const key = name('getClientIdByUid', 'uid', uid);
    return (await this.batchGetClientIdByUid([key]))[key] ?? [];
  }

  /** `{ uid: online }` for many uids in one round trip. */
  async isUidsOnline(uids: Name[]): Promise<Record<string, boolean>> {
    const keys = nameList('isUidsOnline', 'uid', uids);
    const found = await this.batchGetClientIdByUid(keys);
    return Object.fromEntries(keys.map((uid) => [uid, (found[uid]?.length ?? 0) > 0]));
  }

  /** `{ uid: clientIds }` for many uids in one round trip (uids with no client are left out). */
  async batchGetClientIdByUid(uids: Name[]): Promise<Record<string, string[]>> {
    const keys = nameList('batchGetClientIdByUid', 'uid', uids);
    return mergeLists(await this.askAll(Query.UidClients, { uids: keys }));
  }

  async getAllClientIdCount(): Promise<number> {
    return sum(await this.askAll(Query.ClientCount, { group: null }));
  }

  async getAllClientIdList(): Promise<string[]> {
    return concat(await this.askAll(Query.ClientIds, { group: null }));
  }

  /** `{ clientId: session }` of every client, or of a group's (or groups') members when `group` is given. */
  async getAllClientSessions(group?: Name | Name[] | null): Promise<Record<string, SessionData>> {
    return merge<SessionData>(
      await this.askAll(Query.ClientSessions, { group: groupArg('getAllClientSessions', group) }),
    );
  }

  /**
   * The number of clients in a group; with several groups, of clients in any of them (each counted once); with
   * no group, of every client, as in GatewayWorker.
   */
  async getClientIdCountByGroup(group?: Name | Name[] | null): Promise<number> {
    return sum(await this.askAll(Query.ClientCount, { group: groupArg('getClientIdCountByGroup', group) }));
  }

  /** The client ids of a group's members, or of several groups' (each client once). */
  async getClientIdListByGroup(group: Name | Name[]): Promise<string[]> {
    return concat(await this.askAll(Query.ClientIds, { group: requiredGroups('getClientIdListByGroup', group) }));
  }

  /** `{ clientId: session }` of a group's (or groups') members; with no group, of every client, as in GatewayWorker. */
  async getClientSessionsByGroup(group?: Name | Name[] | null): Promise<Record<string, SessionData>> {
    const arg = groupArg('getClientSessionsByGroup', group);
    return merge<SessionData>(await this.askAll(Query.ClientSessions, { group: arg }));
  }

  /** Every bound uid, once each, across all gateways. */
  async getAllUidList(): Promise<string[]> {
    return union(await this.askAll(Query.Uids, { group: null }));
  }

  /** The number of distinct uids online. */
  async getAllUidCount(): Promise<number> {
    return (await this.getAllUidList()).length;
  }

  /** The distinct uids bound to members of a group, or of several groups. */
  async getUidListByGroup(group: Name | Name[]): Promise<string[]> {
    return union(await this.askAll(Query.Uids, { group: requiredGroups('getUidListByGroup', group) }));
  }

  /** The number of distinct uids among a group's (or groups') members. */
  async getUidCountByGroup(group: Name | Name[]): Promise<number> {
    return (await this.getUidListByGroup(requiredGroups('getUidCountByGroup', group))).length;
  }

  /** Every group with at least one member. */
  async getAllGroupIdList(): Promise<string[]> {
    return union(await this.askAll(Query.GroupIds, {}));
  }

  /** `{ group: uids }` for every group (members without a uid are skipped). */
  async getAllGroupUidList(): Promise<Record<string, string[]>> {
    return mergeLists(await this.askAll(Query.GroupUids, {}));
  }

  /** `{ group: number of distinct uids }`. */
  async getAllGroupUidCount(): Promise<Record<string, number>> {
    return counts(await this.getAllGroupUidList());
  }

  /** `{ group: clientIds }` for every group. */
  async getAllGroupClientIdList(): Promise<Record<string, string[]>> {
    return mergeLists(await this.askAll(Query.GroupClientIds, {}));
  }

  /** `{ group: number of clients }` for every group. */
  async getAllGroupClientIdCount(): Promise<Record<string, number>> {
    return counts(await this.getAllGroupClientIdList());
  }

  /** `{ group: number of clients }` for many groups in one round trip. */
  async batchGetClientIdCountByGroup(groups: Name[]): Promise<Record<string, number>> {
    const keys = nameList('batchGetClientIdCountByGroup', 'group', groups);
    const out: Record<string, number> = Object.fromEntries(keys.map((g) => [g, 0]));
    for (const part of await this.askAll(Query.GroupCounts, { groups: keys })) {
      for (const [g, n] of Object.entries(part)) out[g] = (out[g] ?? 0) + n;
    }
    return out;
  }

  // ---- GatewayWorker's other names -----------------------------------------------------------------------

  /** @deprecated GatewayWorker's older name: use getAllClientIdCount. */
  getAllClientCount(): Promise<number> {
    return this.getAllClientIdCount();
  }

  /** @deprecated GatewayWorker's older name: use getClientIdCountByGroup. */
  getClientCountByGroup(group?: Name | Name[] | null): Promise<number> {
    return this.getClientIdCountByGroup(group);
  }

  /** @deprecated GatewayWorker's older name: use getAllClientSessions. */
  getAllClientInfo(group?: Name | Name[] | null): Promise<Record<string, SessionData>> {
    return this.getAllClientSessions(group);
  }

  /** @deprecated GatewayWorker's older name: use getClientSessionsByGroup. */
  getClientInfoByGroup(group?: Name | Name[] | null): Promise<Record<string, SessionData>> {
    return this.getClientSessionsByGroup(group);
  }

  /** @deprecated GatewayWorker's misspelling, kept so ported code runs: use destroyClient. */
  destoryClient(clientId: string): void {
    this.destroyClient(clientId);
  }
}
