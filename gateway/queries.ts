import { MAX_NAME_LENGTH, type SessionData } from '../shared/commands.ts';
import { ErrorCode, SwitchboardError } from '../shared/errors.ts';
import { Query } from '../shared/queries.ts';
import type { ClientRegistry, ClientState } from './client-registry.ts';

function badArgs(q: string, what: string): never {
  throw new SwitchboardError(ErrorCode.InvalidArgument, `query ${q}: ${what}`);
}

function names(q: string, args: Record<string, unknown>, field: string): string[] {
  const value = args[field];
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string' && v.length <= MAX_NAME_LENGTH)) {
    badArgs(q, `"${field}" must be an array of strings`);
  }
  return value as string[];
}

function groupArg(q: string, args: Record<string, unknown>): string | null {
  const group = args.group ?? null;
  if (group !== null && (typeof group !== 'string' || group.length > MAX_NAME_LENGTH)) {
    badArgs(q, '"group" must be a string or null');
  }
  return group;
}

function uidsOf(clients: Iterable<ClientState>): string[] {
  const out = new Set<string>();
  for (const c of clients) if (c.uid !== null) out.add(c.uid);
  return [...out];
}

/** What one gateway answers about its own clients. Answers query `q`; throws SB_ERR_INVALID_ARGUMENT for an unknown query or malformed arguments. */
export function answerQuery(registry: ClientRegistry, q: string, args: Record<string, unknown>): unknown {
  switch (q) {
    case Query.ClientInfo: {
      const out: Record<string, { uid: string | null; session: SessionData }> = {};
      for (const id of names(q, args, 'clients')) {
        const c = registry.get(id);
        if (c) out[id] = { uid: c.uid, session: c.session };
      }
      return out;
    }
    case Query.UidClients: {
      const out: Record<string, string[]> = {};
      for (const uid of names(q, args, 'uids')) {
        const set = registry.uids.get(uid);
        if (set) out[uid] = [...set].map((c) => c.id);
      }
      return out;
    }
    case Query.ClientCount: {
      const group = groupArg(q, args);
      return group === null ? registry.clients.size : (registry.groups.get(group)?.size ?? 0);
    }
    case Query.ClientIds:
      return [...registry.members(groupArg(q, args))].map((c) => c.id);
    case Query.ClientSessions: {
      const out: Record<string, SessionData> = {};
      for (const c of registry.members(groupArg(q, args))) out[c.id] = c.session;
      return out;
    }
    case Query.Uids:
      return uidsOf(registry.members(groupArg(q, args)));
    case Query.GroupCounts: {
      const out: Record<string, number> = {};
      for (const g of names(q, args, 'groups')) out[g] = registry.groups.get(g)?.size ?? 0;
      return out;
    }
    case Query.GroupIds:
      return [...registry.groups.keys()];
    case Query.GroupClientIds: {
      const out: Record<string, string[]> = {};
      for (const [g, set] of registry.groups) out[g] = [...set].map((c) => c.id);
      return out;
    }
    case Query.GroupUids: {
      // Every group is visited: a member without a uid is skipped, not a reason to stop
      // (GatewayWorker's getAllGroupUidList stopped at the first such client).
      const out: Record<string, string[]> = {};
      for (const [g, set] of registry.groups) out[g] = uidsOf(set);
      return out;
    }
    default:
      return badArgs(q, 'unknown query');
  }
}
