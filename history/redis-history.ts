import { connect, type Socket } from 'node:net';
import { ErrorCode, SwitchboardError } from '../shared/errors.ts';
import type { HistoryStore, KeptData, KeptMessage, Position, Recovery } from './history-store.ts';
import { newEpoch, recover } from './memory-history.ts';
import { encodeCommand, RespError, RespReader, type RespValue } from './resp.ts';

/** @default 2000 ms: how long a history request waits for Redis before failing with SB_ERR_HISTORY_UNAVAILABLE. */
export const DEFAULT_REDIS_TIMEOUT = 2000;
/** @default 10000: requests that may wait for Redis at once; more fail at once (a bounded queue, not a drop). */
export const MAX_REDIS_PENDING = 10_000;

// Each stream is two keys with one hash tag (so a Redis Cluster keeps them on one node): a hash with the epoch
// `e` and the newest offset `t`, and a Redis Stream whose entry ids are `offset-1`, trimmed to the size.
// Both expire together `ttl` seconds after the last append; a hash that is gone starts a new epoch.
const APPEND = `
local e = redis.call('HGET', KEYS[1], 'e')
if not e then e = ARGV[1]; redis.call('HSET', KEYS[1], 'e', e, 't', 0); redis.call('DEL', KEYS[2]) end
local t = redis.call('HINCRBY', KEYS[1], 't', 1)
redis.call('XADD', KEYS[2], 'MAXLEN', ARGV[2], t .. '-1', 'k', ARGV[4], 'd', ARGV[5])
redis.call('EXPIRE', KEYS[1], ARGV[3])
redis.call('EXPIRE', KEYS[2], ARGV[3])
return {e, t}`;

const READ = `
local e = redis.call('HGET', KEYS[1], 'e')
if not e then
  e = ARGV[1]; redis.call('HSET', KEYS[1], 'e', e, 't', 0); redis.call('DEL', KEYS[2])
  redis.call('EXPIRE', KEYS[1], ARGV[2])
end
local t = tonumber(redis.call('HGET', KEYS[1], 't'))
local since = tonumber(ARGV[4])
if e ~= ARGV[3] or since < 0 or since >= t then return {e, t, {}} end
return {e, t, redis.call('XRANGE', KEYS[2], (since + 1) .. '-1', '+')}`;

interface Pending {
  resolve(value: RespValue): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

const unavailable = (address: string, why: string, cause?: unknown) =>
  new SwitchboardError(
    ErrorCode.HistoryUnavailable,
    `history at redis://${address}: ${why}; check that Redis runs there (--history)`,
    { cause },
  );

/**
 * The history in Redis, shared by every host: one connection, commands pipelined, each append and read one Lua
 * script (atomic). The epoch a client sees is the stream's own epoch joined with the Redis server's run id, so a
 * restarted Redis (whose snapshot may be older than the last appends) never answers for positions of its former
 * run: those clients are told "not recovered". While Redis is unreachable every request fails at once with
 * SB_ERR_HISTORY_UNAVAILABLE and the next one tries to connect again.
 */
export class RedisHistory implements HistoryStore {
  private socket: Socket | null = null;
  private connecting: Promise<string> | null = null;
  private runId = '';
  private readonly waiting: Pending[] = [];
  private reader = new RespReader();
  private closed = false;

  constructor(
    private readonly address: string,
    private readonly size: number,
    private readonly ttl: number,
    private readonly timeout = DEFAULT_REDIS_TIMEOUT,
  ) {}

  /** `redis://HOST:PORT` as HOST:PORT. */
  static addressOf(url: string): string {
    return url.replace(/^redis:\/\//, '').replace(/\/$/, '');
  }

  async append(stream: string, data: KeptData): Promise<Position> {
    const runId = await this.connected();
    const binary = typeof data !== 'string';
    const reply = await this.call([
      'EVAL',
      APPEND,
      2,
      ...keys(stream),
      newEpoch(),
      this.size,
      this.ttl,
      binary ? 'b' : 's',
      data,
    ]);
    const [epoch, top] = reply as [Buffer, number];
    return { epoch: `${epoch.toString()}.${runId}`, offset: top };
  }

  async read(stream: string, since: Position | null): Promise<Recovery> {
    const runId = await this.connected();
    // Only a position of this Redis run can be covered; any other asks for nothing and is told so.
    const [own, offset] =
      since && since.epoch.endsWith(`.${runId}`) ? [since.epoch.slice(0, -runId.length - 1), since.offset] : ['', -1];
    const reply = await this.call(['EVAL', READ, 2, ...keys(stream), newEpoch(), this.ttl, own, offset]);
    const [epoch, top, entries] = reply as [Buffer, number, [Buffer, Buffer[]][]];
    const messages: KeptMessage[] = entries.map(([id, fields]) => {
      const kind = fields[1]?.toString();
      const bytes = fields[3] ?? Buffer.alloc(0);
      return {
        offset: Number(id.toString().split('-')[0]),
        data: kind === 'b' ? new Uint8Array(bytes) : bytes.toString(),
      };
    });
    return recover(`${epoch.toString()}.${runId}`, top, messages, since);
  }

  close(): Promise<void> {
    this.closed = true;
    this.fail(unavailable(this.address, 'the history was closed'));
    this.socket?.destroy();
    return Promise.resolve();
  }

  /** Connects when not connected, and resolves with the server's run id. */
  private connected(): Promise<string> {
    if (this.closed) return Promise.reject(unavailable(this.address, 'the history was closed'));
    if (this.socket && this.runId) return Promise.resolve(this.runId);
    this.connecting ??= this.open().finally(() => (this.connecting = null));
    return this.connecting;
  }

  private async open(): Promise<string> {
    const [host, port] = splitAddress(this.address);
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = connect({ host, port, noDelay: true });
      const timer = setTimeout(
        () => (s.destroy(), reject(unavailable(this.address, 'connect timed out'))),
        this.timeout,
      );
      s.once('connect', () => (clearTimeout(timer), s.removeAllListeners('error'), resolve(s)));
      s.once('error', (err) => (clearTimeout(timer), reject(unavailable(this.address, err.message, err))));
    });
    this.reader = new RespReader();
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', () => {});
    socket.on('close', () => {
      if (this.socket === socket) {
        this.socket = null;
        this.runId = '';
      }
      this.fail(unavailable(this.address, 'the connection to Redis was lost'));
    });
    const info = (await this.call(['INFO', 'server'])) as Buffer;
    const runId = /run_id:([0-9a-f]+)/.exec(info.toString())?.[1];
    if (!runId) throw unavailable(this.address, 'INFO server gave no run_id: is this Redis?');
    this.runId = runId.slice(0, 12);
    return this.runId;
  }

  private call(args: (string | number | Uint8Array)[]): Promise<RespValue> {
    const socket = this.socket;
    if (!socket) return Promise.reject(unavailable(this.address, 'not connected'));
    if (this.waiting.length >= MAX_REDIS_PENDING) {
      return Promise.reject(unavailable(this.address, `${MAX_REDIS_PENDING} requests already wait for Redis`));
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        // Replies come in order: one that is late makes every later one suspect, so start over.
        this.fail(unavailable(this.address, `no answer within ${this.timeout} ms`));
        socket.destroy();
      }, this.timeout);
      this.waiting.push({ resolve, reject, timer });
      socket.write(encodeCommand(args));
    });
  }

  private onData(chunk: Buffer): void {
    let replies: RespValue[];
    try {
      replies = this.reader.push(chunk);
    } catch (err) {
      this.fail(unavailable(this.address, 'bad reply from Redis', err));
      this.socket?.destroy();
      return;
    }
    for (const reply of replies) {
      const pending = this.waiting.shift();
      if (!pending) continue;
      clearTimeout(pending.timer);
      if (reply instanceof RespError) pending.reject(unavailable(this.address, reply.message));
      else pending.resolve(reply);
    }
  }

  private fail(err: Error): void {
    for (const pending of this.waiting.splice(0)) {
      clearTimeout(pending.timer);
      pending.reject(err);
    }
  }
}

/**
 * The two keys of a stream: its hash and its Redis Stream, under one hash tag. `%` and `}` are escaped so
 * that no stream name ends the tag early and no two names share keys.
 */
function keys(stream: string): [string, string] {
  const tag = `sb:{${stream.replaceAll('%', '%25').replaceAll('}', '%7D')}}`;
  return [`${tag}:m`, `${tag}:s`];
}

function splitAddress(address: string): [string, number] {
  const colon = address.lastIndexOf(':');
  return [address.slice(0, colon), Number(address.slice(colon + 1))];
}
