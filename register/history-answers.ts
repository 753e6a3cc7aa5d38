import { DEFAULT_HISTORY_SIZE, DEFAULT_HISTORY_TTL } from '../history/history-store.ts';
import { MemoryHistory } from '../history/memory-history.ts';
import { Cmd, type HistoryEntries, type Message } from '../shared/commands.ts';
import { ErrorCode, SwitchboardError } from '../shared/errors.ts';
import type { Link } from '../shared/link.ts';

/** The largest `size` (kept messages per stream) and `ttl` (seconds) a request may ask for, as on the CLI. */
const MAX_SIZE = 1_000_000;
const MAX_TTL = 365 * 86_400;

/** A history command sent to a register. */
export type HistoryRequest = Extract<Message, { cmd: typeof Cmd.HistoryAppend | typeof Cmd.HistoryRead }>;

export function isHistoryRequest(msg: Message): msg is HistoryRequest {
  return msg.cmd === Cmd.HistoryAppend || msg.cmd === Cmd.HistoryRead;
}

/**
 * The embedded history (`--history memory`), held by the register: every sender appends to it and every
 * gateway reads from it over its register link, so a gateway that restarts, or a client that moves to another
 * gateway of the same cluster, still finds what was kept. It lives in this process's memory: a register that
 * restarts starts every stream again with a new epoch, and clients are told "not recovered".
 */
export class HistoryAnswers {
  private readonly history = new MemoryHistory(DEFAULT_HISTORY_SIZE, DEFAULT_HISTORY_TTL);

  /**
   * @param maxAnswerBytes a read whose messages exceed this is answered "not recovered" rather than with a
   *   frame the reader would refuse (the peers' --max-frame-size)
   */
  constructor(private readonly maxAnswerBytes: number) {}

  /** How many streams are held. */
  get streamCount(): number {
    return this.history.streamCount;
  }

  /** Answers one request on the link it came from; SB_ERR_BAD_FRAME for limits out of range. */
  answer(link: Link, msg: HistoryRequest): void {
    checkRange(msg.cmd, 'ttl', msg.ttl, MAX_TTL);
    if (msg.cmd === Cmd.HistoryAppend) {
      checkRange(msg.cmd, 'size', msg.size, MAX_SIZE);
      const position = this.history.keep(msg.stream, msg.data, msg.size, msg.ttl);
      link.send({ cmd: Cmd.HistoryPosition, id: msg.id, ...position });
      return;
    }
    const since = msg.epoch === null || msg.epoch === undefined ? null : { epoch: msg.epoch, offset: msg.offset };
    const recovery = this.history.readNow(msg.stream, since, msg.ttl);
    let bytes = 0;
    const messages: HistoryEntries = [];
    for (const m of recovery.messages) {
      bytes += 16 + (typeof m.data === 'string' ? Buffer.byteLength(m.data) : m.data.byteLength);
      messages.push([m.offset, m.data]);
    }
    const fits = bytes <= this.maxAnswerBytes;
    link.send({
      cmd: Cmd.HistoryRecovery,
      id: msg.id,
      recovered: recovery.recovered && fits,
      ...recovery.position,
      messages: fits ? messages : [],
    });
  }

  close(): void {
    void this.history.close();
  }
}

function checkRange(cmd: number, field: string, value: number, max: number): void {
  if (value < 1 || value > max) {
    throw new SwitchboardError(
      ErrorCode.BadFrame,
      `history command ${cmd}: "${field}" must be from 1 to ${max}, got ${value}`,
    );
  }
}
