import type { Position } from '../history/history-store.ts';
import type { Payload } from '../shared/commands.ts';
import type { Logger } from '../shared/logger.ts';
import type { ClientState } from './client-registry.ts';
import { prepareFrame, type PreparedFrame } from './prepared-frame.ts';
import type { KeptMessages } from './kept-messages.ts';

/**
 * The WebSocket subprotocol a client offers to get kept messages with their positions, and to be replayed what
 * it missed. A client that does not offer it gets exactly what it got before kept messages existed.
 */
export const RECOVERY_PROTOCOL = 'switchboard.v1';
/** Prefix of the subprotocol that carries a client's last positions: base64url of `{stream: [epoch, offset]}`. */
export const POSITIONS_PROTOCOL_PREFIX = 'switchboard.pos.';

// Every message to a recovering client starts with a tag: text frames with a character, binary ones with a byte.
const TAG_DATA = '0';
const TAG_KEPT = '1';
const TAG_EVENT = '2';

/** What the gateway keeps per recovering client: the positions it came with, and each stream's progress. */
export class ClientKept {
  /** Its stream, in order: the last position handed to the client, or null when not known. */
  readonly streams = new Map<string, StreamProgress>();
  constructor(
    /** The positions the client reconnected with, read on the first bind or join of each stream. */
    readonly given: Map<string, Position>,
  ) {}
}

interface StreamProgress {
  last: Position | null;
  /** A read of the history is under way: live kept messages wait here, in arrival order. */
  waiting: { position: Position; data: Payload }[] | null;
}

/** Read through a call, so that the compiler does not assume a field it saw set to null stays null. */
const waitingOf = (progress: StreamProgress) => progress.waiting;

/** The positions a client offered in its subprotocols; an unreadable offer counts as none. */
export function offeredPositions(protocols: Iterable<string>): Map<string, Position> {
  const out = new Map<string, Position>();
  for (const protocol of protocols) {
    if (!protocol.startsWith(POSITIONS_PROTOCOL_PREFIX)) continue;
    try {
      const json = Buffer.from(protocol.slice(POSITIONS_PROTOCOL_PREFIX.length), 'base64url').toString();
      const value: unknown = JSON.parse(json);
      if (typeof value !== 'object' || value === null) continue;
      for (const [stream, p] of Object.entries(value)) {
        if (Array.isArray(p) && typeof p[0] === 'string' && Number.isSafeInteger(p[1]) && p[1] >= 0) {
          out.set(stream, { epoch: p[0], offset: p[1] as number });
        }
      }
    } catch {
      // Not base64url JSON: the client gets no recovery, as if it had offered no positions.
    }
  }
  return out;
}

/** A data message for a recovering client: tagged so its library tells data, kept data and events apart. */
export function tagged(data: Payload): PreparedFrame {
  if (typeof data === 'string') return prepareFrame(TAG_DATA + data);
  const out = new Uint8Array(data.length + 1);
  out[0] = 0;
  out.set(data, 1);
  return prepareFrame(out);
}

function keptFrame(stream: string, position: Position, data: Payload): PreparedFrame {
  const header = JSON.stringify([stream, position.epoch, position.offset]);
  if (typeof data === 'string') return prepareFrame(`${TAG_KEPT}${header}\n${data}`);
  const head = Buffer.from(header);
  const out = new Uint8Array(3 + head.length + data.length);
  out[0] = 1;
  out[1] = head.length >> 8;
  out[2] = head.length & 0xff;
  out.set(head, 3);
  out.set(data, 3 + head.length);
  return prepareFrame(out);
}

function eventFrame(event: Record<string, unknown>): PreparedFrame {
  return prepareFrame(TAG_EVENT + JSON.stringify(event));
}

/**
 * Hands kept messages to recovering clients in order and exactly once per stream, with no gap: on bind or join
 * the history after the client's position is replayed first while live kept messages of that stream wait, and
 * afterwards a live message that skips an offset (another sender's, still on its way) waits while the history
 * fills the gap. Positions handed out are only ever those of messages the client was given.
 */
export class KeptDelivery {
  constructor(
    private readonly kept: KeptMessages,
    private readonly deliver: (client: ClientState, out: PreparedFrame) => boolean,
    private readonly isMember: (client: ClientState, stream: string) => boolean,
    private readonly log: Logger,
  ) {}

  /** The client was bound to a uid or joined a group: replay what it missed there, then go live. */
  subscribed(client: ClientState, stream: string): void {
    const state = client.kept;
    if (!state) return;
    const since = state.given.get(stream) ?? null;
    state.given.delete(stream);
    const progress: StreamProgress = { last: since, waiting: [] };
    state.streams.set(stream, progress);
    this.read(client, stream, progress, since, true);
  }

  /** The client left the stream (unbound, left the group). */
  unsubscribed(client: ClientState, stream: string): void {
    client.kept?.streams.delete(stream);
  }

  /** A live kept message for a recovering client in `stream`. */
  live(client: ClientState, stream: string, position: Position, data: Payload): void {
    const state = client.kept!;
    let progress = state.streams.get(stream);
    if (!progress) {
      // Bound before the stream was known here (or before this gateway kept anything): start from this one.
      progress = { last: null, waiting: null };
      state.streams.set(stream, progress);
    }
    if (progress.waiting) {
      progress.waiting.push({ position, data });
      return;
    }
    this.apply(client, stream, progress, position, data);
  }

  private apply(
    client: ClientState,
    stream: string,
    progress: StreamProgress,
    position: Position,
    data: Payload,
  ): void {
    const { last } = progress;
    if (last === null || last.epoch !== position.epoch) {
      // The history was lost and started again (or nothing is known): what came before cannot be recovered.
      const before = { epoch: position.epoch, offset: position.offset - 1 };
      if (last !== null) this.lost(client, stream, before);
      progress.last = before;
      this.handOn(client, stream, progress, position, data);
      return;
    }
    if (position.offset <= last.offset) return; // Replayed already.
    if (position.offset === last.offset + 1) {
      this.handOn(client, stream, progress, position, data);
      return;
    }
    // A gap: an earlier message (from another sender) is still on its way. It is in the history already, since
    // senders write before they send: read it from there.
    progress.waiting = [{ position, data }];
    this.read(client, stream, progress, last, false);
  }

  private read(
    client: ClientState,
    stream: string,
    progress: StreamProgress,
    since: Position | null,
    first: boolean,
  ): void {
    this.kept.store.read(stream, since).then(
      (recovery) => {
        if (client.gone || client.kept?.streams.get(stream) !== progress || !this.isMember(client, stream)) return;
        if (since === null) {
          // Start at the stream's newest position, or before the oldest live message already waiting (a send
          // made just after the bind may have been written before this read): it must not be skipped.
          const top = recovery.position;
          const oldest = Math.min(
            ...(progress.waiting ?? []).filter((w) => w.position.epoch === top.epoch).map((w) => w.position.offset),
          );
          progress.last = oldest <= top.offset ? { epoch: top.epoch, offset: oldest - 1 } : top;
          this.deliver(client, eventFrame({ t: 'position', stream, ...progress.last }));
          if (progress.last !== top) return this.read(client, stream, progress, progress.last, false);
        } else if (!recovery.recovered) {
          progress.last = recovery.position;
          this.lost(client, stream, recovery.position);
        } else {
          let complete = true;
          for (const m of recovery.messages) {
            const position = { epoch: recovery.position.epoch, offset: m.offset };
            if (!this.handOn(client, stream, progress, position, m.data)) {
              complete = false;
              break;
            }
          }
          if (!complete) {
            // Not reading (--slow-consumer drop): the rest stays in the history, and the next live message of
            // the stream reads it again from where the client is; reading now would only spin.
            progress.waiting = null;
            return;
          }
          if (first) this.deliver(client, eventFrame({ t: 'recovered', stream, ...progress.last! }));
        }
        this.release(client, stream, progress);
      },
      (err: Error) => {
        if (client.gone || client.kept?.streams.get(stream) !== progress) return;
        this.log.warn(`could not replay ${stream} to client ${client.id}: ${err.message}`, {
          code: (err as { code?: string }).code,
        });
        // Nothing known: the client is told so, and the next live message starts the stream again.
        progress.last = null;
        this.deliver(client, eventFrame({ t: 'lost', stream, epoch: null, offset: null }));
        this.release(client, stream, progress);
      },
    );
  }

  /**
   * Hands one kept message to the client; the stream moves on only if it was queued. One that was dropped (a
   * client that is not reading, with --slow-consumer drop) leaves a gap, which the next message of the stream
   * fills from the history: the client never holds a position past a message it did not get.
   */
  private handOn(
    client: ClientState,
    stream: string,
    progress: StreamProgress,
    position: Position,
    data: Payload,
  ): boolean {
    if (!this.deliver(client, keptFrame(stream, position, data))) return false;
    progress.last = position;
    return true;
  }

  /** Hands on the live messages that waited for a read, in order. */
  private release(client: ClientState, stream: string, progress: StreamProgress): void {
    const waiting = progress.waiting ?? [];
    progress.waiting = null;
    for (const [i, { position, data }] of waiting.entries()) {
      this.apply(client, stream, progress, position, data);
      const again = waitingOf(progress);
      if (again) {
        // Another gap: the rest waits behind the read it started.
        again.push(...waiting.slice(i + 1));
        return;
      }
    }
  }

  private lost(client: ClientState, stream: string, position: Position): void {
    this.deliver(client, eventFrame({ t: 'lost', stream, ...position }));
  }
}
