/**
 * What one gateway answers about its own clients. Business workers ask every gateway (or the one owning a
 * client id) and merge the answers; see business/gateway-api.ts; the gateway answers in gateway/queries.ts. Names are part of the wire protocol.
 */
export const Query = {
  /** `{ clients }` -> `{ [clientId]: { uid, session } }` for those of them connected here. */
  ClientInfo: 'clientInfo',
  /** `{ uids }` -> `{ [uid]: clientId[] }` for the uids bound here. */
  UidClients: 'uidClients',
  /** `{ group }` -> number of clients (of the group, or all when group is null). */
  ClientCount: 'clientCount',
  /** `{ group }` -> clientId[]. */
  ClientIds: 'clientIds',
  /** `{ group }` -> `{ [clientId]: session }`. */
  ClientSessions: 'clientSessions',
  /** `{ group }` -> distinct uids bound here. */
  Uids: 'uids',
  /** `{ groups }` -> `{ [group]: count }`. */
  GroupCounts: 'groupCounts',
  /** `{}` -> group ids that have members here. */
  GroupIds: 'groupIds',
  /** `{}` -> `{ [group]: clientId[] }`. */
  GroupClientIds: 'groupClientIds',
  /** `{}` -> `{ [group]: uid[] }` (distinct). */
  GroupUids: 'groupUids',
} as const;

export type QueryName = (typeof Query)[keyof typeof Query];
