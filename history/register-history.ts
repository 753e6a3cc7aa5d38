import { Cmd, type Message } from '../shared/commands.ts';
import { ErrorCode, SwitchboardError } from '../shared/errors.ts';
import type { Link } from '../shared/link.ts';
import type { HistoryStore, KeptData, Position, Recovery } from './history-store.ts';

/** @default 2000 ms: how long a history request waits for the register before SB_ERR_HISTORY_UNAVAILABLE. */
export const DEFAULT_REGISTER_HISTORY_TIMEOUT = 2000;
/** @default 10000: requests that may wait for the register at once; more fail at once (bounded, never dropped). */
export const MAX_REGISTER_HISTORY_PENDING = 10_000;

interface Pending {
  resolve(answer: Message): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
  /** The answer this request expects. */
  answer: typeof Cmd.HistoryPosition | typeof Cmd.HistoryRecovery;
}

/**
 * The embedded history (`--history memory`) as every process but the register sees it: the streams live in
 * the first register's memory, reached over this process's own link to that register. The owner of the link
 * hands it over (`attach` when it opens, `detach` when it is lost) and passes on the register's answers
 * (`receive`). Each request carries an id and waits at most `timeout` for its answer; while the register is
 * unreachable (down, not linked yet past the timeout, or of a version that keeps no history) every request
 * fails with SB_ERR_HISTORY_UNAVAILABLE. A register that restarted lost its history: its streams start new
 * epochs, so positions of before are answered "not recovered".
 */
export class RegisterHistory implements HistoryStore {
  private link: Link | null = null;
  /** Whether a link was ever attached: until then requests wait for one (a process that is starting). */
  private everAttached = false;
  private readonly waitingForLink = new Set<() => void>();
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closed = false;

  constructor(
    /** The register's address, for messages. */
    private readonly address: string,
    private readonly size: number,
    private readonly ttl: number,
    private readonly timeout = DEFAULT_REGISTER_HISTORY_TIMEOUT,
  ) {}

  /** The link to the register is open. */
  attach(link: Link): void {
    this.link = link;
    this.everAttached = true;
    for (const wake of this.waitingForLink) wake();
    this.waitingForLink.clear();
  }

  /** The link to the register is lost: what waits for an answer fails now rather than at its timeout. */
  detach(): void {
    this.link = null;
    this.failAll('the link to it was lost before it answered');
  }

  /** Takes the register's answer to one of our requests; false for any other message. */
  receive(msg: Message): boolean {
    if (msg.cmd !== Cmd.HistoryPosition && msg.cmd !== Cmd.HistoryRecovery) return false;
    const p = this.pending.get(msg.id);
    // Answered after its timeout, or not an answer of the kind asked for: nothing waits for it any more.
    if (!p || p.answer !== msg.cmd) return true;
    this.pending.delete(msg.id);
    clearTimeout(p.timer);
    p.resolve(msg);
    return true;
  }

  async append(stream: string, data: KeptData): Promise<Position> {
    const answer = await this.request(Cmd.HistoryPosition, (id) => ({
      cmd: Cmd.HistoryAppend,
      id,
      stream,
      data,
      size: this.size,
      ttl: this.ttl,
    }));
    if (answer.cmd !== Cmd.HistoryPosition) throw this.unavailable('it answered out of turn');
    return { epoch: answer.epoch, offset: answer.offset };
  }

  async read(stream: string, since: Position | null): Promise<Recovery> {
    const answer = await this.request(Cmd.HistoryRecovery, (id) => ({
      cmd: Cmd.HistoryRead,
      id,
      stream,
      epoch: since?.epoch ?? null,
      offset: since?.offset ?? 0,
      ttl: this.ttl,
    }));
    if (answer.cmd !== Cmd.HistoryRecovery) throw this.unavailable('it answered out of turn');
    return {
      recovered: answer.recovered,
      messages: answer.messages.map(([offset, data]) => ({ offset, data })),
      position: { epoch: answer.epoch, offset: answer.offset },
    };
  }

  close(): Promise<void> {
    this.closed = true;
    this.link = null;
    this.failAll('this process is stopping');
    for (const wake of this.waitingForLink) wake();
    this.waitingForLink.clear();
    return Promise.resolve();
  }

  private async request(
    answer: Pending['answer'],
    build: (id: number) => Message,
  ): Promise<Extract<Message, { cmd: Pending['answer'] }>> {
    if (this.closed) throw this.unavailable('this process is stopping');
    if (this.pending.size >= MAX_REGISTER_HISTORY_PENDING) {
      throw this.unavailable(`${MAX_REGISTER_HISTORY_PENDING} requests already wait for it`);
    }
    const deadline = Date.now() + this.timeout;
    if (!this.everAttached) await this.linkWithin(this.timeout);
    const link = this.link;
    if (!link?.isOpen) throw this.unavailable(this.everAttached ? 'it is not reachable now' : 'it did not answer');
    if (!link.peerAnswersHistory) {
      throw this.unavailable('it keeps no history (an older version): upgrade it, or use --history redis://');
    }
    const id = this.nextId++;
    if (this.nextId > Number.MAX_SAFE_INTEGER) this.nextId = 1;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => {
          this.pending.delete(id);
          reject(this.unavailable(`no answer within ${this.timeout} ms`));
        },
        Math.max(1, deadline - Date.now()),
      );
      this.pending.set(id, {
        resolve: resolve as (answer: Message) => void,
        reject,
        timer,
        answer,
      });
      link.send(build(id));
    });
  }

  /** Resolves once a link is attached, or after `ms`. */
  private linkWithin(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waitingForLink.delete(wake);
        resolve();
      }, ms);
      this.waitingForLink.add(wake);
    });
  }

  private failAll(why: string): void {
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(this.unavailable(why));
    }
    this.pending.clear();
  }

  private unavailable(why: string): SwitchboardError {
    return new SwitchboardError(
      ErrorCode.HistoryUnavailable,
      `history at register ${this.address}: ${why}; the embedded history lives in the first register of --register (check that it runs)`,
    );
  }
}
