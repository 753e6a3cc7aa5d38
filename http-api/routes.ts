import type { GatewayApi } from '../gateway-api/gateway-api.ts';
import type { GatewayClient } from '../gateway-api/gateway-client.ts';
import { ErrorCode, SwitchboardError } from '../shared/errors.ts';
import { P, readParams, type Param, type Values } from './params.ts';

/** How an API call answers: sends report how many clients got the data, mutations just "ok", queries a result. */
export type CallKind = 'send' | 'mutation' | 'query';

/** What a call that succeeded answers. */
export type Success = { ok: true; delivered?: number; result?: unknown };

export interface CallSpec {
  kind: CallKind;
  /** The body fields it takes, in the order of the call's parameters. */
  params: readonly Param<unknown>[];
  /** Reads the parameters from the body (SB_ERR_INVALID_ARGUMENT if one is wrong) and makes the call. */
  invoke(client: GatewayClient, call: string, body: Record<string, unknown>): Promise<Success>;
}

type Run<Ps extends readonly Param<unknown>[], R> = (client: GatewayClient, ...args: Values<Ps>) => R;

/** A send answers how many clients got the data; a kept send (`keep: true`) answers once it is kept. */
function send<const Ps extends readonly Param<unknown>[]>(
  params: Ps,
  run: Run<Ps, Promise<number | undefined>>,
): CallSpec {
  return {
    kind: 'send',
    params,
    invoke: async (client, call, body) => {
      const delivered = await run(client, ...readParams(call, params, body));
      return delivered === undefined ? { ok: true } : { ok: true, delivered };
    },
  };
}

function mutation<const Ps extends readonly Param<unknown>[]>(params: Ps, run: Run<Ps, void>): CallSpec {
  return {
    kind: 'mutation',
    params,
    invoke: async (client, call, body) => {
      run(client, ...readParams(call, params, body));
      return { ok: true };
    },
  };
}

function query<const Ps extends readonly Param<unknown>[]>(params: Ps, run: Run<Ps, Promise<unknown>>): CallSpec {
  return {
    kind: 'query',
    params,
    invoke: async (client, call, body) => ({ ok: true, result: await run(client, ...readParams(call, params, body)) }),
  };
}

/**
 * Every Gateway API call the HTTP API offers, as `POST /v1/<kebab-case-name>` with a JSON body of the named
 * parameters, e.g. `POST /v1/send-to-uid {"uid":"42","data":{"text":"hi"}}`: its parameters and the call.
 */
export const CALLS = {
  sendToClient: send([P.clientId, P.data], (c, id, data) => c.sendAndCount('sendToClient', id, data)),
  sendToUid: send([P.uidOrUids, P.data, P.keep], (c, uid, data, keep) =>
    keep ? c.sendToUid(uid, data, { keep: true }).then(() => undefined) : c.sendAndCount('sendToUid', uid, data),
  ),
  sendToGroup: send([P.groupOrGroups, P.data, P.exclude, P.keep], (c, group, data, exclude, keep) =>
    keep
      ? c.sendToGroup(group, data, exclude, { keep: true }).then(() => undefined)
      : c.sendAndCount('sendToGroup', group, data, exclude),
  ),
  sendToAll: send([P.data, P.clientIds, P.exclude], (c, data, ids, exclude) =>
    c.sendAndCount('sendToAll', data, ids, exclude),
  ),
  bindUid: mutation([P.clientId, P.uid], (c, id, uid) => c.bindUid(id, uid)),
  unbindUid: mutation([P.clientId, P.uid], (c, id, uid) => c.unbindUid(id, uid)),
  joinGroup: mutation([P.clientId, P.group], (c, id, group) => c.joinGroup(id, group)),
  leaveGroup: mutation([P.clientId, P.group], (c, id, group) => c.leaveGroup(id, group)),
  ungroup: mutation([P.group], (c, group) => c.ungroup(group)),
  setSession: mutation([P.clientId, P.session], (c, id, session) => c.setSession(id, session)),
  updateSession: mutation([P.clientId, P.session], (c, id, session) => c.updateSession(id, session)),
  closeClient: mutation([P.clientId, P.optionalData], (c, id, data) => c.closeClient(id, data)),
  destroyClient: mutation([P.clientId], (c, id) => c.destroyClient(id)),
  getSession: query([P.clientId], (c, id) => c.getSession(id)),
  isOnline: query([P.clientId], (c, id) => c.isOnline(id)),
  getUidByClientId: query([P.clientId], (c, id) => c.getUidByClientId(id)),
  isUidOnline: query([P.uid], (c, uid) => c.isUidOnline(uid)),
  getClientIdByUid: query([P.uid], (c, uid) => c.getClientIdByUid(uid)),
  isUidsOnline: query([P.uids], (c, uids) => c.isUidsOnline(uids)),
  batchGetClientIdByUid: query([P.uids], (c, uids) => c.batchGetClientIdByUid(uids)),
  batchGetClientIdCountByGroup: query([P.groups], (c, groups) => c.batchGetClientIdCountByGroup(groups)),
  getAllClientIdCount: query([], (c) => c.getAllClientIdCount()),
  getAllClientIdList: query([], (c) => c.getAllClientIdList()),
  getAllClientSessions: query([P.optionalGroup], (c, group) => c.getAllClientSessions(group)),
  getClientIdCountByGroup: query([P.group], (c, group) => c.getClientIdCountByGroup(group)),
  getClientIdListByGroup: query([P.group], (c, group) => c.getClientIdListByGroup(group)),
  getClientSessionsByGroup: query([P.group], (c, group) => c.getClientSessionsByGroup(group)),
  getAllUidList: query([], (c) => c.getAllUidList()),
  getAllUidCount: query([], (c) => c.getAllUidCount()),
  getUidListByGroup: query([P.group], (c, group) => c.getUidListByGroup(group)),
  getUidCountByGroup: query([P.group], (c, group) => c.getUidCountByGroup(group)),
  getAllGroupIdList: query([], (c) => c.getAllGroupIdList()),
  getAllGroupUidList: query([], (c) => c.getAllGroupUidList()),
  getAllGroupUidCount: query([], (c) => c.getAllGroupUidCount()),
  getAllGroupClientIdList: query([], (c) => c.getAllGroupClientIdList()),
  getAllGroupClientIdCount: query([], (c) => c.getAllGroupClientIdCount()),
} as const satisfies Partial<Record<keyof GatewayApi, CallSpec>>;

export type CallName = keyof typeof CALLS;

/** `sendToUid` -> `send-to-uid`. */
export function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

const byPath = new Map<string, CallName>(Object.keys(CALLS).map((n) => [kebab(n), n as CallName]));

/** The call named in a path segment or a batch item: `send-to-uid` (or `sendToUid`). */
export function callNamed(name: string): CallName | undefined {
  return byPath.get(name) ?? (Object.hasOwn(CALLS, name) ? (name as CallName) : undefined);
}

/** Read-only shortcuts: `GET` paths whose `:segments` fill the call's parameters. */
export const GET_ROUTES: readonly [pattern: string, call: CallName][] = [
  ['/v1/clients', 'getAllClientIdList'],
  ['/v1/clients/count', 'getAllClientIdCount'],
  ['/v1/clients/:clientId/online', 'isOnline'],
  ['/v1/clients/:clientId/session', 'getSession'],
  ['/v1/clients/:clientId/uid', 'getUidByClientId'],
  ['/v1/uids', 'getAllUidList'],
  ['/v1/uids/count', 'getAllUidCount'],
  ['/v1/uids/:uid/online', 'isUidOnline'],
  ['/v1/uids/:uid/clients', 'getClientIdByUid'],
  ['/v1/groups', 'getAllGroupIdList'],
  ['/v1/groups/:group/clients', 'getClientIdListByGroup'],
  ['/v1/groups/:group/clients/count', 'getClientIdCountByGroup'],
  ['/v1/groups/:group/uids', 'getUidListByGroup'],
  ['/v1/groups/:group/uids/count', 'getUidCountByGroup'],
  ['/v1/groups/:group/sessions', 'getClientSessionsByGroup'],
];

/** Matches a GET path against GET_ROUTES; returns the call and the parameters taken from the path. */
export function matchGet(path: string): { call: CallName; params: Record<string, string> } | undefined {
  const parts = path.split('/');
  for (const [pattern, call] of GET_ROUTES) {
    const want = pattern.split('/');
    if (want.length !== parts.length) continue;
    const params: Record<string, string> = {};
    let ok = true;
    for (let i = 0; i < want.length && ok; i++) {
      const w = want[i]!;
      if (w.startsWith(':')) params[w.slice(1)] = decodeSegment(parts[i]!);
      else ok = w === parts[i];
    }
    if (ok) return { call, params };
  }
  return undefined;
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new SwitchboardError(ErrorCode.InvalidArgument, `"${segment.slice(0, 80)}" is not a valid URL path segment`);
  }
}
