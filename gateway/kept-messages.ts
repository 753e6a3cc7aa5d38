import { streamOf, type HistoryStore, type Position, type ResolvedHistoryOptions } from '../history/history-store.ts';
import { RedisHistory } from '../history/redis-history.ts';
import { RegisterHistory } from '../history/register-history.ts';
import { Cmd, type Message } from '../shared/commands.ts';
import { ErrorCode } from '../shared/errors.ts';
import { formatHostPort, type HostPort } from '../shared/address.ts';
import type { Link } from '../shared/link.ts';
import type { Logger } from '../shared/logger.ts';
import type { SendCommand } from './client-commands.ts';

/** A kept send: to uids or groups, with `kept` set. */
export type KeptSend = Extract<SendCommand, { cmd: typeof Cmd.SendToUids | typeof Cmd.SendToGroups }>;

/**
 * The gateway's side of kept messages. The sender wrote the history (Redis, or the embedded history held by the
 * first register) and the send carries the positions; the gateway only reads the history, to replay on bind or
 * join. With the embedded history it reads over its link to the first register, which the gateway server hands
 * over (`registerOpened`, `registerLost`, `fromRegister`).
 */
export class KeptMessages {
  /** Where replays read from. */
  readonly store: HistoryStore;
  private readonly embedded: RegisterHistory | null;
  private warned = false;

  constructor(
    options: ResolvedHistoryOptions & { registers: readonly HostPort[] },
    private readonly log: Logger,
  ) {
    if (options.history === 'memory') {
      const first = options.registers[0];
      this.embedded = new RegisterHistory(
        first ? formatHostPort(first) : 'none',
        options.historySize,
        options.historyTtl,
      );
      this.store = this.embedded;
    } else {
      this.embedded = null;
      this.store = new RedisHistory(RedisHistory.addressOf(options.history), options.historySize, options.historyTtl);
    }
  }

  /** The link to the first register opened: with the embedded history, replays read over it. */
  registerOpened(link: Link): void {
    this.embedded?.attach(link);
  }

  /** The link to the first register was lost. */
  registerLost(): void {
    this.embedded?.detach();
  }

  /** A message from the first register: true when it was the answer to a history read. */
  fromRegister(msg: Message): boolean {
    return this.embedded?.receive(msg) ?? false;
  }

  /** The streams of a uid or group send, in the order of its uids or groups. */
  static streams(msg: KeptSend): string[] {
    return msg.cmd === Cmd.SendToUids
      ? msg.uids.map((uid) => streamOf('uid', uid))
      : msg.groups.map((group) => streamOf('group', group));
  }

  /**
   * The position of a kept send in each of its streams, or null when it is not kept here: not a kept send, or
   * one whose positions do not fit it.
   */
  positions(msg: KeptSend): Position[] | null {
    const { kept } = msg;
    if (kept == null) return null;
    if (kept === true) {
      // A sender of an older version, which left keeping to each gateway: nobody wrote it to the history.
      this.warnOnce('a kept send came without positions: upgrade its sender, which must write the history first');
      return null;
    }
    if (kept.length !== KeptMessages.streams(msg).length) {
      this.warnOnce('a kept send has positions that do not match its uids or groups: it is delivered, not kept');
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
