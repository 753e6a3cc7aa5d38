import { ErrorCode, SwitchboardError } from '../shared/errors.ts';
import { checkInteger } from '../shared/options.ts';

/** A kept message's payload: a string is a text frame, bytes a binary frame (as in every send). */
export type KeptData = string | Uint8Array;

/**
 * Where a kept message sits in its stream. `epoch` names one life of the stream's history: it changes only when
 * that history is lost (expired, store restarted without persistence), so a position from another epoch can
 * never be mistaken for one of this. `offset` grows by one per message, from 1; offset 0 is "before the first".
 */
export interface Position {
  epoch: string;
  offset: number;
}

/** One kept message as the history returns it. */
export interface KeptMessage {
  offset: number;
  data: KeptData;
}

/**
 * What a read after a position found. `recovered` is false when the history no longer covers the position
 * (other epoch, trimmed past it, or a position the stream never reached): then `messages` is empty and the
 * client must reload its state. `position` is the stream's newest position, whatever was asked.
 */
export interface Recovery {
  recovered: boolean;
  messages: KeptMessage[];
  position: Position;
}

/**
 * The history of kept messages: one stream per uid and one per group (see streamOf). The sender appends (so
 * any worker, GatewayClient or the HTTP API can keep a message) before it hands the message to any gateway;
 * whoever replays reads.
 */
export interface HistoryStore {
  /** Appends `data` to `stream` and resolves with its position; rejects SB_ERR_HISTORY_UNAVAILABLE. */
  append(stream: string, data: KeptData): Promise<Position>;
  /**
   * The messages of `stream` after `since`, oldest first; with `since` null only the newest position (which
   * starts the stream's epoch if it has none yet). Rejects SB_ERR_HISTORY_UNAVAILABLE.
   */
  read(stream: string, since: Position | null): Promise<Recovery>;
  close(): Promise<void>;
}

/** The stream of a uid or of a group. A prefix keeps a uid and a group of the same name apart. */
export function streamOf(kind: 'uid' | 'group', name: string): string {
  return `${kind}:${name}`;
}

/** @default 100: how many kept messages each stream holds; older ones are trimmed. */
export const DEFAULT_HISTORY_SIZE = 100;
/** @default 300 s: a stream with no new kept message for this long loses its history (and epoch). */
export const DEFAULT_HISTORY_TTL = 300;

/** The history options of every process that keeps or replays messages. */
export interface HistoryOptions {
  /**
   * `memory` for the embedded store (one process), or `redis://HOST:PORT` for a Redis server shared by every
   * host. @default 'memory'
   */
  history?: string;
  /** Kept messages per stream. @default 100 */
  historySize?: number;
  /** Seconds a stream keeps its history after its last kept message. @default 300 */
  historyTtl?: number;
}

export type ResolvedHistoryOptions = Required<HistoryOptions>;

/** The history options with their defaults; SB_ERR_INVALID_OPTION for a value that cannot work. */
export function parseHistoryOptions(options: HistoryOptions): ResolvedHistoryOptions {
  const history = options.history ?? 'memory';
  if (history !== 'memory' && !/^redis:\/\/[^/:]+:\d+\/?$/.test(history)) {
    throw new SwitchboardError(
      ErrorCode.InvalidOption,
      `history must be "memory" or redis://HOST:PORT, got ${JSON.stringify(history)}`,
    );
  }
  return {
    history,
    historySize: checkInteger('historySize', options.historySize ?? DEFAULT_HISTORY_SIZE, 1, 1_000_000),
    historyTtl: checkInteger('historyTtl', options.historyTtl ?? DEFAULT_HISTORY_TTL, 1, 365 * 86_400),
  };
}

/** Whether two positions are the same. */
export const samePosition = (a: Position, b: Position) => a.epoch === b.epoch && a.offset === b.offset;
