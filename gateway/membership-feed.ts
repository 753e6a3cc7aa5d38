import { Cmd, type MessageOf } from '../shared/commands.ts';
import { encodeFrame } from '../shared/frame-encoder.ts';
import type { Link } from '../shared/link.ts';
import type { ClientRegistry, IndexKind } from './client-registry.ts';

/** @default 64 KiB: roughly how many characters of names one snapshot frame carries. */
const SNAPSHOT_CHUNK_CHARS = 64 * 1024;

type Update = MessageOf<typeof Cmd.MembershipUpdate>;

const emptyUpdate = (): Update => ({ cmd: Cmd.MembershipUpdate, uids: [], uidsGone: [], groups: [], groupsGone: [] });

const APPLIED_FRAME = encodeFrame({ cmd: Cmd.MembershipApplied });

/** What one subscriber has been sent of the current batch of changes. */
interface Cursor {
  /** Changes of `log` it has been sent. */
  at: number;
  /** MembershipApplied answers owed to it, sent after the update that covers them. */
  applied: number;
}

/**
 * Tells subscribed workers and clients which uids and groups this gateway holds, so they send a uid or group
 * message only to the gateways with members: a snapshot when they subscribe, then coalesced updates.
 *
 * Changes are collected while the gateway handles one input (a chunk of commands from a worker, a client's
 * message) and go out as one MembershipUpdate per subscriber when that input is done (a microtask), not one
 * frame per login: a login storm of thousands of binds in a chunk costs each subscriber one frame.
 *
 * The order guarantee of the earlier one-frame-per-change feed is kept: before any other frame is queued on a
 * subscriber's link (a client's next event, the answer to a query, a MembershipApplied), the changes it has
 * not been sent yet go first (Link.beforeSend). So whatever a subscriber receives from this gateway after a
 * change comes after the change. And the gateway calls `flush()` before it writes anything to a client: the
 * updates are handed to the network before a client can see the effect of its bind (a reply saying "you are
 * logged in") and make anyone send to it.
 */
export class MembershipFeed {
  private readonly subscribers = new Map<Link, Cursor>();
  /** Changes since the last batch went out, in order; a name appears in it at most twice per flip. */
  private log: [kind: IndexKind, key: string, present: boolean][] = [];
  /** Encoded net updates of `log` from a position to its end, while `log` does not grow. */
  private readonly frames = new Map<number, Buffer | null>();
  private scheduled = false;
  /** Frames were queued since the last flush. */
  private unflushed = false;
  private readonly sendBatch = () => this.catchUpAll();
  /** MembershipUpdate frames sent to subscribers, snapshots excluded (for the metrics). */
  updateFrames = 0;

  constructor(private readonly registry: ClientRegistry) {
    registry.onIndexChange = (kind, key, present) => this.changed(kind, key, present);
  }

  isSubscribed(link: Link): boolean {
    return this.subscribers.has(link);
  }

  /** Changes are waiting to be sent to subscribers. */
  get hasPending(): boolean {
    return this.log.length > 0;
  }

  get subscriberCount(): number {
    return this.subscribers.size;
  }

  /** Sends `link` everything the gateway holds now, in frames of bounded size, then MembershipSynced. */
  subscribe(link: Link): void {
    if (this.subscribers.has(link)) return;
    // The snapshot shows the changes so far: they must not reach the new subscriber a second time.
    this.catchUpAll();
    this.subscribers.set(link, { at: 0, applied: 0 });
    link.beforeSend = () => this.catchUp(link);
    let update = emptyUpdate();
    let chars = 0;
    const add = (field: 'uids' | 'groups', key: string) => {
      update[field].push(key);
      chars += key.length + 1;
      if (chars < SNAPSHOT_CHUNK_CHARS) return;
      link.send(update);
      update = emptyUpdate();
      chars = 0;
    };
    for (const uid of this.registry.uids.keys()) add('uids', uid);
    for (const group of this.registry.groups.keys()) add('groups', group);
    if (chars > 0) link.send(update);
    link.send({ cmd: Cmd.MembershipSynced });
  }

  unsubscribe(link: Link): void {
    if (!this.subscribers.delete(link)) return;
    link.beforeSend = null;
  }

  /**
   * Owes `link` a MembershipApplied (it subscribed and sent a bind or join): sent after the update the command
   * caused, so the subscriber stops counting its own bind only once the gateway's word covers it.
   */
  applied(link: Link): void {
    const cursor = this.subscribers.get(link);
    if (!cursor) return;
    cursor.applied++;
    this.schedule();
  }

  /** Sends every subscriber what it lacks now and writes it to the network (see the class comment). */
  flush(): void {
    // Called before every write to a client: nothing to do unless a change or an answer is waiting.
    if (this.scheduled) this.catchUpAll();
    if (!this.unflushed) return;
    this.unflushed = false;
    for (const link of this.subscribers.keys()) link.flush();
  }

  private changed(kind: IndexKind, key: string, present: boolean): void {
    if (this.subscribers.size === 0) return;
    this.log.push([kind, key, present]);
    this.frames.clear();
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    queueMicrotask(this.sendBatch);
  }

  private catchUpAll(): void {
    this.scheduled = false;
    for (const link of this.subscribers.keys()) this.catchUp(link);
    this.log = [];
    this.frames.clear();
    for (const cursor of this.subscribers.values()) cursor.at = 0;
  }

  /** Queues on `link` the changes it has not been sent, then the answers it is owed. */
  private catchUp(link: Link): void {
    const cursor = this.subscribers.get(link);
    if (!cursor) return;
    const { at, applied } = cursor;
    if (at === this.log.length && applied === 0) return;
    // Set first: the frames below pass through this hook again.
    cursor.at = this.log.length;
    cursor.applied = 0;
    if (at < this.log.length) {
      const frame = this.frameFrom(at);
      if (frame) {
        link.sendFrame(frame);
        this.updateFrames++;
      }
    }
    for (let i = 0; i < applied; i++) link.sendFrame(APPLIED_FRAME);
    this.unflushed = true;
  }

  /**
   * The net effect of the changes from `from` on, encoded once for every subscriber at that point (usually all
   * of them); null when they cancel out. A name that flipped twice is back where it was and is left out, so
   * each name appears once and the order of the lists does not matter.
   */
  private frameFrom(from: number): Buffer | null {
    const cached = this.frames.get(from);
    if (cached !== undefined) return cached;
    const uids = new Map<string, boolean>();
    const groups = new Map<string, boolean>();
    for (let i = from; i < this.log.length; i++) {
      const [kind, key, present] = this.log[i]!;
      const net = kind === 'uid' ? uids : groups;
      if (net.has(key)) net.delete(key);
      else net.set(key, present);
    }
    if (uids.size === 0 && groups.size === 0) {
      this.frames.set(from, null);
      return null;
    }
    const update = emptyUpdate();
    for (const [uid, present] of uids) (present ? update.uids : update.uidsGone).push(uid);
    for (const [group, present] of groups) (present ? update.groups : update.groupsGone).push(group);
    const frame = encodeFrame(update);
    this.frames.set(from, frame);
    return frame;
  }
}

/**
 * Names of a uid or group send that this gateway holds no client for. With directory routing these are the
 * senders' false positives (a fingerprint matched by chance) plus names that left while the send was on its
 * way; with `all` routing, every name held elsewhere.
 */
export function namesNotHeld(registry: ClientRegistry, names: readonly string[], kind: IndexKind): number {
  const index = kind === 'uid' ? registry.uids : registry.groups;
  let missing = 0;
  for (const name of names) if (!index.has(name)) missing++;
  return missing;
}
