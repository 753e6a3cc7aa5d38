import { randomBytes } from 'node:crypto';
import type { HistoryStore, KeptData, KeptMessage, Position, Recovery } from './history-store.ts';

interface Stream {
  epoch: string;
  /** The newest offset given out. */
  top: number;
  /** The newest `size` messages, oldest first. */
  messages: KeptMessage[];
  /** Date.now() after which the stream's history is gone. */
  expiresAt: number;
}

/** A new epoch: random, so a history that was lost and started again never reuses one. */
export const newEpoch = () => randomBytes(6).toString('hex');

/**
 * The embedded history: streams in this process's memory, each trimmed to `size` messages and forgotten (with
 * its epoch) `ttl` seconds after its last message. Expired streams are swept as they are touched and on each
 * append's sweep of at most a few others, so memory stays bounded by the live streams.
 */
export class MemoryHistory implements HistoryStore {
  private readonly streams = new Map<string, Stream>();

  constructor(
    private readonly size: number,
    private readonly ttl: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** How many streams are held (expired ones may linger until touched or swept). */
  get streamCount(): number {
    return this.streams.size;
  }

  append(stream: string, data: KeptData): Promise<Position> {
    return Promise.resolve(this.keep(stream, data));
  }

  /**
   * Like append, at once, with the sender's own `size` and `ttl` (the register holds the history for senders
   * that each say theirs, as they do to Redis).
   */
  keep(stream: string, data: KeptData, size = this.size, ttl = this.ttl): Position {
    const s = this.live(stream, ttl);
    s.top += 1;
    s.messages.push({ offset: s.top, data });
    while (s.messages.length > size) s.messages.shift();
    s.expiresAt = this.now() + ttl * 1000;
    this.sweep(stream);
    return { epoch: s.epoch, offset: s.top };
  }

  read(stream: string, since: Position | null): Promise<Recovery> {
    return Promise.resolve(this.readNow(stream, since));
  }

  /** Like read, at once; `ttl` is how long a stream this read starts lives without an append. */
  readNow(stream: string, since: Position | null, ttl = this.ttl): Recovery {
    const s = this.live(stream, ttl);
    return recover(s.epoch, s.top, s.messages, since);
  }

  close(): Promise<void> {
    this.streams.clear();
    return Promise.resolve();
  }

  /** The stream, started again (new epoch, nothing kept) when it is absent or expired. */
  private live(name: string, ttl: number): Stream {
    const now = this.now();
    let s = this.streams.get(name);
    if (!s || s.expiresAt <= now) {
      s = { epoch: newEpoch(), top: 0, messages: [], expiresAt: now + ttl * 1000 };
      this.streams.set(name, s);
    }
    return s;
  }

  /** Forgets up to two expired streams other than `keep`, oldest insertion first: amortised O(1) per append. */
  private sweep(keep: string): void {
    const now = this.now();
    let looked = 0;
    for (const [name, s] of this.streams) {
      if (looked++ === 2) break;
      if (name !== keep && s.expiresAt <= now) this.streams.delete(name);
      else if (name !== keep) {
        // Re-insert so the next sweep looks at other streams first.
        this.streams.delete(name);
        this.streams.set(name, s);
      }
    }
  }
}

/**
 * The answer to a read after `since` from a stream whose newest offset is `top` and which still holds
 * `messages` (oldest first): the one rule every store applies, so they all answer alike.
 */
export function recover(epoch: string, top: number, messages: KeptMessage[], since: Position | null): Recovery {
  const position = { epoch, offset: top };
  if (since === null) return { recovered: true, messages: [], position };
  if (since.epoch !== epoch || since.offset > top || since.offset < 0) {
    return { recovered: false, messages: [], position };
  }
  if (since.offset === top) return { recovered: true, messages: [], position };
  const first = messages[0]?.offset ?? top + 1;
  // The message right after `since` must still be held, or something between would be missed.
  if (since.offset + 1 < first) return { recovered: false, messages: [], position };
  return { recovered: true, messages: messages.filter((m) => m.offset > since.offset), position };
}
