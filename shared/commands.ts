import { ErrorCode, SwitchboardError } from './errors.ts';

/**
 * The internal wire's command table. Every frame body is a msgpack map with a numeric `cmd` and the fields
 * listed in `schema` below. Numbers are part of the protocol: never reuse or renumber one.
 */
export const Cmd = {
  // Handshake and link upkeep (every internal connection).
  Hello: 1,
  Auth: 2,
  AuthOk: 3,
  Error: 4,
  Ping: 5,
  Pong: 6,
  // Register.
  GatewayAnnounce: 10,
  GatewayList: 11,
  GatewayJoined: 12,
  GatewayLeft: 13,
  // Gateway -> worker: client events.
  EvConnect: 20,
  EvMessage: 21,
  EvClose: 22,
  // Worker -> gateway: the event is handled (its session write, if any, was sent before).
  EventDone: 23,
  // Worker -> gateway: send me no new events; gateway -> worker: none of yours is left in flight.
  WorkerDraining: 24,
  WorkerDrained: 25,
  // Which uids and groups a gateway holds, for workers and clients that route sends only where members are:
  // subscribe (-> gateway); a snapshot in updates, then synced, then an update per change (gateway ->);
  // applied answers each BindUid/JoinGroup from a subscriber, after the update it caused.
  MembershipSubscribe: 26,
  MembershipUpdate: 27,
  MembershipSynced: 28,
  MembershipApplied: 29,
  // Worker/client -> gateway: commands.
  SendToClients: 30,
  SendToUids: 31,
  SendToGroups: 32,
  SendToAll: 33,
  BindUid: 34,
  UnbindUid: 35,
  JoinGroup: 36,
  LeaveGroup: 37,
  Ungroup: 38,
  SetSession: 39,
  UpdateSession: 40,
  CloseClient: 41,
  DestroyClient: 42,
  // Worker/client -> gateway: route this client's events by a key (null: back to sticky per client).
  SetRouteKey: 43,
  // Queries and their answers.
  Query: 50,
  QueryResult: 51,
  QueryError: 52,
  // Worker/client/gateway -> register: the embedded history (`--history memory`), held by the first register.
  // Each request has an id; the register answers it with HistoryPosition or HistoryRecovery of the same id.
  HistoryAppend: 60,
  HistoryPosition: 61,
  HistoryRead: 62,
  HistoryRecovery: 63,
} as const;

export type Cmd = (typeof Cmd)[keyof typeof Cmd];

/** @default 1024: the longest client id, uid or group name accepted on the wire. */
export const MAX_NAME_LENGTH = 1024;

/**
 * Field kinds: `name` a string of at most MAX_NAME_LENGTH, `names` an array of them, `text` any string,
 * `bytes` binary, `data` a client payload (string = text frame, bytes = binary frame), `map` a plain object,
 * `int` an integer, `any` anything; a `?` suffix also allows null (or the field being absent).
 */
type FieldKind =
  | 'name'
  | 'names'
  | 'text'
  | 'bytes'
  | 'data'
  | 'map'
  | 'int'
  | 'bool'
  | 'any'
  | 'name?'
  | 'data?'
  | 'int?'
  | 'kept?'
  | 'entries';

/**
 * The version of the history commands (HistoryAppend ...) a register answers, announced in its AuthOk
 * (`history`); a register of an older version announces none and is never sent them.
 */
export const HISTORY_VERSION = 1;

/** Kept messages as a register returns them: `[offset, data]`, oldest first. */
export type HistoryEntries = [offset: number, data: Payload][];

/**
 * A kept send's positions: one `[epoch, offset]` per uid or group of the send, in its order, given by the sender
 * that wrote the history. `true` comes only from senders of an older version, which left keeping to each
 * gateway; a gateway of this version delivers such a send without keeping it (and logs a warning once).
 */
export type KeptPositions = true | [epoch: string, offset: number][];

/** Client payload: a string is sent as a text frame, bytes as a binary frame. */
export type Payload = string | Uint8Array;
export type SessionData = Record<string, unknown>;

/** The HTTP upgrade request of a client, as a worker sees it in onConnect (`ctx.request`). */
export interface ClientRequest {
  /** Path and query string, e.g. `/chat?token=abc`; empty for TCP clients. */
  url: string;
  /** The query string parsed, e.g. `{ token: 'abc' }`; empty for TCP clients. */
  query: Record<string, string>;
  /** The upgrade request's headers; empty for TCP clients. */
  headers: Record<string, string | string[] | undefined>;
  /** The client's address as the gateway sees it (behind a proxy, read X-Forwarded-For from headers). */
  ip: string;
  port: number;
  /**
   * The client's id in GatewayWorker's form (20 hex digits), for PHP back ends that use GatewayClient; only when
   * the gateway serves GatewayWorker's protocol (`--gatewayworker-port`).
   */
  gatewayWorkerClientId?: string;
  /**
   * What the client speaks: `websocket`, `text`, `frame` or the name of the gateway's protocol module (set by
   * every gateway of this version; absent from older ones).
   */
  protocol?: string;
}

type KindType = {
  name: string;
  names: string[];
  text: string;
  bytes: Uint8Array;
  data: Payload;
  map: Record<string, unknown>;
  int: number;
  bool: boolean;
  any: unknown;
  'name?': string | null;
  'data?': Payload | null;
  'int?': number | null;
  'kept?': KeptPositions | null;
  entries: HistoryEntries;
};

const schema = {
  [Cmd.Hello]: { nonce: 'bytes', role: 'name' },
  // `compact`: the version of the compact layout (frame-compact.ts) the sender reads; absent from older peers,
  // which are then sent msgpack maps only.
  [Cmd.Auth]: { role: 'name', name: 'text', nonce: 'bytes', proof: 'bytes', compact: 'int?' },
  // `history`: the HISTORY_VERSION a register answers (absent from other servers and older registers).
  [Cmd.AuthOk]: { proof: 'bytes', compact: 'int?', history: 'int?' },
  [Cmd.Error]: { code: 'name', message: 'text' },
  [Cmd.Ping]: {},
  [Cmd.Pong]: {},
  // `gatewayWorker`: the gateway's GatewayWorker-protocol address (`--gatewayworker-port`), when it has one.
  [Cmd.GatewayAnnounce]: { address: 'name', gatewayWorker: 'name?' },
  [Cmd.GatewayList]: { addresses: 'names' },
  [Cmd.GatewayJoined]: { address: 'name' },
  [Cmd.GatewayLeft]: { address: 'name' },
  // Every event carries the client's address and route key, so any worker that takes it can show them in ctx.
  [Cmd.EvConnect]: { client: 'name', session: 'map', request: 'map', routeKey: 'name?' },
  [Cmd.EvMessage]: {
    client: 'name',
    uid: 'name?',
    session: 'map',
    data: 'data',
    ip: 'name?',
    port: 'int?',
    routeKey: 'name?',
    // Events of this client sent before this one and not yet done (absent: none). The worker then gives the
    // handler the session, uid and route key the earlier handlers left, not the ones carried here.
    ahead: 'int?',
  },
  [Cmd.EvClose]: {
    client: 'name',
    uid: 'name?',
    session: 'map',
    ip: 'name?',
    port: 'int?',
    routeKey: 'name?',
    ahead: 'int?',
  },
  [Cmd.EventDone]: { client: 'name' },
  [Cmd.WorkerDraining]: {},
  [Cmd.WorkerDrained]: {},
  [Cmd.MembershipSubscribe]: {},
  [Cmd.MembershipUpdate]: { uids: 'names', uidsGone: 'names', groups: 'names', groupsGone: 'names' },
  [Cmd.MembershipSynced]: {},
  [Cmd.MembershipApplied]: {},
  // `id`, when present, asks the gateway to answer with a QueryResult whose value is the number of clients
  // the data was handed to.
  [Cmd.SendToClients]: { clients: 'names', data: 'data', id: 'int?' },
  // `kept`: the send is a kept message (see KeptPositions); a gateway of an older version ignores it.
  [Cmd.SendToUids]: { uids: 'names', data: 'data', id: 'int?', kept: 'kept?' },
  [Cmd.SendToGroups]: { groups: 'names', data: 'data', exclude: 'names', id: 'int?', kept: 'kept?' },
  [Cmd.SendToAll]: { data: 'data', exclude: 'names', id: 'int?' },
  [Cmd.BindUid]: { client: 'name', uid: 'name' },
  [Cmd.UnbindUid]: { client: 'name', uid: 'name' },
  [Cmd.JoinGroup]: { client: 'name', group: 'name' },
  [Cmd.LeaveGroup]: { client: 'name', group: 'name' },
  [Cmd.Ungroup]: { group: 'name' },
  [Cmd.SetSession]: { client: 'name', session: 'map' },
  [Cmd.UpdateSession]: { client: 'name', session: 'map' },
  [Cmd.CloseClient]: { client: 'name', data: 'data?' },
  [Cmd.DestroyClient]: { client: 'name' },
  [Cmd.SetRouteKey]: { client: 'name', key: 'name?' },
  [Cmd.Query]: { id: 'int', q: 'name', args: 'map' },
  [Cmd.QueryResult]: { id: 'int', value: 'any' },
  [Cmd.QueryError]: { id: 'int', code: 'name', message: 'text' },
  // `size` and `ttl` are the sender's --history-size and --history-ttl (seconds), as they are Redis's arguments.
  [Cmd.HistoryAppend]: { id: 'int', stream: 'name', data: 'data', size: 'int', ttl: 'int' },
  [Cmd.HistoryPosition]: { id: 'int', epoch: 'name', offset: 'int' },
  // `epoch` null: no position (the answer is the stream's newest one); else read after `offset` of `epoch`.
  [Cmd.HistoryRead]: { id: 'int', stream: 'name', epoch: 'name?', offset: 'int', ttl: 'int' },
  [Cmd.HistoryRecovery]: { id: 'int', recovered: 'bool', epoch: 'name', offset: 'int', messages: 'entries' },
} as const satisfies Record<Cmd, Record<string, FieldKind>>;

type Schema = typeof schema;

type Required<S> = { -readonly [K in keyof S as S[K] extends `${string}?` ? never : K]: KindType[S[K] & FieldKind] };
type Optional<S> = { -readonly [K in keyof S as S[K] extends `${string}?` ? K : never]?: KindType[S[K] & FieldKind] };

/** The message whose `cmd` is C, with its fields typed from the schema (`?` kinds may be left out). */
export type MessageOf<C extends Cmd> = { cmd: C } & Required<Schema[C]> & Optional<Schema[C]>;

/** Any internal message: a union keyed on `cmd`, so a `switch (msg.cmd)` narrows it. */
export type Message = { [C in Cmd]: MessageOf<C> }[Cmd];

const names = Object.fromEntries(Object.entries(Cmd).map(([k, v]) => [v, k])) as Record<number, string>;

/** The command's name for logs, e.g. `BindUid`. */
export function cmdName(cmd: number): string {
  return names[cmd] ?? `unknown(${cmd})`;
}

/** A map as msgpack decodes it: an object that is neither an array nor bytes. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
}

/**
 * @default 64: how deeply maps and arrays may nest inside a map field (a session, a request, query arguments).
 * Deeper values decode, but encoding them again (to send a session with the next event) would overflow the
 * stack, so they are refused on arrival as a bad frame.
 */
export const MAX_NESTING = 64;

/** Whether `value` nests maps and arrays at most `levels` deep (bytes and scalars are leaves). */
export function nestsAtMost(value: unknown, levels = MAX_NESTING): boolean {
  if (typeof value !== 'object' || value === null || value instanceof Uint8Array) return true;
  if (levels === 0) return false;
  for (const item of Array.isArray(value) ? value : Object.values(value)) {
    if (!nestsAtMost(item, levels - 1)) return false;
  }
  return true;
}

const isName = (v: unknown) => typeof v === 'string' && v.length <= MAX_NAME_LENGTH;
const isData = (v: unknown) => typeof v === 'string' || v instanceof Uint8Array;

function fits(kind: FieldKind, value: unknown): boolean {
  switch (kind) {
    case 'name':
      return isName(value);
    case 'names':
      return Array.isArray(value) && value.every(isName);
    case 'text':
      return typeof value === 'string';
    case 'bytes':
      return value instanceof Uint8Array;
    case 'data':
      return isData(value);
    case 'map':
      return isPlainObject(value) && nestsAtMost(value, MAX_NESTING);
    case 'int':
      return Number.isSafeInteger(value);
    case 'bool':
      return typeof value === 'boolean';
    case 'any':
      return true;
    case 'name?':
      return value == null || isName(value);
    case 'data?':
      return value == null || isData(value);
    case 'int?':
      return value == null || Number.isSafeInteger(value);
    case 'kept?':
      return (
        value == null ||
        value === true ||
        (Array.isArray(value) &&
          value.every((p) => Array.isArray(p) && p.length === 2 && isName(p[0]) && Number.isSafeInteger(p[1])))
      );
    case 'entries':
      return (
        Array.isArray(value) &&
        value.every((e) => Array.isArray(e) && e.length === 2 && Number.isSafeInteger(e[0]) && isData(e[1]))
      );
  }
}

/** Each command's fields as a list, computed once: parseMessage runs for every frame. */
const fieldLists: Record<number, [string, FieldKind][]> = Object.fromEntries(
  Object.entries(schema).map(([cmd, fields]) => [cmd, Object.entries(fields as Record<string, FieldKind>)]),
);

/**
 * Checks a decoded frame body against the command table and returns it typed. Throws SB_ERR_BAD_FRAME
 * naming the command and field, so a peer's bug shows up as one clear log line.
 */
export function parseMessage(value: unknown): Message {
  if (!isPlainObject(value) || typeof value.cmd !== 'number') {
    throw new SwitchboardError(ErrorCode.BadFrame, 'frame is not a map with a numeric "cmd"');
  }
  const fields = fieldLists[value.cmd];
  if (!fields) throw new SwitchboardError(ErrorCode.BadFrame, `unknown command ${value.cmd}`);
  for (const [field, kind] of fields) {
    if (!fits(kind, value[field])) {
      throw new SwitchboardError(
        ErrorCode.BadFrame,
        `${cmdName(value.cmd)}: field "${field}" must be ${kind.replace('?', ' or null')}`,
      );
    }
  }
  return value as unknown as Message;
}
