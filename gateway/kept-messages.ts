import { streamOf, type HistoryStore, type Position, type ResolvedHistoryOptions } from '../history/history-store.ts';
import { MemoryHistory } from '../history/memory-history.ts';
import { RedisHistory } from '../history/redis-history.ts';
import { Cmd } from '../shared/commands.ts';
import { ErrorCode } from '../shared/errors.ts';
import type { Logger } from '../shared/logger.ts';
import type { SendCommand } from './client-commands.ts';

/** A kept send: to uids or groups, with `kept` set. */
export type KeptSend = Extract<SendCommand, { cmd: typeof Cmd.SendToUids | typeof Cmd.SendToGroups }>;

/**
 * The gateway's side of kept messages. With the embedded history (`--history memory`, the default) the gateway
 * is the store: every gateway gets every kept send and keeps it before handing it to any client. With Redis the
 * sender wrote the history and the send carries the positions; the gateway only reads it, to replay.
 */
export class KeptMessages {
  /** Where replays read from. */
  readonly store: HistoryStore;
  private readonly embedded: MemoryHistory | null;
  private warned = false;

  constructor(
    options: ResolvedHistoryOptions,
    private readonly log: Logger,
  ) {
    if (options.history === 'memory') {
      this.embedded = new MemoryHistory(options.historySize, options.historyTtl);
      this.store = this.embedded;
    } else {
      this.embedded = null;
      this.store = new RedisHistory(RedisHistory.addressOf(options.history), options.historySize, options.historyTtl);
    }
  }

  /** The streams of a uid or group send, in the order of its uids or groups. */
  static streams(msg: KeptSend): string[] {
    return msg.cmd === Cmd.SendToUids
      ? msg.uids.map((uid) => streamOf('uid', uid))
      : msg.groups.map((group) => streamOf('group', group));
  }

  /**
   * The position of a kept send in each of its streams (keeping it first, with the embedded history), or null
   * when it is not kept here: not a kept send, or one whose positions do not fit it.
   */
  positions(msg: KeptSend): Position[] | null {
    const { kept } = msg;
    if (kept == null) return null;
    const streams = KeptMessages.streams(msg);
    if (kept === true) {
      if (this.embedded) return streams.map((stream) => this.embedded!.keep(stream, msg.data));
      // A sender without --history sent it to a gateway that reads Redis: nobody wrote it there.
      this.warnOnce('a kept send came without positions: start every sender with the same --history as the gateways');
      return null;
    }
    if (kept.length !== streams.length) {
      this.warnOnce('a kept send has positions that do not match its uids or groups: it is delivered, not kept');
      return null;
    }
    if (this.embedded) {
      this.warnOnce(
        'a kept send came with positions from a shared history: start this gateway with the same --history',
      );
      return null;
    }
    return kept.map(([epoch, offset]) => ({ epoch, offset }));
  }

  close(): Promise<void> {
    return this.store.close();
  }

  private warnOnce(message: string): void {
    if (this.warned) return;
    this.warned = true;
    this.log.warn(message, { code: ErrorCode.HistoryUnavailable });
  }
}
