import { MAX_NAME_LENGTH, type SessionData } from './commands.ts';
import { ErrorCode, SwitchboardError } from './errors.ts';

/**
 * What one gateway answers about its own clients, carried by the Query command (`{ id, q, args }`) and
 * answered by a QueryResult (`{ id, value }`). Callers ask every gateway (or the one owning a client id) and
 * merge the answers (gateway-api/gateway-api.ts); the gateway answers in gateway/queries.ts. Names are part of
 * the wire protocol.
 */
export const Query = {
  ClientInfo: 'clientInfo',
  UidClients: 'uidClients',
  ClientCount: 'clientCount',
  ClientIds: 'clientIds',
  ClientSessions: 'clientSessions',
  Uids: 'uids',
  GroupCounts: 'groupCounts',
  GroupIds: 'groupIds',
  GroupClientIds: 'groupClientIds',
  GroupUids: 'groupUids',
} as const;

export type QueryName = (typeof Query)[keyof typeof Query];

/** What a gateway knows of one of its clients. */
export interface ClientInfo {
  uid: string | null;
  session: SessionData;
}

/**
 * Argument kinds: `names` an array of names (at most MAX_NAME_LENGTH each); `groups?` a name, an array of
 * names, or null or absent.
 */
type ArgKind = 'names' | 'groups?';

type ArgType = { names: string[]; 'groups?': string | string[] | null };

/**
 * Result shapes: `count` an integer, `names` an array of names, `nameLists` `{ [key]: name[] }`, `counts`
 * `{ [key]: integer }`, `sessions` `{ [clientId]: session }`, `clientInfo` `{ [clientId]: ClientInfo }`.
 */
export type ResultShape = 'count' | 'names' | 'nameLists' | 'counts' | 'sessions' | 'clientInfo';

/** The value of each result shape. */
export type ShapeType = {
  count: number;
  names: string[];
  nameLists: Record<string, string[]>;
  counts: Record<string, number>;
  sessions: Record<string, SessionData>;
  clientInfo: Record<string, ClientInfo>;
};

/** Each query's arguments and the shape of one gateway's answer. */
const schema = {
  /** The clients among `clients` that are connected here. */
  [Query.ClientInfo]: { args: { clients: 'names' }, result: 'clientInfo' },
  /** The clients of each uid among `uids` bound here (uids with none are left out). */
  [Query.UidClients]: { args: { uids: 'names' }, result: 'nameLists' },
  // `group`: one group, or several (a client in two of them is counted once), or null for every client.
  /** The number of clients (of the group(s), or all when group is null). */
  [Query.ClientCount]: { args: { group: 'groups?' }, result: 'count' },
  /** The client ids (of the group(s), or all). */
  [Query.ClientIds]: { args: { group: 'groups?' }, result: 'names' },
  /** `{ [clientId]: session }` (of the group(s), or all). */
  [Query.ClientSessions]: { args: { group: 'groups?' }, result: 'sessions' },
  /** The distinct uids bound here (of the group(s)' members, or all). */
  [Query.Uids]: { args: { group: 'groups?' }, result: 'names' },
  /** `{ [group]: number of members }` for each of `groups`. */
  [Query.GroupCounts]: { args: { groups: 'names' }, result: 'counts' },
  /** The groups that have members here. */
  [Query.GroupIds]: { args: {}, result: 'names' },
  /** `{ [group]: clientId[] }` for every group. */
  [Query.GroupClientIds]: { args: {}, result: 'nameLists' },
  /** `{ [group]: uid[] }` (distinct) for every group. */
  [Query.GroupUids]: { args: {}, result: 'nameLists' },
} as const satisfies Record<QueryName, { args: Record<string, ArgKind>; result: ResultShape }>;

type Schema = typeof schema;

type ArgsOf<A> = { -readonly [F in keyof A]: ArgType[A[F] & ArgKind] };
type ArgsMap = { [Q in QueryName]: ArgsOf<Schema[Q]['args']> };
type ResultMap = { [Q in QueryName]: ShapeType[Schema[Q]['result']] };

/** The arguments of query Q, as sent and as the gateway's answer gets them (absent `name?` become null). */
export type QueryArgs<Q extends QueryName> = ArgsMap[Q];
/** One gateway's answer to query Q. */
export type QueryResult<Q extends QueryName> = ResultMap[Q];

const isName = (v: unknown): v is string => typeof v === 'string' && v.length <= MAX_NAME_LENGTH;
const isNames = (v: unknown): v is string[] => Array.isArray(v) && v.every(isName);
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

function isMap(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
}

function isMapOf(value: unknown, each: (v: unknown) => boolean): boolean {
  if (!isMap(value)) return false;
  for (const key in value) if (!each(value[key])) return false;
  return true;
}

const isClientInfo = (v: unknown) => isMap(v) && (v.uid === null || isName(v.uid)) && isMap(v.session);

const shapeChecks: Record<ResultShape, (value: unknown) => boolean> = {
  count: isCount,
  names: isNames,
  nameLists: (v) => isMapOf(v, isNames),
  counts: (v) => isMapOf(v, isCount),
  sessions: (v) => isMapOf(v, isMap),
  clientInfo: (v) => isMapOf(v, isClientInfo),
};

/** True when `value` has the result shape `shape`: what a caller checks a gateway's answer with. */
export function fitsShape<S extends ResultShape>(shape: S, value: unknown): value is ShapeType[S] {
  return shapeChecks[shape](value);
}

/** True when `q` names a query. */
export function isQueryName(q: unknown): q is QueryName {
  return typeof q === 'string' && Object.hasOwn(schema, q);
}

/** Each query's argument fields as a list, computed once. */
const argLists = Object.fromEntries(
  Object.entries(schema).map(([q, { args }]) => [q, Object.entries(args as Record<string, ArgKind>)]),
) as Record<QueryName, [string, ArgKind][]>;

/**
 * Checks the arguments of query `q` as they arrived and returns them typed (fields the query does not take
 * are left out; an absent `name?` is null). Throws SB_ERR_INVALID_ARGUMENT naming the query and field.
 */
export function parseQueryArgs<Q extends QueryName>(q: Q, args: Record<string, unknown>): QueryArgs<Q> {
  const out: Record<string, unknown> = {};
  for (const [field, kind] of argLists[q]) {
    const value = args[field] ?? null;
    const ok = kind === 'names' ? isNames(value) : value === null || isName(value) || isNames(value);
    if (!ok) {
      throw new SwitchboardError(
        ErrorCode.InvalidArgument,
        `query ${q}: "${field}" must be ${kind === 'names' ? 'an array of strings' : 'a string, an array of strings or null'}`,
      );
    }
    out[field] = value;
  }
  // Every field of QueryArgs<Q> was checked against its kind just above.
  return out as QueryArgs<Q>;
}

/** True when `value` is a well-formed answer of one gateway to query `q`: what a caller checks answers with. */
export function isResultOf<Q extends QueryName>(q: Q, value: unknown): value is QueryResult<Q> {
  return shapeChecks[schema[q].result](value);
}
