import { Cmd, MAX_NAME_LENGTH, type Payload, type SessionData } from '../shared/commands.ts';
import { ErrorCode, SwitchboardError } from '../shared/errors.ts';
import { phpSerialize, phpUnserialize } from '../shared/php-serialize.ts';
import { Query, type ClientInfo } from '../shared/queries.ts';
import type { ClientCommands } from './client-commands.ts';
import type { ClientRegistry } from './client-registry.ts';
import type { GatewayCounters } from './gateway-metrics.ts';
import { GwCmd, gwCmdName, GwFlag, type GatewayWorkerIds, type GwPacket } from './gatewayworker-protocol.ts';
import { answerQuery } from './queries.ts';

/** The serialized answer of a command GatewayClient waits on; undefined for the others. */
export type Answer = Buffer | undefined;

const utf8 = new TextDecoder('utf-8', { fatal: true });

export function protocolError(message: string): SwitchboardError {
  return new SwitchboardError(ErrorCode.NotGatewayClient, message);
}

/** A uid or group name as GatewayClient sends it (PHP may send integers); throws when it is not one. */
function nameOf(value: unknown, what: string): string {
  const text = typeof value === 'number' && Number.isFinite(value) ? String(value) : value;
  if (typeof text !== 'string' || text.length > MAX_NAME_LENGTH) {
    throw new SwitchboardError(
      ErrorCode.InvalidArgument,
      `${what} must be a string of at most ${MAX_NAME_LENGTH} characters`,
    );
  }
  return text;
}

/** The values of a JSON list or of a JSON object (PHP's json_encode writes an array with gaps as an object). */
function valuesOf(value: unknown, what: string): unknown[] {
  if (Array.isArray(value)) return value;
  if (typeof value === 'object' && value !== null) return Object.values(value);
  throw protocolError(`${what} must be a JSON array or object`);
}

export function json(bytes: Buffer, what: string): unknown {
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch {
    throw protocolError(`${what} is not JSON`);
  }
}

/** A session as PHP sent it (serialized, or empty for none) as a Switchboard session object. */
function sessionOf(bytes: Buffer): SessionData {
  if (bytes.length === 0) return {};
  const value = phpUnserialize(bytes);
  if (typeof value !== 'object' || value === null) throw protocolError('a session must be a PHP array');
  // A PHP list (['a', 'b']) arrives as a JS array: a session is keyed, so it becomes { 0: 'a', 1: 'b' }.
  return Array.isArray(value) ? { ...value } : (value as SessionData);
}

/** A session as GatewayWorker keeps it: serialized bytes, or an empty string for none. */
function storedSession(session: SessionData): Buffer | string {
  return Object.keys(session).length === 0 ? '' : phpSerialize(session);
}

/**
 * Carries out GatewayWorker-protocol commands from PHP's GatewayClient with the same `ClientCommands` and
 * `answerQuery` that serve workers, and answers each as a GatewayWorker gateway answers it. No I/O: the listener
 * reads the packets and writes the answers.
 */
export class GatewayWorkerCommands {
  constructor(
    private readonly registry: ClientRegistry,
    private readonly commands: ClientCommands,
    private readonly counters: GatewayCounters,
    private readonly ids: GatewayWorkerIds,
  ) {}

  /** The client a connection id names. */
  private clientOf(connectionId: unknown): string {
    const n = typeof connectionId === 'string' ? Number(connectionId) : connectionId;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 0xffffffff) {
      throw protocolError(`"${String(connectionId).slice(0, 40)}" is not a connection id`);
    }
    return this.ids.fromConnectionId(n);
  }

  private cid(clientId: string): number {
    return this.ids.connectionIdOf(clientId);
  }

  /** A message to clients, as the body carries it: raw bytes (text when UTF-8), or a serialized PHP value. */
  private payload(packet: GwPacket): Payload | null {
    if (packet.flag & GwFlag.BodyIsScalar) return textOrBytes(packet.body);
    const value = phpUnserialize(packet.body);
    if (value === null || value === undefined) return null;
    if (typeof value === 'string') return value;
    // GatewayWorker would hand an array to the client protocol's encoder; JSON is what a WebSocket client reads.
    return JSON.stringify(value);
  }

  private ext(packet: GwPacket, what: string): string {
    return nameOf(packet.extData.toString('utf8'), what);
  }

  private query(q: string, args: Record<string, unknown>): unknown {
    return answerQuery(this.registry, q, args);
  }

  private send(msg: Parameters<ClientCommands['send']>[0]): void {
    this.counters.sendCommands++;
    this.commands.send(msg);
  }

  /** Carries out one command; returns the serialized answer for the commands GatewayClient waits on. */
  execute(packet: GwPacket): Answer {
    const answer = (value: unknown) => phpSerialize(value);
    switch (packet.cmd) {
      case GwCmd.Ping:
        return undefined;
      case GwCmd.SendToOne: {
        const data = this.payload(packet);
        if (data !== null) this.send({ cmd: Cmd.SendToClients, clients: [this.clientOf(packet.connectionId)], data });
        return undefined;
      }
      case GwCmd.SendToAll: {
        const data = this.payload(packet);
        if (data === null) return undefined;
        const ext = packet.extData.length > 0 ? json(packet.extData, 'sendToAll ext_data') : null;
        const { connections, exclude } = (typeof ext === 'object' && ext !== null ? ext : {}) as {
          connections?: unknown;
          exclude?: unknown;
        };
        if (connections != null) {
          const clients = valuesOf(connections, 'connections').map((c) => this.clientOf(c));
          this.send({ cmd: Cmd.SendToClients, clients, data });
        } else {
          const excluded = exclude ? valuesOf(exclude, 'exclude').map((c) => this.clientOf(c)) : [];
          this.send({ cmd: Cmd.SendToAll, data, exclude: excluded });
        }
        return undefined;
      }
      case GwCmd.SendToUid: {
        const data = this.payload(packet);
        const uids = valuesOf(json(packet.extData, 'sendToUid ext_data'), 'uids').map((u) => nameOf(u, 'a uid'));
        if (data !== null) this.send({ cmd: Cmd.SendToUids, uids, data });
        return undefined;
      }
      case GwCmd.SendToGroup: {
        const data = this.payload(packet);
        const ext = json(packet.extData, 'sendToGroup ext_data') as { group?: unknown; exclude?: unknown } | null;
        const groups = valuesOf(ext?.group, 'group').map((g) => nameOf(g, 'a group'));
        const exclude = ext?.exclude ? valuesOf(ext.exclude, 'exclude').map((c) => this.clientOf(c)) : [];
        if (data !== null) this.send({ cmd: Cmd.SendToGroups, groups, data, exclude });
        return undefined;
      }
      case GwCmd.Kick: {
        const data = packet.body.length > 0 ? this.payload(packet) : null;
        const client = this.clientOf(packet.connectionId);
        this.commands.client({ cmd: Cmd.CloseClient, client, ...(data !== null && data !== '' ? { data } : {}) });
        return undefined;
      }
      case GwCmd.Destroy:
        this.commands.client({ cmd: Cmd.DestroyClient, client: this.clientOf(packet.connectionId) });
        return undefined;
      case GwCmd.BindUid:
      case GwCmd.UnbindUid:
      case GwCmd.JoinGroup:
      case GwCmd.LeaveGroup:
        this.membershipCommand(packet);
        return undefined;
      case GwCmd.Ungroup: {
        const group = this.ext(packet, 'a group');
        if (group !== '') this.registry.ungroup(group);
        return undefined;
      }
      case GwCmd.SetSession:
      case GwCmd.UpdateSession: {
        const session = sessionOf(packet.extData);
        const cmd = packet.cmd === GwCmd.SetSession ? Cmd.SetSession : Cmd.UpdateSession;
        this.commands.client({ cmd, client: this.clientOf(packet.connectionId), session });
        return undefined;
      }
      case GwCmd.IsOnline: {
        const client = this.clientOf(packet.connectionId);
        const info = this.query(Query.ClientInfo, { clients: [client] }) as Record<string, ClientInfo>;
        return answer(client in info ? 1 : 0);
      }
      case GwCmd.GetSessionByClientId: {
        const client = this.clientOf(packet.connectionId);
        const info = (this.query(Query.ClientInfo, { clients: [client] }) as Record<string, ClientInfo>)[client];
        // Not connected: null; connected: its session, an empty array when it has none.
        return answer(info ? info.session : null);
      }
      case GwCmd.GetAllClientSessions:
      case GwCmd.GetClientSessionsByGroup: {
        const group = packet.cmd === GwCmd.GetAllClientSessions ? null : this.ext(packet, 'a group');
        const sessions = this.query(Query.ClientSessions, { group }) as Record<string, SessionData>;
        const out: Record<number, Buffer | string> = {};
        for (const [id, session] of Object.entries(sessions)) out[this.cid(id)] = storedSession(session);
        return answer(out);
      }
      case GwCmd.GetClientCountByGroup: {
        const group = this.ext(packet, 'a group');
        return answer(this.query(Query.ClientCount, { group: group === '' ? null : group }));
      }
      case GwCmd.BatchGetClientCountByGroup: {
        const groups = valuesOf(json(packet.extData, 'groups'), 'groups').map((g) => nameOf(g, 'a group'));
        return answer(this.query(Query.GroupCounts, { groups }));
      }
      case GwCmd.GetClientIdByUid: {
        const uid = this.ext(packet, 'a uid');
        const clients = this.query(Query.UidClients, { uids: [uid] }) as Record<string, string[]>;
        return answer((clients[uid] ?? []).map((id) => this.cid(id)));
      }
      case GwCmd.BatchGetClientIdByUid: {
        const uids = valuesOf(json(packet.extData, 'uids'), 'uids').map((u) => nameOf(u, 'a uid'));
        const clients = this.query(Query.UidClients, { uids }) as Record<string, string[]>;
        const out: Record<string, number[]> = {};
        for (const [uid, ids] of Object.entries(clients)) out[uid] = ids.map((id) => this.cid(id));
        return answer(out);
      }
      case GwCmd.GetGroupIdList:
        return answer(this.query(Query.GroupIds, {}));
      case GwCmd.Select:
        return answer(this.select(packet));
      case GwCmd.WorkerConnect:
        throw protocolError(
          'a GatewayWorker BusinessWorker cannot join a Switchboard gateway: port its events to a Switchboard worker',
        );
      default:
        throw protocolError(`command ${gwCmdName(packet.cmd)} is not one a GatewayClient sends`);
    }
  }

  private membershipCommand(packet: GwPacket): void {
    const client = this.clientOf(packet.connectionId);
    const what = packet.cmd === GwCmd.BindUid || packet.cmd === GwCmd.UnbindUid ? 'a uid' : 'a group';
    const name = this.ext(packet, what);
    // GatewayWorker ignores an empty uid or group; so does this.
    if (name === '') return;
    switch (packet.cmd) {
      case GwCmd.BindUid:
        return this.commands.client({ cmd: Cmd.BindUid, client, uid: name });
      case GwCmd.UnbindUid:
        return this.commands.client({ cmd: Cmd.UnbindUid, client, uid: name });
      case GwCmd.JoinGroup:
        return this.commands.client({ cmd: Cmd.JoinGroup, client, group: name });
      default:
        return this.commands.client({ cmd: Cmd.LeaveGroup, client, group: name });
    }
  }

  /**
   * GatewayClient's general query: `{fields: ['uid'|'groups'|'session'...], where: {groups?, uid?,
   * connection_id?}}`, answered `{connectionId: {field: value}}` for the clients matching any condition (all
   * clients when there is none).
   */
  private select(packet: GwPacket): Record<number, Record<string, unknown>> {
    const ext = json(packet.extData, 'select ext_data') as { fields?: unknown; where?: unknown } | null;
    if (typeof ext !== 'object' || ext === null) return {};
    const fields = valuesOf(ext.fields ?? [], 'fields').map((f) => nameOf(f, 'a field'));
    const where = ext.where;
    const ids = new Set<string>();
    const conditions = typeof where === 'object' && where !== null ? Object.entries(where) : [];
    if (conditions.length === 0) {
      for (const id of this.query(Query.ClientIds, { group: null }) as string[]) ids.add(id);
    }
    for (const [key, items] of conditions) {
      const list = valuesOf(items, `where.${key}`);
      if (key === 'groups') {
        for (const g of list) {
          for (const id of this.query(Query.ClientIds, { group: nameOf(g, 'a group') }) as string[]) ids.add(id);
        }
      } else if (key === 'uid') {
        const uids = list.map((u) => nameOf(u, 'a uid'));
        for (const set of Object.values(this.query(Query.UidClients, { uids }) as Record<string, string[]>)) {
          for (const id of set) ids.add(id);
        }
      } else if (key === 'connection_id') {
        for (const c of list) ids.add(this.clientOf(c));
      } else {
        throw protocolError(`select: unknown condition "${key.slice(0, 40)}"`);
      }
    }
    const info = this.query(Query.ClientInfo, { clients: [...ids] }) as Record<string, ClientInfo>;
    const out: Record<number, Record<string, unknown>> = {};
    for (const [id, client] of Object.entries(info)) {
      const row: Record<string, unknown> = {};
      for (const field of fields) row[field] = this.field(id, client, field);
      out[this.cid(id)] = row;
    }
    return out;
  }

  private field(id: string, client: ClientInfo, field: string): unknown {
    switch (field) {
      case 'uid':
        return client.uid;
      case 'session':
        return storedSession(client.session);
      case 'groups': {
        // No query answers a client's groups; they are read where the queries read them, in the registry.
        const groups = this.registry.get(id)?.groups;
        if (!groups || groups.size === 0) return null;
        return Object.fromEntries([...groups].map((g) => [g, g]));
      }
      default:
        return null;
    }
  }
}

/** Bytes for a client: a text frame when they are UTF-8 (as GatewayWorker's WebSocket sends them), else binary. */
function textOrBytes(bytes: Buffer): Payload {
  try {
    return utf8.decode(bytes);
  } catch {
    return Buffer.from(bytes);
  }
}
