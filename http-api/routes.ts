import type { GatewayApi } from '../gateway-api/gateway-api.ts';
import { ErrorCode, SwitchboardError } from '../shared/errors.ts';

/** How an API call answers: sends report how many clients got the data, mutations just "ok", queries a result. */
export type CallKind = 'send' | 'mutation' | 'query';

interface CallSpec {
  kind: CallKind;
  /** Body fields in the order of the call's parameters; a `?` suffix marks an optional one. */
  params: readonly string[];
}

/**
 * Every Gateway API call the HTTP API offers, as `POST /v1/<kebab-case-name>` with a JSON body of the named
 * parameters, e.g. `POST /v1/send-to-uid {"uid":"42","data":{"text":"hi"}}`.
 */
export const CALLS = {
  sendToClient: { kind: 'send', params: ['clientId', 'data'] },
  sendToUid: { kind: 'send', params: ['uid', 'data'] },
  sendToGroup: { kind: 'send', params: ['group', 'data', 'exclude?'] },
  sendToAll: { kind: 'send', params: ['data', 'clientIds?', 'exclude?'] },
  bindUid: { kind: 'mutation', params: ['clientId', 'uid'] },
  unbindUid: { kind: 'mutation', params: ['clientId', 'uid'] },
  joinGroup: { kind: 'mutation', params: ['clientId', 'group'] },
  leaveGroup: { kind: 'mutation', params: ['clientId', 'group'] },
  ungroup: { kind: 'mutation', params: ['group'] },
  setSession: { kind: 'mutation', params: ['clientId', 'session'] },
  updateSession: { kind: 'mutation', params: ['clientId', 'session'] },
  closeClient: { kind: 'mutation', params: ['clientId', 'data?'] },
  destroyClient: { kind: 'mutation', params: ['clientId'] },
  getSession: { kind: 'query', params: ['clientId'] },
  isOnline: { kind: 'query', params: ['clientId'] },
  getUidByClientId: { kind: 'query', params: ['clientId'] },
  isUidOnline: { kind: 'query', params: ['uid'] },
  getClientIdByUid: { kind: 'query', params: ['uid'] },
  isUidsOnline: { kind: 'query', params: ['uids'] },
  batchGetClientIdByUid: { kind: 'query', params: ['uids'] },
  batchGetClientIdCountByGroup: { kind: 'query', params: ['groups'] },
  getAllClientIdCount: { kind: 'query', params: [] },
  getAllClientIdList: { kind: 'query', params: [] },
  getAllClientSessions: { kind: 'query', params: ['group?'] },
  getClientIdCountByGroup: { kind: 'query', params: ['group'] },
  getClientIdListByGroup: { kind: 'query', params: ['group'] },
  getClientSessionsByGroup: { kind: 'query', params: ['group'] },
  getAllUidList: { kind: 'query', params: [] },
  getAllUidCount: { kind: 'query', params: [] },
  getUidListByGroup: { kind: 'query', params: ['group'] },
  getUidCountByGroup: { kind: 'query', params: ['group'] },
  getAllGroupIdList: { kind: 'query', params: [] },
  getAllGroupUidList: { kind: 'query', params: [] },
  getAllGroupUidCount: { kind: 'query', params: [] },
  getAllGroupClientIdList: { kind: 'query', params: [] },
  getAllGroupClientIdCount: { kind: 'query', params: [] },
} as const satisfies Record<string, CallSpec> & Partial<Record<keyof GatewayApi, CallSpec>>;

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
