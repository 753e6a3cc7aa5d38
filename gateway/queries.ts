import type { SessionData } from '../shared/commands.ts';
import { ErrorCode, SwitchboardError } from '../shared/errors.ts';
import {
  isQueryName,
  parseQueryArgs,
  Query,
  type ClientInfo,
  type QueryArgs,
  type QueryName,
  type QueryResult,
} from '../shared/queries.ts';
import type { ClientRegistry, ClientState } from './client-registry.ts';

function uidsOf(clients: Iterable<ClientState>): string[] {
  const out = new Set<string>();
  for (const c of clients) if (c.uid !== null) out.add(c.uid);
  return [...out];
}

/** The clients of one group, of several (each client once), or every client when `group` is null. */
function membersOf(registry: ClientRegistry, group: string | string[] | null): Iterable<ClientState> {
  if (!Array.isArray(group)) return registry.members(group);
  if (group.length === 1) return registry.members(group[0]!);
  const out = new Set<ClientState>();
  for (const g of group) for (const c of registry.members(g)) out.add(c);
  return out;
}

function countOf(registry: ClientRegistry, group: string | string[] | null): number {
  if (group === null) return registry.clients.size;
  if (!Array.isArray(group)) return registry.groups.get(group)?.size ?? 0;
  let n = 0;
  for (const _ of membersOf(registry, group)) n++;
  return n;
}

type Answers = { [Q in QueryName]: (registry: ClientRegistry, args: QueryArgs<Q>) => QueryResult<Q> };

/** How this gateway answers each query (arguments and results as declared in shared/queries.ts). */
const answers: Answers = {
  [Query.ClientInfo]: (registry, { clients }) => {
    const out: Record<string, ClientInfo> = {};
    for (const id of clients) {
      const c = registry.get(id);
      if (c) out[id] = { uid: c.uid, session: c.session };
    }
    return out;
  },
  [Query.UidClients]: (registry, { uids }) => {
    const out: Record<string, string[]> = {};
    for (const uid of uids) {
      const set = registry.uids.get(uid);
      if (set) out[uid] = [...set].map((c) => c.id);
    }
    return out;
  },
  [Query.ClientCount]: (registry, { group }) => countOf(registry, group),
  [Query.ClientIds]: (registry, { group }) => [...membersOf(registry, group)].map((c) => c.id),
  [Query.ClientSessions]: (registry, { group }) => {
    const out: Record<string, SessionData> = {};
    for (const c of membersOf(registry, group)) out[c.id] = c.session;
    return out;
  },
  [Query.Uids]: (registry, { group }) => uidsOf(membersOf(registry, group)),
  [Query.GroupCounts]: (registry, { groups }) => {
    const out: Record<string, number> = {};
    for (const g of groups) out[g] = registry.groups.get(g)?.size ?? 0;
    return out;
  },
  [Query.GroupIds]: (registry) => [...registry.groups.keys()],
  [Query.GroupClientIds]: (registry) => {
    const out: Record<string, string[]> = {};
    for (const [g, set] of registry.groups) out[g] = [...set].map((c) => c.id);
    return out;
  },
  [Query.GroupUids]: (registry) => {
    // Every group is visited: a member without a uid is skipped, not a reason to stop
    // (GatewayWorker's getAllGroupUidList stopped at the first such client).
    const out: Record<string, string[]> = {};
    for (const [g, set] of registry.groups) out[g] = uidsOf(set);
    return out;
  },
};

function answer<Q extends QueryName>(registry: ClientRegistry, q: Q, args: Record<string, unknown>): QueryResult<Q> {
  return answers[q](registry, parseQueryArgs(q, args));
}

/**
 * What one gateway answers about its own clients: query `q` with `args` as they came off the wire, checked
 * against the query table first. Throws SB_ERR_INVALID_ARGUMENT for an unknown query or malformed arguments.
 */
export function answerQuery(registry: ClientRegistry, q: string, args: Record<string, unknown>): unknown {
  if (!isQueryName(q)) throw new SwitchboardError(ErrorCode.InvalidArgument, `query ${q}: unknown query`);
  return answer(registry, q, args);
}
